-- Row-level security the way Supabase has it: enabled on every public table, the PostgREST roles
-- (anon, authenticated, service_role) in place, and policies for the app's members. The backend and
-- the worker connect as the table owner, which RLS does not filter; any other role sees only the rows
-- a policy gives it (the runbook's read-only role gets its own policy from its role SQL).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        CREATE ROLE anon NOLOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
    END IF;
END $$;

-- auth.uid(): the JWT's sub, as PostgREST sets it per request (Supabase ships its own; keep it).
CREATE SCHEMA IF NOT EXISTS auth;
DO $$
BEGIN
    IF to_regprocedure('auth.uid()') IS NULL THEN
        CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS
            $f$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $f$;
    END IF;
END $$;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO authenticated, service_role;

DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') LOOP
        EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t.relname);
    END LOOP;
END $$;

-- A member reads (and the app writes) the rows of the agencies it belongs to.
DROP POLICY IF EXISTS members_read_own_memberships ON public.team_members;
CREATE POLICY members_read_own_memberships ON public.team_members
    FOR SELECT TO authenticated USING (user_id = auth.uid());
DROP POLICY IF EXISTS members_read_their_agencies ON public.agencies;
CREATE POLICY members_read_their_agencies ON public.agencies
    FOR SELECT TO authenticated
    USING (id IN (SELECT agency_id FROM public.team_members WHERE user_id = auth.uid()));
DROP POLICY IF EXISTS members_use_their_connections ON public.channel_connections;
CREATE POLICY members_use_their_connections ON public.channel_connections
    FOR ALL TO authenticated
    USING (agency_id IN (SELECT agency_id FROM public.team_members WHERE user_id = auth.uid()));
DROP POLICY IF EXISTS members_use_their_payouts ON public.channel_payouts;
CREATE POLICY members_use_their_payouts ON public.channel_payouts
    FOR ALL TO authenticated
    USING (agency_id IN (SELECT agency_id FROM public.team_members WHERE user_id = auth.uid()));
DROP POLICY IF EXISTS members_read_their_sync_logs ON public.channel_sync_logs;
CREATE POLICY members_read_their_sync_logs ON public.channel_sync_logs
    FOR SELECT TO authenticated
    USING (connection_id IN (SELECT c.id FROM public.channel_connections c
                             JOIN public.team_members m ON m.agency_id = c.agency_id
                             WHERE m.user_id = auth.uid()));
