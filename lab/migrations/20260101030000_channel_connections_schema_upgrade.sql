-- Upgrade channel_connections to the channel-manager shape (contract §4.8):
-- platform_type, status, platform_metadata, deleted_at, backfilled from channel / is_active.
--
-- Re-appliable on purpose: the lab heals schema drift by re-running this file after the
-- columns were dropped, so each column is added IF NOT EXISTS and backfilled WHERE NULL.
ALTER TABLE public.channel_connections ADD COLUMN IF NOT EXISTS platform_type text;
ALTER TABLE public.channel_connections ADD COLUMN IF NOT EXISTS status text;
ALTER TABLE public.channel_connections
    ADD COLUMN IF NOT EXISTS platform_metadata jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE public.channel_connections ADD COLUMN IF NOT EXISTS deleted_at timestamptz;

-- Defaults are set only after the backfill: a column added with a default would be filled with
-- it and the backfill from channel / is_active would never run.
UPDATE public.channel_connections SET platform_type = channel WHERE platform_type IS NULL;
UPDATE public.channel_connections
   SET status = CASE WHEN is_active THEN 'active' ELSE 'inactive' END
 WHERE status IS NULL;

ALTER TABLE public.channel_connections ALTER COLUMN status SET DEFAULT 'active';

CREATE INDEX IF NOT EXISTS idx_channel_connections_agency_live
    ON public.channel_connections (agency_id) WHERE deleted_at IS NULL;
