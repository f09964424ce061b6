-- Properties and their bookings. bookings.status is guarded by bookings_status_check; the public
-- booking-request flow writes 'requested' (the API's BookingStatus literal must accept it, quickref Q1).
CREATE TABLE IF NOT EXISTS public.properties (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id      uuid NOT NULL REFERENCES public.agencies(id) ON DELETE CASCADE,
    name           text NOT NULL,
    property_type  text NOT NULL DEFAULT 'apartment',
    city           text,
    postal_code    text,
    bedrooms       integer,
    max_guests     integer,
    base_price     numeric(10, 2),
    currency       text NOT NULL DEFAULT 'EUR',
    is_active      boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_properties_agency_id ON public.properties (agency_id);

CREATE TABLE IF NOT EXISTS public.bookings (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id           uuid NOT NULL REFERENCES public.agencies(id) ON DELETE CASCADE,
    property_id         uuid NOT NULL REFERENCES public.properties(id) ON DELETE CASCADE,
    booking_reference   text NOT NULL,
    status              text NOT NULL DEFAULT 'inquiry',
    check_in            date NOT NULL,
    check_out           date NOT NULL,
    num_nights          integer GENERATED ALWAYS AS (check_out - check_in) STORED,
    guest_id            uuid,
    nightly_rate        numeric(10, 2),
    subtotal            numeric(10, 2),
    cleaning_fee        numeric(10, 2),
    service_fee         numeric(10, 2),
    tax                 numeric(10, 2),
    total_price         numeric(10, 2),
    currency            text NOT NULL DEFAULT 'EUR',
    channel_booking_id  text,
    cancelled_by        text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_bookings_agency_id ON public.bookings (agency_id, created_at DESC);
ALTER TABLE public.bookings DROP CONSTRAINT IF EXISTS bookings_status_check;
ALTER TABLE public.bookings ADD CONSTRAINT bookings_status_check CHECK (status IN
    ('requested', 'inquiry', 'pending', 'confirmed', 'checked_in', 'checked_out', 'cancelled', 'declined',
     'no_show'));

ALTER TABLE public.properties ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.bookings ENABLE ROW LEVEL SECURITY;
-- (20260201000000 grants the app roles on every table; members' policies are not needed by the lab.)
