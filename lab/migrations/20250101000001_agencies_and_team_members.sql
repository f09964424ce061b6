-- Agencies (tenants) and their members. team_members.role is the app role per agency
-- (admin, manager, staff, owner, accountant); the backend resolves a user's agency from here.
CREATE TABLE IF NOT EXISTS public.agencies (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.team_members (
    agency_id   uuid NOT NULL REFERENCES public.agencies(id) ON DELETE CASCADE,
    user_id     uuid NOT NULL,
    role        text NOT NULL DEFAULT 'staff',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, user_id)
);

CREATE INDEX IF NOT EXISTS idx_team_members_user_id ON public.team_members (user_id, created_at);
