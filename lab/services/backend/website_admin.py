"""The website admin router under /api/v1/website (quickref Q2): the CMS pages of the caller's agency.

`blocks` is a JSON array in the table; a value stored double-encoded (a JSONB string holding the array)
reaches Python as a str, which `PageAdminResponse` rejects ("blocks Input should be a valid list").
`normalize_blocks()` (the documented fix) parses such a string; a JSON object stays what it is.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from psycopg.rows import dict_row
from pydantic import BaseModel

from lab.services.backend.auth import Principal, current_principal

log = logging.getLogger("pms.website_admin")

router = APIRouter(prefix="/api/v1/website", tags=["website"])


class PageAdminResponse(BaseModel):
    id: UUID
    slug: str
    title: str
    meta_title: str | None
    meta_description: str | None
    blocks: list[dict[str, Any]]
    is_published: bool
    sort_order: int
    template: str
    created_at: datetime
    updated_at: datetime


def normalize_blocks(blocks: Any) -> Any:
    """A double-encoded value (a JSON string holding the array) as the array; anything else unchanged."""
    if isinstance(blocks, str):
        try:
            return json.loads(blocks)
        except ValueError:
            log.warning("page blocks are a string that is not JSON")
    return blocks


def normalized(row: dict) -> dict:
    return {**row, "blocks": normalize_blocks(row["blocks"])}


PAGE_COLUMNS = ("id, slug, title, meta_title, meta_description, blocks, is_published, sort_order, template, "
                "created_at, updated_at")


@router.get("/pages", response_model=list[PageAdminResponse])
def list_pages(request: Request, principal: Principal = Depends(current_principal)):
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT {PAGE_COLUMNS} FROM public_site_pages WHERE agency_id = %s ORDER BY sort_order, slug",
                    (principal.agency_id,))
        return [normalized(row) for row in cur.fetchall()]


@router.get("/pages/{page_id}", response_model=PageAdminResponse)
def get_page(page_id: UUID, request: Request, principal: Principal = Depends(current_principal)):
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT {PAGE_COLUMNS} FROM public_site_pages WHERE id = %s AND agency_id = %s",
                    (page_id, principal.agency_id))
        row = cur.fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="Page not found")
    return normalized(row)
