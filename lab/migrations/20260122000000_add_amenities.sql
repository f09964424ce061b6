-- Amenities per agency and their assignment to properties (chapter 10).
CREATE TABLE IF NOT EXISTS public.amenities (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id    uuid NOT NULL REFERENCES public.agencies(id) ON DELETE CASCADE,
    name         varchar(255) NOT NULL,
    description  text,
    category     varchar(50),
    icon         varchar(100),
    sort_order   integer DEFAULT 0,
    created_at   timestamptz DEFAULT now(),
    updated_at   timestamptz DEFAULT now(),
    CONSTRAINT amenities_unique_per_agency UNIQUE (agency_id, name)
);

CREATE TABLE IF NOT EXISTS public.property_amenities (
    property_id  uuid NOT NULL REFERENCES public.properties(id) ON DELETE CASCADE,
    amenity_id   uuid NOT NULL REFERENCES public.amenities(id) ON DELETE CASCADE,
    created_at   timestamptz DEFAULT now(),
    PRIMARY KEY (property_id, amenity_id)
);

ALTER TABLE public.amenities ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.property_amenities ENABLE ROW LEVEL SECURITY;
-- (20260201000000 grants the app roles on every table; members' policies are not needed by the lab.)
