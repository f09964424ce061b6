-- The original CHECK on operation_type blocks 'bookings_sync', so a bookings (or full) sync
-- failed with a 503 "constraint blocks 'bookings'". Allow it and any booking%/bookings% type.
ALTER TABLE public.channel_sync_logs
    DROP CONSTRAINT IF EXISTS channel_sync_logs_operation_type_check;
ALTER TABLE public.channel_sync_logs
    ADD CONSTRAINT channel_sync_logs_operation_type_check CHECK (
        operation_type IN ('full_sync', 'availability_update', 'pricing_update', 'bookings_import',
                           'bookings_sync', 'calendar_sync', 'listing_update')
        OR operation_type LIKE 'booking%'
        OR operation_type LIKE 'bookings%');
