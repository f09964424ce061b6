"""The public website's data (quickref Q5, Q7, Q9): the agencies' public hosts (agency_domains), what SQL says
a guest must see, and the public API's answers (properties in both documented shapes, filter-options).

SQL runs as the read-only role, which sees every row; the public API runs its queries as `anon`, so a
difference between the two is what row-level security or the visibility filter hid.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pms_runbook.resources.answer import BadAnswer, excerpt_of, expect_object, json_type, load_json, total
from pms_runbook.transports.sql import query

PROPERTIES = "/api/v1/public/properties"
FILTER_OPTIONS = "/api/v1/public/properties/filter-options"
SETTINGS = "/api/v1/public/site/settings"
ANON_POLICIES = ("amenities_select_anon", "property_amenities_select_anon")

# One public host per agency: its primary domain, else the first (C21 L139-141).
HOSTS_SQL = """
SELECT DISTINCT ON (agency_id) agency_id::text, domain FROM public.agency_domains
ORDER BY agency_id, is_primary DESC, created_at, domain
"""
# Every domain of every agency: each must also be in ALLOWED_HOSTS (05-direct-booking-hardening, "Adding a
# Customer Domain"), not only the one the runbook's own site uses.
DOMAINS_SQL = "SELECT agency_id::text, lower(domain) FROM public.agency_domains ORDER BY agency_id, domain"
HOST_AGENCY_SQL = "SELECT agency_id::text FROM public.agency_domains WHERE lower(domain) = lower(%s) LIMIT 1"
# C10 L350-353
POLICIES_SQL = """
SELECT policyname, roles::text FROM pg_policies
WHERE tablename IN ('amenities', 'property_amenities') AND policyname LIKE '%%anon%%'
"""
# The reference SQL of C10 L399-408: the amenities of the agency's public and active properties.
AMENITIES_SQL = """
SELECT DISTINCT a.name, a.icon, a.category, a.sort_order FROM public.amenities a
JOIN public.property_amenities pa ON pa.amenity_id = a.id JOIN public.properties p ON p.id = pa.property_id
WHERE a.agency_id = %s AND a.is_active = true AND p.is_public = true AND p.is_active = true
ORDER BY a.sort_order, a.name
"""
# C29 L97-110: the agency's properties a guest must see (the rule: is_public AND is_active), and the ones the
# admin shows as listed ("Gelistet") that the rule hides, with their flags.
PROPERTIES_SQL = """
SELECT id::text, name, is_public, is_active, listed_at IS NOT NULL FROM public.properties
WHERE agency_id = %s AND ((is_public AND is_active) OR listed_at IS NOT NULL) ORDER BY name, id
"""


@dataclass(frozen=True)
class StoredProperty:
    id: str
    name: str
    is_public: bool
    is_active: bool
    listed: bool

    @property
    def visible(self) -> bool:
        return self.is_public and self.is_active

    def flags(self) -> str:
        return f"is_public={str(self.is_public).lower()} is_active={str(self.is_active).lower()} " \
               f"listed={'yes' if self.listed else 'no'}"


def agency_hosts(conn) -> dict[str, str]:
    """agency id -> its public host."""
    return dict(query(conn, HOSTS_SQL))


def agency_domains(conn) -> dict[str, str]:
    """domain -> its agency id, every row of agency_domains."""
    return {domain: agency for agency, domain in query(conn, DOMAINS_SQL)}


def agency_of_host(conn, host: str) -> str | None:
    rows = query(conn, HOST_AGENCY_SQL, (host,))
    return rows[0][0] if rows else None


def anon_policies(conn) -> set[str]:
    return {row[0] for row in query(conn, POLICIES_SQL)}


def reference_amenities(conn, agency_id: str) -> list[str]:
    return [row[0] for row in query(conn, AMENITIES_SQL, (agency_id,))]


def properties_for_guests(conn, agency_id: str) -> list[StoredProperty]:
    return [StoredProperty(*row) for row in query(conn, PROPERTIES_SQL, (agency_id,))]


@total("GET " + PROPERTIES)
def parse_property_ids(body: Any) -> list[str]:
    """The ids of a public properties answer: a bare array (PSA L18246) or `{items: [...]}` (C29 L93)."""
    data = load_json(body, endpoint="GET " + PROPERTIES)
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise BadAnswer("GET " + PROPERTIES, f"expected an array or {{items: [...]}}, got {json_type(data)}",
                        excerpt_of(body))
    ids = [expect_object(i, "GET " + PROPERTIES, body, "a property").get("id") for i in items]
    if not all(isinstance(i, str) for i in ids):
        raise BadAnswer("GET " + PROPERTIES, "a property without a string id", excerpt_of(body))
    return ids


@total("GET " + FILTER_OPTIONS)
def parse_amenity_names(body: Any) -> list[str]:
    """The names in `.amenities` of filter-options (items are objects with a name, or plain strings)."""
    data = expect_object(load_json(body, endpoint="GET " + FILTER_OPTIONS), "GET " + FILTER_OPTIONS, body)
    amenities = data.get("amenities")
    if not isinstance(amenities, list):
        raise BadAnswer("GET " + FILTER_OPTIONS, f".amenities is {json_type(amenities)}, expected an array",
                        excerpt_of(body))
    return [a if isinstance(a, str) else str((a or {}).get("name") or (a or {}).get("label") or "?")
            for a in amenities]


def public_params(host: str, **params) -> dict:
    """The documented way to name the tenant to the API host: `?public_host=` (C21 L110-122), not a forced Host."""
    return {"public_host": host, **params}
