-- Extra services (catalogue per agency) and their per-property assignments (chapter 16). The billing
-- units of this migration; per_unit_night comes with 20260215200000_add_per_unit_night_billing.sql.
CREATE TABLE IF NOT EXISTS public.extra_services (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id            uuid NOT NULL REFERENCES public.agencies(id) ON DELETE CASCADE,
    name                 text NOT NULL,
    description          text,
    billing_unit         text NOT NULL,
    default_price_cents  integer NOT NULL,
    currency_code        text NOT NULL DEFAULT 'EUR',
    is_active            boolean NOT NULL DEFAULT true,
    sort_order           integer NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.property_extra_services (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    property_id            uuid NOT NULL REFERENCES public.properties(id) ON DELETE CASCADE,
    service_id             uuid NOT NULL REFERENCES public.extra_services(id) ON DELETE CASCADE,
    is_enabled             boolean NOT NULL DEFAULT true,
    included_by_default    boolean NOT NULL DEFAULT false,
    price_override_cents   integer,
    billing_unit_override  text,
    max_quantity           integer,
    sort_order             integer NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT property_extra_services_property_service_key UNIQUE (property_id, service_id)
);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'extra_services_billing_unit_check') THEN
        ALTER TABLE public.extra_services ADD CONSTRAINT extra_services_billing_unit_check CHECK (billing_unit IN
            ('per_night', 'per_stay', 'per_person_per_night', 'per_person_per_stay', 'per_unit'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'property_extra_services_billing_unit_override_check') THEN
        ALTER TABLE public.property_extra_services ADD CONSTRAINT property_extra_services_billing_unit_override_check
            CHECK (billing_unit_override IS NULL OR billing_unit_override IN
                   ('per_night', 'per_stay', 'per_person_per_night', 'per_person_per_stay', 'per_unit'));
    END IF;
END $$;

DROP TRIGGER IF EXISTS extra_services_set_updated_at ON public.extra_services;
CREATE TRIGGER extra_services_set_updated_at BEFORE UPDATE ON public.extra_services
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
DROP TRIGGER IF EXISTS property_extra_services_set_updated_at ON public.property_extra_services;
CREATE TRIGGER property_extra_services_set_updated_at BEFORE UPDATE ON public.property_extra_services
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE public.extra_services ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.property_extra_services ENABLE ROW LEVEL SECURITY;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON public.extra_services, public.property_extra_services
            TO authenticated;
        DROP POLICY IF EXISTS extra_services_members ON public.extra_services;
        CREATE POLICY extra_services_members ON public.extra_services FOR ALL TO authenticated
            USING (agency_id IN (SELECT agency_id FROM public.team_members WHERE user_id = auth.uid()));
    END IF;
END $$;
