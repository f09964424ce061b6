-- Chapter 10: the public site reads amenities as anon. Only amenities of a public AND active property
-- are visible, and no other tenant's (the query adds the agency). Lab note: the chapter calls these
-- policies "restrictive"; a table with only restrictive policies shows anon nothing, so here they are
-- the permissive policies that admit the rows (dropping them empties the filter, as in the chapter).
GRANT SELECT ON public.amenities, public.property_amenities TO anon;

DROP POLICY IF EXISTS amenities_select_anon ON public.amenities;
CREATE POLICY amenities_select_anon ON public.amenities FOR SELECT TO anon
    USING (EXISTS (SELECT 1 FROM public.property_amenities pa JOIN public.properties p ON p.id = pa.property_id
                   WHERE pa.amenity_id = amenities.id AND p.is_public = true AND p.is_active = true));
DROP POLICY IF EXISTS amenities_select_public ON public.amenities;
CREATE POLICY amenities_select_public ON public.amenities FOR SELECT TO public
    USING (EXISTS (SELECT 1 FROM public.property_amenities pa JOIN public.properties p ON p.id = pa.property_id
                   WHERE pa.amenity_id = amenities.id AND p.is_public = true AND p.is_active = true));

DROP POLICY IF EXISTS property_amenities_select_anon ON public.property_amenities;
CREATE POLICY property_amenities_select_anon ON public.property_amenities FOR SELECT TO anon
    USING (EXISTS (SELECT 1 FROM public.properties p
                   WHERE p.id = property_amenities.property_id AND p.is_public = true AND p.is_active = true));
DROP POLICY IF EXISTS property_amenities_select_public ON public.property_amenities;
CREATE POLICY property_amenities_select_public ON public.property_amenities FOR SELECT TO public
    USING (EXISTS (SELECT 1 FROM public.properties p
                   WHERE p.id = property_amenities.property_id AND p.is_public = true AND p.is_active = true));
