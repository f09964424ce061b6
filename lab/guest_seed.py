"""Seed data of the guest-facing half, for every agency: what the public website and the admin's booking,
website, amenities and extra-services pages show on a healthy lab (quickref Q1, Q2, Q5, Q6, Q7).

Per agency:
- four properties: three public and active (on the public site), one not public (an owner's own flat);
- bookings: one `requested` (the public booking-request flow's status), one `confirmed`, one `pending`;
- amenities, attached to the public properties (one only to the non-public property: anon must not see it);
- extra services with billing units of the 2026-02-02 migration, assigned to the first property;
- the CMS pages with the seeded slugs, `blocks` a JSON array of {"type", "props"}; site settings;
- its public host in agency_domains (lab.topology.PUBLIC_HOSTS; the ops agency also the loopback names);
- a visitor-tax location with a period.

Every id is a `lab_uuid`, so faults and tests can name the rows.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from lab.records import lab_uuid
from lab.topology import LOOPBACK_PUBLIC_HOSTS, PUBLIC_HOSTS

PUBLIC_PROPERTIES = (("Ferienwohnung Dünenblick", "apartment", "Westerland", "25980", 2, 4, 119),
                     ("Reetdachhaus Kampen", "house", "Kampen", "25999", 3, 6, 245),
                     ("Strandloft Wenningstedt", "loft", "Wenningstedt", "25996", 1, 2, 89))
PRIVATE_PROPERTY = ("Eigentümerwohnung (privat)", "apartment", "Westerland", "25980", 2, 3, 0)
AMENITIES = (("WLAN", "wifi", "Internet", 1), ("Parkplatz", "parking", "Außen", 2), ("Pool", "waves", "Wellness", 3),
             ("Sauna", "sauna", "Wellness", 4), ("Kamin", "flame", "Komfort", 5))
PRIVATE_AMENITY = ("Hauswirtschaftsraum", "washing-machine", "Komfort", 6)  # only on the non-public property
EXTRA_SERVICES = (("Endreinigung", "per_stay", 8000), ("Frühstück", "per_person_per_night", 1500),
                  ("Bettwäsche-Paket", "per_person_per_stay", 2500), ("Parkplatz", "per_night", 1000),
                  ("Fahrrad", "per_unit", 1200))
PAGE_SLUGS = ("home", "unterkuenfte", "kontakt", "faq", "angebote", "impressum", "datenschutz")
BOOKING_STATUSES = ("requested", "confirmed", "pending")


def public_host(key: str, n: int = 0) -> str:
    """The seeded public host of an agency: key "ops", "member" or "other" (n = its number, 1-based)."""
    return PUBLIC_HOSTS[key].format(n=n)


def property_id(agency_key: str, i: int) -> UUID:
    return lab_uuid("property", agency_key, i)


def page_blocks(slug: str, site: str) -> list[dict]:
    """The blocks of a seeded page: an array, as the editor writes it."""
    if slug == "home":
        return [{"type": "hero_fullwidth", "props": {"headline": f"Willkommen bei {site}",
                                                      "subline": "Ferienwohnungen an der Nordsee"}},
                {"type": "search_form", "props": {}},
                {"type": "featured_properties", "props": {"limit": 3}},
                {"type": "trust_indicators", "props": {"items": ["Direkt buchen", "Keine Gebühren"]}}]
    if slug == "unterkuenfte":
        return [{"type": "text_section", "props": {"headline": "Unsere Unterkünfte"}},
                {"type": "property_search", "props": {}}]
    if slug == "faq":
        return [{"type": "faq_accordion", "props": {"items": [{"q": "Wann ist Anreise?", "a": "Ab 15:00 Uhr."}]}}]
    if slug == "kontakt":
        return [{"type": "contact_section", "props": {"email": "info@example.invalid"}}]
    if slug == "angebote":
        return [{"type": "offer_cards", "props": {"items": []}}, {"type": "cta_banner", "props": {"text": "Anfragen"}}]
    return [{"type": "rich_text", "props": {"html": f"<p>{slug.capitalize()} von {site}</p>"}}]


def seed_agency(conn: psycopg.Connection, agency_id: UUID, key: str, site: str, host: str, *,
                now: datetime | None = None) -> None:
    """The guest-facing rows of one agency (`key` names its ids: "ops", "member", "other-0", ...)."""
    now = now or datetime.now(UTC)
    props = []
    for i, (name, ptype, city, plz, bedrooms, guests, price) in enumerate((*PUBLIC_PROPERTIES, PRIVATE_PROPERTY)):
        pid = property_id(key, i)
        public = i < len(PUBLIC_PROPERTIES)
        conn.execute(
            """INSERT INTO properties (id, agency_id, name, property_type, city, postal_code, bedrooms, max_guests,
                                       base_price, is_public, is_active, listed_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, true, %s)""",
            (pid, agency_id, name, ptype, city, plz, bedrooms, guests, price or None, public,
             now - timedelta(days=30 + i) if public else None))
        props.append(pid)
    _bookings(conn, agency_id, key, props[0], now.date())
    _amenities(conn, agency_id, key, props)
    for j, (name, unit, cents) in enumerate(EXTRA_SERVICES):
        sid = lab_uuid("extra-service", key, j)
        conn.execute("""INSERT INTO extra_services (id, agency_id, name, billing_unit, default_price_cents, sort_order)
                        VALUES (%s, %s, %s, %s, %s, %s)""", (sid, agency_id, name, unit, cents, j))
        if j < 3:
            conn.execute("""INSERT INTO property_extra_services (id, property_id, service_id, included_by_default)
                            VALUES (%s, %s, %s, %s)""", (lab_uuid("pes", key, j), props[0], sid, j == 0))
    for k, slug in enumerate(PAGE_SLUGS):
        conn.execute(
            """INSERT INTO public_site_pages (id, agency_id, slug, title, meta_title, blocks, is_published, sort_order)
               VALUES (%s, %s, %s, %s, %s, %s, true, %s)""",
            (lab_uuid("page", key, slug), agency_id, slug, slug.capitalize(), f"{slug.capitalize()} | {site}",
             Jsonb(page_blocks(slug, site)), k))
    conn.execute(
        """INSERT INTO public_site_settings (agency_id, site_name, primary_color, accent_color, email, nav,
                                             footer_links, seo_defaults, social_links)
           VALUES (%s, %s, '#0b5394', '#f1c232', 'info@example.invalid', %s, %s, %s, %s)""",
        (agency_id, site, Jsonb([{"label": "Unterkünfte", "href": "/unterkuenfte"},
                                 {"label": "Kontakt", "href": "/kontakt"}]),
         Jsonb([{"label": "Impressum", "href": "/impressum"}, {"label": "Datenschutz", "href": "/datenschutz"}]),
         Jsonb({"title": site}), Jsonb({})))
    hosts = [host] + (list(LOOPBACK_PUBLIC_HOSTS) if key == "ops" else [])
    for n, domain in enumerate(hosts):
        conn.execute("INSERT INTO agency_domains (id, agency_id, domain, is_primary) VALUES (%s, %s, %s, %s)",
                     (lab_uuid("domain", key, n), agency_id, domain, n == 0))
    loc = lab_uuid("visitor-tax-location", key)
    conn.execute("""INSERT INTO visitor_tax_locations (id, agency_id, name, postal_codes)
                    VALUES (%s, %s, 'Gemeinde Sylt', %s)""", (loc, agency_id, ["25980", "25996", "25999"]))
    conn.execute("""INSERT INTO visitor_tax_periods (location_id, label, date_from, date_to, amount_cents, free_under_age)
                    VALUES (%s, 'Hauptsaison', %s, %s, 350, 6)""", (loc, date(now.year, 4, 1), date(now.year, 10, 31)))
    conn.execute("UPDATE properties SET visitor_tax_location_id = %s WHERE agency_id = %s", (loc, agency_id))


def _bookings(conn: psycopg.Connection, agency_id: UUID, key: str, prop: UUID, today: date) -> None:
    for b, status in enumerate(BOOKING_STATUSES):
        check_in = today + timedelta(days=14 + 7 * b)
        conn.execute(
            """INSERT INTO bookings (id, agency_id, property_id, booking_reference, status, check_in, check_out,
                                     nightly_rate, subtotal, cleaning_fee, service_fee, tax, total_price)
               VALUES (%s, %s, %s, %s, %s, %s, %s, 119, 357, 80, 0, 24.99, 461.99)""",
            (lab_uuid("booking", key, b), agency_id, prop, f"LAB-{key.upper()}-{b + 1:04d}", status, check_in,
             check_in + timedelta(days=3)))


def _amenities(conn: psycopg.Connection, agency_id: UUID, key: str, props: list[UUID]) -> None:
    for a, (name, icon, category, order) in enumerate((*AMENITIES, PRIVATE_AMENITY)):
        aid = lab_uuid("amenity", key, a)
        conn.execute("""INSERT INTO amenities (id, agency_id, name, icon, category, sort_order)
                        VALUES (%s, %s, %s, %s, %s, %s)""", (aid, agency_id, name, icon, category, order))
        on = [props[-1]] if a == len(AMENITIES) else [p for i, p in enumerate(props[:-1]) if (a + i) % 2 == 0]
        for pid in on:
            conn.execute("INSERT INTO property_amenities (property_id, amenity_id) VALUES (%s, %s)", (pid, aid))
