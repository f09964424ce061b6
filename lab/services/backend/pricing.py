"""Extra services (quickref Q6, chapter 16): the catalogue under /api/v1/pricing/extra-services and the
per-property assignments under /api/v1/properties/{id}/extra-services.

`BillingUnit` is the literal the frontend type must equal. A value the literal lacks is a 422; a value the
table's CHECK lacks (the per_unit_night migration not applied) fails the INSERT: a 500.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from pydantic import BaseModel, Field

from lab.services.backend.auth import Principal, current_principal

router = APIRouter(tags=["extra-services"])

BillingUnit = Literal["per_night", "per_stay", "per_person_per_night", "per_person_per_stay", "per_unit",
                      "per_unit_night"]
SERVICES = "/api/v1/pricing/extra-services"


class ExtraService(BaseModel):
    id: UUID
    name: str
    description: str | None
    billing_unit: BillingUnit
    default_price_cents: int
    currency_code: str
    is_active: bool
    sort_order: int
    created_at: datetime
    updated_at: datetime


class ExtraServiceCreate(BaseModel):
    name: str = Field(min_length=1)
    description: str | None = None
    billing_unit: BillingUnit
    default_price_cents: int = Field(ge=0)
    currency_code: str = "EUR"
    is_active: bool = True
    sort_order: int = 0


class ExtraServiceUpdate(BaseModel):
    name: str | None = None
    description: str | None = None
    billing_unit: BillingUnit | None = None
    default_price_cents: int | None = Field(default=None, ge=0)
    is_active: bool | None = None
    sort_order: int | None = None


class Assignment(BaseModel):
    id: UUID
    property_id: UUID
    service_id: UUID
    is_enabled: bool
    included_by_default: bool
    price_override_cents: int | None
    billing_unit_override: BillingUnit | None
    max_quantity: int | None
    sort_order: int


_SERVICE_COLUMNS = ("id, name, description, billing_unit, default_price_cents, currency_code, is_active, sort_order, "
                    "created_at, updated_at")


@router.get(SERVICES, response_model=list[ExtraService])
def list_services(request: Request, principal: Principal = Depends(current_principal)):
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT {_SERVICE_COLUMNS} FROM extra_services WHERE agency_id = %s ORDER BY sort_order, name",
                    (principal.agency_id,))
        return cur.fetchall()


@router.post(SERVICES, response_model=ExtraService, status_code=201)
def create_service(body: ExtraServiceCreate, request: Request, principal: Principal = Depends(current_principal)):
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"""INSERT INTO extra_services (agency_id, name, description, billing_unit, default_price_cents,
                                                    currency_code, is_active, sort_order)
                        VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_SERVICE_COLUMNS}""",
                    (principal.agency_id, body.name, body.description, body.billing_unit, body.default_price_cents,
                     body.currency_code, body.is_active, body.sort_order))
        return cur.fetchone()


@router.patch(SERVICES + "/{service_id}", response_model=ExtraService)
def update_service(service_id: UUID, body: ExtraServiceUpdate, request: Request,
                   principal: Principal = Depends(current_principal)):
    fields = body.model_dump(exclude_unset=True)
    sets = ", ".join(f"{name} = %({name})s" for name in fields) or "name = name"
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"UPDATE extra_services SET {sets} WHERE id = %(id)s AND agency_id = %(agency)s "
                    f"RETURNING {_SERVICE_COLUMNS}", {**fields, "id": service_id, "agency": principal.agency_id})
        row = cur.fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="Extra service not found")
    return row


@router.get("/api/v1/properties/{property_id}/extra-services", response_model=list[Assignment])
def list_assignments(property_id: UUID, request: Request, principal: Principal = Depends(current_principal)):
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT 1 FROM properties WHERE id = %s AND agency_id = %s", (property_id, principal.agency_id))
        if cur.fetchone() is None:
            raise HTTPException(status_code=404, detail="Property not found")
        cur.execute("""SELECT id, property_id, service_id, is_enabled, included_by_default, price_override_cents,
                              billing_unit_override, max_quantity, sort_order
                       FROM property_extra_services WHERE property_id = %s ORDER BY sort_order, id""", (property_id,))
        return cur.fetchall()


class AssignmentCreate(BaseModel):
    service_id: UUID
    billing_unit_override: BillingUnit | None = None
    price_override_cents: int | None = Field(default=None, ge=0)
    included_by_default: bool = False
    max_quantity: int | None = None


@router.post("/api/v1/properties/{property_id}/extra-services", response_model=Assignment, status_code=201)
def assign(property_id: UUID, body: AssignmentCreate, request: Request, principal: Principal = Depends(current_principal)):
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT 1 FROM properties WHERE id = %s AND agency_id = %s", (property_id, principal.agency_id))
        if cur.fetchone() is None:
            raise HTTPException(status_code=404, detail="Property not found")
        try:
            cur.execute("""INSERT INTO property_extra_services (property_id, service_id, billing_unit_override,
                                                                price_override_cents, included_by_default, max_quantity)
                           VALUES (%s, %s, %s, %s, %s, %s)
                           RETURNING id, property_id, service_id, is_enabled, included_by_default, price_override_cents,
                                     billing_unit_override, max_quantity, sort_order""",
                        (property_id, body.service_id, body.billing_unit_override, body.price_override_cents,
                         body.included_by_default, body.max_quantity))
        except pg_errors.UniqueViolation:
            raise HTTPException(status_code=409, detail="Service already assigned to this property") from None
        except pg_errors.ForeignKeyViolation:
            raise HTTPException(status_code=404, detail="Extra service not found") from None
        return cur.fetchone()
