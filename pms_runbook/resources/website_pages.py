"""Website pages (quickref Q2): `blocks` of public_site_pages in SQL, the admin list GET /api/v1/website/pages
(a JSON array of pages) and the public twin GET /api/v1/public/site/pages/{slug}."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pms_runbook.resources.answer import BadAnswer, excerpt_of, expect_object, json_type, load_json, total
from pms_runbook.transports.sql import query

PAGES = "/api/v1/website/pages"
PUBLIC_PAGE = "/api/v1/public/site/pages/{slug}"

# C25 L26-28, widened to every non-array shape (an object is not repaired by the documented fix either).
NOT_ARRAY_SQL = """
SELECT id::text, agency_id::text, slug, jsonb_typeof(blocks) FROM public.public_site_pages
WHERE jsonb_typeof(blocks) IS DISTINCT FROM 'array' ORDER BY agency_id, slug LIMIT 50
"""
AGENCIES_SQL = "SELECT DISTINCT agency_id::text FROM public.public_site_pages ORDER BY 1"


@dataclass(frozen=True)
class StoredPage:
    id: str
    agency_id: str
    slug: str
    blocks_type: str | None


def pages_not_arrays(conn) -> list[StoredPage]:
    return [StoredPage(*row) for row in query(conn, NOT_ARRAY_SQL)]


def agencies_with_pages(conn) -> list[str]:
    return [row[0] for row in query(conn, AGENCIES_SQL)]


@dataclass(frozen=True)
class Page:
    slug: str
    blocks_type: str  # "an array" when healthy (answer.json_type's words)


@total("GET " + PAGES)
def parse_pages(body: Any) -> list[Page]:
    """The admin list: a JSON array of pages (C25 L91), each with its blocks' JSON type."""
    data = load_json(body, endpoint="GET " + PAGES)
    if not isinstance(data, list):
        raise BadAnswer("GET " + PAGES, f"the list is {json_type(data)}, expected an array", excerpt_of(body))
    return [_page(p, "GET " + PAGES, body) for p in data]


@total("GET " + PUBLIC_PAGE)
def parse_public_page(body: Any) -> Page:
    data = expect_object(load_json(body, endpoint="GET " + PUBLIC_PAGE), "GET " + PUBLIC_PAGE, body)
    return _page(data, "GET " + PUBLIC_PAGE, body)


def _page(p: Any, endpoint: str, body: Any) -> Page:
    p = expect_object(p, endpoint, body, "a page")
    return Page(str(p.get("slug", "?")), json_type(p.get("blocks")))
