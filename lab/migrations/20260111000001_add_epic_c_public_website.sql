-- Epic C: the public website. Properties gain is_public (and listed_at, P5.4); the CMS pages with their
-- blocks (a JSON array of {"type", "props"}), the site settings, and the host -> agency mapping the
-- public endpoints resolve the tenant with (public_host, x-public-host, X-Forwarded-Host, Host).
ALTER TABLE public.properties ADD COLUMN IF NOT EXISTS is_public boolean NOT NULL DEFAULT true;
ALTER TABLE public.properties ADD COLUMN IF NOT EXISTS listed_at timestamptz DEFAULT now();

CREATE TABLE IF NOT EXISTS public.public_site_pages (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id         uuid NOT NULL REFERENCES public.agencies(id) ON DELETE CASCADE,
    slug              text NOT NULL,
    title             text NOT NULL,
    meta_title        text,
    meta_description  text,
    blocks            jsonb NOT NULL DEFAULT '[]'::jsonb,
    is_published      boolean NOT NULL DEFAULT false,
    sort_order        integer NOT NULL DEFAULT 0,
    template          varchar(20) NOT NULL DEFAULT 'default',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT public_site_pages_agency_slug_key UNIQUE (agency_id, slug)
);

CREATE TABLE IF NOT EXISTS public.public_site_settings (
    agency_id      uuid PRIMARY KEY REFERENCES public.agencies(id) ON DELETE CASCADE,
    site_name      text,
    logo_url       text,
    primary_color  text,
    accent_color   text,
    phone          text,
    email          text,
    nav            jsonb NOT NULL DEFAULT '[]'::jsonb,
    footer_links   jsonb NOT NULL DEFAULT '[]'::jsonb,
    seo_defaults   jsonb NOT NULL DEFAULT '{}'::jsonb,
    social_links   jsonb NOT NULL DEFAULT '{}'::jsonb,
    prettify_html  boolean NOT NULL DEFAULT false,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.agency_domains (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id    uuid NOT NULL REFERENCES public.agencies(id) ON DELETE CASCADE,
    domain       text NOT NULL,
    is_primary   boolean NOT NULL DEFAULT false,
    is_verified  boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS agency_domains_domain_key ON public.agency_domains (lower(domain));

ALTER TABLE public.public_site_pages ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.public_site_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.agency_domains ENABLE ROW LEVEL SECURITY;
-- (20260201000000 grants the app roles on every table; members' policies are not needed by the lab.)
