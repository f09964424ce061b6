"""The public website's API under /api/v1/public (quickref Q2, Q5, Q7, Q9): no auth, the tenant resolved
from the host the guest asked for, every query run as the `anon` role so that row-level security decides
what a guest sees, as the chapters on the amenities filter and the visibility rule describe.

Tenant: `?public_host=`, then `x-public-host`, then X-Forwarded-Host (only with TRUST_PROXY_HEADERS=true),
then Host; the port is dropped and agency_domains.domain gives the agency. Visibility of a property: the
rule of PUBLIC_VISIBILITY_RULE, R2 by default (is_public AND is_active; R1 is_public only; R3 R2 AND
listed_at IS NOT NULL; R4 is_public AND listed_at IS NOT NULL).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from fastapi import APIRouter, HTTPException, Query, Request, Response
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from pydantic import BaseModel

from lab.services.backend.website_admin import normalize_blocks

log = logging.getLogger("pms.public_site")

router = APIRouter(prefix="/api/v1/public", tags=["public"])

SITE_CACHE = "public, max-age=60, stale-while-revalidate=300"
PROPERTIES_CACHE = "public, max-age=30, stale-while-revalidate=120"
FILTER_OPTIONS_CACHE = "public, max-age=60"
VISIBILITY = {
    "R1": "p.is_public = true",
    "R2": "p.is_public = true AND p.is_active = true",
    "R3": "p.is_public = true AND p.is_active = true AND p.listed_at IS NOT NULL",
    "R4": "p.is_public = true AND p.listed_at IS NOT NULL",
}


def visibility() -> str:
    return VISIBILITY.get(os.environ.get("PUBLIC_VISIBILITY_RULE", "R2").strip().upper(), VISIBILITY["R2"])


def request_host(request: Request, public_host: str | None) -> str:
    """extract_request_host(): the override first, then the proxy's header when trusted, then Host."""
    trust = os.environ.get("TRUST_PROXY_HEADERS", "false").strip().lower() in ("1", "true", "yes", "on")
    host = (public_host or request.headers.get("x-public-host")
            or (request.headers.get("x-forwarded-host") if trust else None) or request.headers.get("host") or "")
    host = host.split(",")[0].strip().lower().rstrip(".")
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@contextmanager
def anon(request: Request) -> Iterator[psycopg.Cursor]:
    """A cursor in a transaction run as `anon` (RLS applies, as for Supabase's public client)."""
    with request.app.state.db.connection() as conn, conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SET LOCAL ROLE anon")
        yield cur


def resolve_agency(cur: psycopg.Cursor, request: Request, public_host: str | None) -> UUID:
    host = request_host(request, public_host)
    cur.execute("SELECT agency_id FROM agency_domains WHERE lower(domain) = %s ORDER BY is_primary DESC LIMIT 1",
                (host,))
    row = cur.fetchone()
    if row is None:
        log.warning("Could not resolve agency for public host %r (no agency_domains row)", host)
        raise HTTPException(status_code=404, detail=f"No agency found for host '{host}'")
    return row["agency_id"]


class PageResponse(BaseModel):
    id: UUID
    slug: str
    title: str
    meta_title: str | None
    meta_description: str | None
    blocks: list[dict[str, Any]]


class PublicProperty(BaseModel):
    id: UUID
    name: str
    property_type: str
    city: str | None
    postal_code: str | None
    bedrooms: int | None
    max_guests: int | None
    base_price: float | None
    currency: str
    is_active: bool
    amenities: list[str]


@router.api_route("/ping", methods=["GET", "HEAD"])
def ping() -> dict:
    return {"status": "ok"}


@router.get("/site/settings")
def site_settings(request: Request, response: Response, public_host: str | None = None) -> dict:
    with anon(request) as cur:
        agency_id = resolve_agency(cur, request, public_host)
        cur.execute("""SELECT site_name, logo_url, primary_color, accent_color, phone, email, nav, footer_links,
                              seo_defaults, social_links, prettify_html FROM public_site_settings WHERE agency_id = %s""",
                    (agency_id,))
        row = cur.fetchone() or {"site_name": None, "logo_url": None, "primary_color": None, "accent_color": None,
                                 "phone": None, "email": None, "nav": [], "footer_links": [], "seo_defaults": {},
                                 "social_links": {}, "prettify_html": False}
    response.headers["Cache-Control"] = SITE_CACHE
    return {"agency_id": str(agency_id), **row}


@router.get("/site/pages")
def site_pages(request: Request, response: Response, public_host: str | None = None) -> list[dict]:
    with anon(request) as cur:
        agency_id = resolve_agency(cur, request, public_host)
        cur.execute("SELECT slug, title FROM public_site_pages WHERE agency_id = %s ORDER BY sort_order, slug",
                    (agency_id,))
        rows = cur.fetchall()
    response.headers["Cache-Control"] = SITE_CACHE
    return rows


