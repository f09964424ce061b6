-- Chapter 31: visitor tax (Kurtaxe) locations by postal code, their periods, and the property's location.
CREATE TABLE IF NOT EXISTS public.visitor_tax_locations (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id     uuid NOT NULL REFERENCES public.agencies(id) ON DELETE CASCADE,
    name          text NOT NULL,
    description   text,
    postal_codes  text[] NOT NULL DEFAULT '{}',
    archived_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS public.visitor_tax_periods (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    location_id     uuid NOT NULL REFERENCES public.visitor_tax_locations(id) ON DELETE CASCADE,
    label           text NOT NULL,
    date_from       date NOT NULL,
    date_to         date NOT NULL,
    amount_cents    integer NOT NULL,
    free_under_age  integer,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.properties ADD COLUMN IF NOT EXISTS visitor_tax_location_id uuid
    REFERENCES public.visitor_tax_locations(id) ON DELETE RESTRICT;

ALTER TABLE public.visitor_tax_locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.visitor_tax_periods ENABLE ROW LEVEL SECURITY;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON public.visitor_tax_locations, public.visitor_tax_periods
            TO authenticated;
        DROP POLICY IF EXISTS visitor_tax_locations_members_read ON public.visitor_tax_locations;
        CREATE POLICY visitor_tax_locations_members_read ON public.visitor_tax_locations FOR SELECT TO authenticated
            USING (agency_id IN (SELECT agency_id FROM public.team_members WHERE user_id = auth.uid()));
    END IF;
END $$;
