"""Bookings (quickref Q1): the stored statuses the old `BookingStatus` literal refuses, and the detail
answer the admin's /bookings/{id} page reads (its status, and whether CORS headers came with it)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pms_runbook.resources.answer import BadAnswer, excerpt_of, expect_object, load_json, total
from pms_runbook.transports.sql import query

# The literal before the fix (8 values) and the values the fix added (LEG L2421-2431).
LEGACY_STATUSES = ("inquiry", "pending", "confirmed", "checked_in", "checked_out", "cancelled", "declined", "no_show")
ADDED_STATUSES = ("requested", "under_review")
DETAIL = "/api/v1/bookings/{id}"
LIMIT = 20

# LEG L2406, one row per exposed booking, newest first.
EXPOSED_SQL = f"""
SELECT id::text, agency_id::text, status, created_at FROM public.bookings
WHERE status NOT IN ({", ".join(f"'{s}'" for s in LEGACY_STATUSES)})
ORDER BY created_at DESC LIMIT {LIMIT}
"""


@dataclass(frozen=True)
class StoredBooking:
    id: str
    agency_id: str
    status: str


def exposed(conn) -> list[StoredBooking]:
    """Bookings whose status the old literal does not accept (at most LIMIT, newest first)."""
    return [StoredBooking(i, a, s) for i, a, s, _ in query(conn, EXPOSED_SQL)]


@total("GET " + DETAIL)
def parse_status(body: Any) -> str:
    """The `status` of a booking detail answer."""
    data = expect_object(load_json(body, endpoint="GET " + DETAIL), "GET " + DETAIL, body)
    status = data.get("status")
    if not isinstance(status, str):
        raise BadAnswer("GET " + DETAIL, "no string `status` in the booking", excerpt_of(body))
    return status