@router.get("/site/pages/{slug}", response_model=PageResponse)
def site_page(slug: str, request: Request, response: Response, public_host: str | None = None):
    with anon(request) as cur:
        agency_id = resolve_agency(cur, request, public_host)
        cur.execute("""SELECT id, slug, title, meta_title, meta_description, blocks FROM public_site_pages
                       WHERE agency_id = %s AND slug = %s""", (agency_id, slug))
        row = cur.fetchone()  # RLS: anon sees published pages only
    if row is None:
        raise HTTPException(status_code=404, detail="Page not found")
    response.headers["Cache-Control"] = SITE_CACHE
    return {**row, "blocks": normalize_blocks(row["blocks"])}


_PROPERTY_SELECT = """
SELECT p.id, p.name, p.property_type, p.city, p.postal_code, p.bedrooms, p.max_guests, p.base_price::float AS base_price,
       p.currency, p.is_active,
       COALESCE((SELECT array_agg(a.name ORDER BY a.sort_order, a.name) FROM property_amenities pa
                 JOIN amenities a ON a.id = pa.amenity_id WHERE pa.property_id = p.id), '{{}}') AS amenities
FROM properties p
WHERE p.agency_id = %(agency)s AND {visible} {extra}
"""


@router.get("/properties")
def properties(request: Request, response: Response, public_host: str | None = None,
               limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0), city: str | None = None,
               property_type: str | None = None, min_guests: int | None = None, paginated: bool = False):
    extra = "".join(f" AND {clause}" for value, clause in ((city, "p.city = %(city)s"),
                                                            (property_type, "p.property_type = %(ptype)s"),
                                                            (min_guests, "p.max_guests >= %(guests)s"))
                    if value is not None)
    params = {"city": city, "ptype": property_type, "guests": min_guests, "limit": limit, "offset": offset}
    with anon(request) as cur:
        params["agency"] = resolve_agency(cur, request, public_host)
        where = _PROPERTY_SELECT.format(visible=visibility(), extra=extra)
        cur.execute(f"SELECT count(*) AS n FROM ({where}) q", params)
        total = cur.fetchone()["n"]
        cur.execute(f"{where} ORDER BY p.name, p.id LIMIT %(limit)s OFFSET %(offset)s", params)
        items = [PublicProperty(**row).model_dump(mode="json") for row in cur.fetchall()]
    response.headers["Cache-Control"] = PROPERTIES_CACHE
    return {"items": items, "total": total, "limit": limit, "offset": offset} if paginated else items


@router.get("/properties/filter-options")
def filter_options(request: Request, response: Response, public_host: str | None = None) -> dict:
    with anon(request) as cur:
        agency = resolve_agency(cur, request, public_host)
        visible = visibility()
        cur.execute(f"""SELECT array_remove(array_agg(DISTINCT p.city), NULL) AS cities,
                               array_agg(DISTINCT p.property_type) AS property_types,
                               min(p.base_price)::float AS min_price, max(p.base_price)::float AS max_price,
                               max(p.max_guests) AS max_guests
                        FROM properties p WHERE p.agency_id = %s AND {visible}""", (agency,))
        facts = cur.fetchone()
        try:
            with cur.connection.transaction():  # a savepoint: a refused read must not end the request
                cur.execute(f"""SELECT DISTINCT a.name, a.icon, a.category, a.sort_order FROM amenities a
                                JOIN property_amenities pa ON pa.amenity_id = a.id
                                JOIN properties p ON p.id = pa.property_id
                                WHERE a.agency_id = %s AND a.is_active = true AND {visible}
                                ORDER BY a.sort_order, a.name""", (agency,))
                amenities = cur.fetchall()
        except pg_errors.InsufficientPrivilege as exc:
            log.error("filter-options: amenities query failed: %s", exc.diag.message_primary)
            amenities = []
    response.headers["Cache-Control"] = FILTER_OPTIONS_CACHE
    return {"cities": sorted(facts["cities"] or []), "property_types": sorted(facts["property_types"] or []),
            "amenities": amenities,
            "price_range": {"min": facts["min_price"], "max": facts["max_price"]}, "max_guests": facts["max_guests"]}


@router.get("/properties/{property_id}")
def property_detail(property_id: UUID, request: Request, response: Response, public_host: str | None = None):
    with anon(request) as cur:
        agency = resolve_agency(cur, request, public_host)
        cur.execute(_PROPERTY_SELECT.format(visible=visibility(), extra=" AND p.id = %(id)s"),
                    {"agency": agency, "id": property_id})
        row = cur.fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="Property not found")
    response.headers["Cache-Control"] = PROPERTIES_CACHE
    return PublicProperty(**row).model_dump(mode="json")
