-- Channel connections in their original (2025) shape: channel + is_active. The 2026 upgrade
-- migration adds platform_type/status/platform_metadata/deleted_at and backfills them.
--
-- Lab deviation: production has UNIQUE (agency_id, channel). The lab needs many connections of
-- one channel per agency, so this file has no uniqueness; 20260102000000 adds a unique index on
-- (agency_id, channel, platform_listing_id) once platform_listing_id exists.
CREATE TABLE IF NOT EXISTS public.channel_connections (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id                uuid NOT NULL REFERENCES public.agencies(id) ON DELETE CASCADE,
    channel                  text NOT NULL,
    is_active                boolean NOT NULL DEFAULT true,
    access_token_encrypted   text,
    refresh_token_encrypted  text,
    last_sync_at             timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_channel_connections_agency_id ON public.channel_connections (agency_id);

-- The "financials" half of the original migration: payouts per connection. No check reads it;
-- it is here so the schema has the table the migration's name promises.
CREATE TABLE IF NOT EXISTS public.channel_payouts (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id      uuid NOT NULL REFERENCES public.agencies(id) ON DELETE CASCADE,
    connection_id  uuid REFERENCES public.channel_connections(id) ON DELETE SET NULL,
    amount_cents   bigint NOT NULL,
    currency       text NOT NULL DEFAULT 'EUR',
    paid_at        timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
