"""Bookings under /api/v1/bookings (quickref Q1): the list and the detail the admin's /bookings/{id} renders.

The response model's `status` is the `BookingStatus` literal. Pydantic validates the response as it
serialises it, so a stored status outside the literal is a ResponseValidationError: a 500 produced by the
server-error path, outside the CORS middleware, so it carries no Access-Control-Allow-Origin.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from psycopg.rows import dict_row
from pydantic import BaseModel

from lab.services.backend.auth import Principal, current_principal

router = APIRouter(prefix="/api/v1/bookings", tags=["bookings"])

BookingStatus = Literal[
    "requested", "under_review", "inquiry", "pending", "confirmed", "checked_in", "checked_out", "cancelled",
    "declined", "no_show",
]
# What the admin list's server-side ?status= filter accepts (LEG L40112; it omits no_show).
LIST_FILTER_STATUSES = ("requested", "under_review", "inquiry", "pending", "confirmed", "checked_in", "checked_out",
                        "cancelled", "declined")


class BookingResponse(BaseModel):
    id: UUID
    booking_reference: str
    status: BookingStatus
    property_id: UUID
    check_in: date
    check_out: date
    num_nights: int
    guest_id: UUID | None
    nightly_rate: Decimal | None
    subtotal: Decimal | None
    cleaning_fee: Decimal | None
    service_fee: Decimal | None
    tax: Decimal | None
    total_price: Decimal | None
    currency: str
    channel_booking_id: str | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = ("id, booking_reference, status, property_id, check_in, check_out, num_nights, guest_id, nightly_rate, "
            "subtotal, cleaning_fee, service_fee, tax, total_price, currency, channel_booking_id, created_at, "
            "updated_at")


@router.get("", response_model=list[BookingResponse])
def list_bookings(request: Request, principal: Principal = Depends(current_principal),
                  limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0),
                  status: str | None = Query(None)):
    if status is not None and status not in LIST_FILTER_STATUSES:
        raise HTTPException(status_code=422, detail=f"Invalid status filter: {status}")
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"""SELECT {_COLUMNS} FROM bookings WHERE agency_id = %s AND (%s::text IS NULL OR status = %s)
                        ORDER BY created_at DESC, id LIMIT %s OFFSET %s""",
                    (principal.agency_id, status, status, limit, offset))
        return cur.fetchall()


@router.get("/{booking_id}", response_model=BookingResponse)
def get_booking(booking_id: UUID, request: Request, principal: Principal = Depends(current_principal)):
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM bookings WHERE id = %s AND agency_id = %s", (booking_id, principal.agency_id))
        row = cur.fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="Booking not found")
    return row
