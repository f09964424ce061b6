-- batch_id groups the operations of one full sync (availability, pricing, bookings).
-- Rows written before this migration keep NULL.
ALTER TABLE public.channel_sync_logs ADD COLUMN IF NOT EXISTS batch_id uuid NULL;

CREATE INDEX IF NOT EXISTS idx_channel_sync_logs_batch_id
    ON public.channel_sync_logs (batch_id);
-- The batch endpoints group one connection's rows by batch_id.
CREATE INDEX IF NOT EXISTS idx_channel_sync_logs_connection_batch
    ON public.channel_sync_logs (connection_id, batch_id) WHERE batch_id IS NOT NULL;
