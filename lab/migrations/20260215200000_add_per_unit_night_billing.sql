-- Chapter 16: the billing unit per_unit_night (price x nights x quantity) on both CHECKs.
ALTER TABLE public.extra_services DROP CONSTRAINT IF EXISTS extra_services_billing_unit_check;
ALTER TABLE public.extra_services ADD CONSTRAINT extra_services_billing_unit_check CHECK (billing_unit IN
    ('per_night', 'per_stay', 'per_person_per_night', 'per_person_per_stay', 'per_unit', 'per_unit_night'));
ALTER TABLE public.property_extra_services
    DROP CONSTRAINT IF EXISTS property_extra_services_billing_unit_override_check;
ALTER TABLE public.property_extra_services ADD CONSTRAINT property_extra_services_billing_unit_override_check
    CHECK (billing_unit_override IS NULL OR billing_unit_override IN
           ('per_night', 'per_stay', 'per_person_per_night', 'per_person_per_stay', 'per_unit', 'per_unit_night'));
