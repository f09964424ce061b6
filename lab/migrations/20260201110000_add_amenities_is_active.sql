-- Amenities can be switched off without deleting them (PATCH toggles is_active).
ALTER TABLE public.amenities ADD COLUMN IF NOT EXISTS is_active boolean NOT NULL DEFAULT true;
