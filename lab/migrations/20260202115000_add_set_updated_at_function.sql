-- The trigger function the extra-services tables use (chapter 16: "function public.set_updated_at()
-- does not exist" when this is missing).
CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END $$;
