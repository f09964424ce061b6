-- Which property a connection syncs, and the listing's id on the channel platform.
ALTER TABLE public.channel_connections ADD COLUMN IF NOT EXISTS property_id uuid NULL;
ALTER TABLE public.channel_connections ADD COLUMN IF NOT EXISTS platform_listing_id text NULL;

-- Replaces production's UNIQUE (agency_id, channel), which the lab cannot keep (see 20250101000002).
CREATE UNIQUE INDEX IF NOT EXISTS uq_channel_connections_agency_channel_listing
    ON public.channel_connections (agency_id, channel, platform_listing_id);
