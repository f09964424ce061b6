-- channel_sync_logs: one row per sync operation, written by the backend (triggered) and
-- updated by the worker (running -> success | failed). Contract §4.8.
CREATE TABLE IF NOT EXISTS public.channel_sync_logs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       uuid NULL,
    connection_id   uuid NOT NULL,
    operation_type  text NOT NULL,
    direction       text NOT NULL DEFAULT 'outbound',
    status          text NOT NULL,
    details         jsonb NULL,
    error           text NULL,
    task_id         text NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NULL,
    CONSTRAINT channel_sync_logs_operation_type_check CHECK (operation_type IN (
        'full_sync', 'availability_update', 'pricing_update', 'bookings_import',
        'calendar_sync', 'listing_update')),
    CONSTRAINT channel_sync_logs_direction_check CHECK (direction IN ('outbound', 'inbound')),
    CONSTRAINT channel_sync_logs_status_check CHECK (status IN (
        'triggered', 'queued', 'running', 'success', 'failed', 'cancelled'))
);

-- FK to channel_connections only when that table exists (the contract's wording).
DO $$
BEGIN
    IF to_regclass('public.channel_connections') IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pg_constraint
                       WHERE conname = 'channel_sync_logs_connection_id_fkey') THEN
        ALTER TABLE public.channel_sync_logs
            ADD CONSTRAINT channel_sync_logs_connection_id_fkey
            FOREIGN KEY (connection_id) REFERENCES public.channel_connections(id) ON DELETE CASCADE;
    END IF;
END $$;

-- The four indexes the DB chapter expects.
CREATE INDEX IF NOT EXISTS idx_channel_sync_logs_connection_created
    ON public.channel_sync_logs (connection_id, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_channel_sync_logs_task_id
    ON public.channel_sync_logs (task_id);
CREATE INDEX IF NOT EXISTS idx_channel_sync_logs_tenant_created
    ON public.channel_sync_logs (tenant_id, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_channel_sync_logs_status_created
    ON public.channel_sync_logs (status, created_at DESC);

-- Lab additions so the runbook's SQL stays an index scan on millions of rows:
-- the stale-log query filters status and COALESCE(updated_at, created_at) ...
CREATE INDEX IF NOT EXISTS idx_channel_sync_logs_status_last_touch
    ON public.channel_sync_logs (status, (COALESCE(updated_at, created_at)));
-- ... and the retention query filters created_at alone, which no index above leads with.
CREATE INDEX IF NOT EXISTS idx_channel_sync_logs_created_at
    ON public.channel_sync_logs (created_at);
