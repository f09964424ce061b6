"""The admin's other catalogues: properties (/api/v1/properties), amenities (/api/v1/amenities, a bare
JSON array) and visitor tax (/api/v1/visitor-tax/..., chapter 31), each for the caller's agency."""
from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from psycopg.rows import dict_row

from lab.services.backend.auth import Principal, current_principal

router = APIRouter(tags=["catalogues"])


@router.get("/api/v1/properties")
def list_properties(request: Request, principal: Principal = Depends(current_principal),
                    limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)) -> dict:
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("""SELECT id, name, property_type, city, postal_code, bedrooms, max_guests, base_price::float AS
                              base_price, is_public, is_active, listed_at, (listed_at IS NOT NULL) AS is_listed,
                              visitor_tax_location_id
                       FROM properties WHERE agency_id = %s ORDER BY name, id LIMIT %s OFFSET %s""",
                    (principal.agency_id, limit, offset))
        items = cur.fetchall()
        cur.execute("SELECT count(*) AS n FROM properties WHERE agency_id = %s", (principal.agency_id,))
        return {"items": items, "total": cur.fetchone()["n"], "limit": limit, "offset": offset}


@router.get("/api/v1/properties/{property_id}")
def get_property(property_id: UUID, request: Request, principal: Principal = Depends(current_principal)) -> dict:
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("""SELECT id, name, property_type, city, postal_code, bedrooms, max_guests, base_price::float AS
                              base_price, is_public, is_active, listed_at, (listed_at IS NOT NULL) AS is_listed,
                              visitor_tax_location_id
                       FROM properties WHERE id = %s AND agency_id = %s""", (property_id, principal.agency_id))
        row = cur.fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="Property not found")
    return row


@router.get("/api/v1/amenities")
def list_amenities(request: Request, principal: Principal = Depends(current_principal)) -> list[dict]:
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("""SELECT id, name, description, category, icon, sort_order, is_active FROM amenities
                       WHERE agency_id = %s ORDER BY sort_order, name""", (principal.agency_id,))
        return cur.fetchall()


@router.get("/api/v1/visitor-tax/locations")
def visitor_tax_locations(request: Request, principal: Principal = Depends(current_principal),
                          include_archived: bool = False) -> list[dict]:
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("""SELECT l.id, l.name, l.description, l.postal_codes, l.archived_at,
                              COALESCE(json_agg(json_build_object('id', p.id, 'label', p.label, 'date_from', p.date_from,
                                  'date_to', p.date_to, 'amount_cents', p.amount_cents,
                                  'free_under_age', p.free_under_age, 'active', p.active) ORDER BY p.date_from)
                                  FILTER (WHERE p.id IS NOT NULL), '[]') AS periods
                       FROM visitor_tax_locations l LEFT JOIN visitor_tax_periods p ON p.location_id = l.id
                       WHERE l.agency_id = %s AND (%s OR l.archived_at IS NULL)
                       GROUP BY l.id ORDER BY l.name""", (principal.agency_id, include_archived))
        return cur.fetchall()


@router.get("/api/v1/visitor-tax/suggest")
def visitor_tax_suggest(request: Request, postal_code: str, principal: Principal = Depends(current_principal)) -> dict:
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("""SELECT id, name FROM visitor_tax_locations
                       WHERE agency_id = %s AND archived_at IS NULL AND %s = ANY(postal_codes) ORDER BY name LIMIT 1""",
                    (principal.agency_id, postal_code))
        return {"postal_code": postal_code, "location": cur.fetchone()}
