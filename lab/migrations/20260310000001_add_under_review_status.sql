-- Bookings: under_review (a request being reviewed) is stored as itself.
ALTER TABLE public.bookings DROP CONSTRAINT IF EXISTS bookings_status_check;
ALTER TABLE public.bookings ADD CONSTRAINT bookings_status_check CHECK (status IN
    ('requested', 'under_review', 'inquiry', 'pending', 'confirmed', 'checked_in', 'checked_out', 'cancelled',
     'declined', 'no_show'));
