-- Public site reads as anon: published pages only, the settings, and (the grants production applied by
-- hand) properties, agencies and the domain mapping the tenant is resolved with.
GRANT SELECT ON public.public_site_pages, public.public_site_settings TO anon;
GRANT SELECT ON public.properties, public.agencies, public.agency_domains TO anon;

DROP POLICY IF EXISTS public_site_pages_select_anon ON public.public_site_pages;
CREATE POLICY public_site_pages_select_anon ON public.public_site_pages FOR SELECT TO anon
    USING (is_published = true);
DROP POLICY IF EXISTS public_site_pages_authenticated_all ON public.public_site_pages;
CREATE POLICY public_site_pages_authenticated_all ON public.public_site_pages FOR ALL TO authenticated
    USING (true);
DROP POLICY IF EXISTS public_site_settings_select_anon ON public.public_site_settings;
CREATE POLICY public_site_settings_select_anon ON public.public_site_settings FOR SELECT TO anon USING (true);
DROP POLICY IF EXISTS public_site_settings_authenticated_all ON public.public_site_settings;
CREATE POLICY public_site_settings_authenticated_all ON public.public_site_settings FOR ALL TO authenticated
    USING (true);

DROP POLICY IF EXISTS properties_select_anon ON public.properties;
CREATE POLICY properties_select_anon ON public.properties FOR SELECT TO anon USING (is_public = true);
DROP POLICY IF EXISTS agencies_select_anon ON public.agencies;
CREATE POLICY agencies_select_anon ON public.agencies FOR SELECT TO anon USING (true);
DROP POLICY IF EXISTS agency_domains_select_anon ON public.agency_domains;
CREATE POLICY agency_domains_select_anon ON public.agency_domains FOR SELECT TO anon USING (is_verified = true);
