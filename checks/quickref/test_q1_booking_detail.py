"""Quick reference: "Booking detail returns 500 — ResponseValidationError on status field". Every booking whose
status the old 8-value literal refuses is asked for as the admin's /bookings/{id} page asks (Bearer, its
agency, the admin's Origin); the API's own description must list the new statuses."""
import re

import pytest

from fixtures.guest import not_member_note, require_some
from pms_runbook.redflag import CouldNotCheck, red_flag
from pms_runbook.resources import bookings
from pms_runbook.resources.pms_api import expect_ok, failure_shown, parsed

pytestmark = [pytest.mark.daily, pytest.mark.postdeploy, pytest.mark.nightly,
              pytest.mark.runbook("booking-status-validation-error-500")]


@pytest.mark.redflag("Q1")
def test_bookings_with_the_new_statuses_are_served(profile_names, db, as_member, token, settings, evidence):
    stored = bookings.exposed(db)
    evidence.attach_text("bookings outside the 8 legacy statuses (SQL)",
                         "\n".join(f"{b.id} {b.status} agency {b.agency_id}" for b in stored) or "none: nothing exposed")
    origin = re.match(r"^https?://[^/]+", settings.admin_url or "") if settings.admin_url else None
    headers = {"Origin": origin.group(0)} if origin else {}
    failed, skipped, checked = [], [], 0
    for b in stored:
        answer = as_member(f"/api/v1/bookings/{b.id}", b.agency_id, headers=headers)
        if answer is None:
            skipped.append(b.agency_id)
            continue
        checked += 1
        evidence.attach_http(answer)
        acao = answer.headers.get("access-control-allow-origin")
        if answer.status == 500 and failure_shown(answer, token) is None:
            failed.append(f"{b.id} (DB status {b.status!r}) -> HTTP 500, "
                          f"{'no Access-Control-Allow-Origin' if acao is None else f'ACAO {acao}'}")
        elif (got := parsed(expect_ok(answer, token), bookings.parse_status)) != b.status:
            failed.append(f"{b.id} (DB status {b.status!r}) -> HTTP 200 with status {got!r}")
    if stored:
        require_some(checked, "the booking detail endpoint", sorted(set(skipped)))
    assert not failed, red_flag("Q1", names=profile_names, observed="\n".join(failed) + not_member_note(sorted(set(skipped))),
                                count=len(failed), statuses=", ".join(sorted({b.status for b in stored})))


@pytest.mark.redflag("Q1")
def test_the_api_describes_the_new_booking_statuses(profile_names, openapi, evidence):
    answer, doc = openapi
    path = next((p for p in sorted(doc.paths) if re.fullmatch(r"/api/v1/bookings/\{[^}]+\}", p)), None)
    schema = doc.response_schema(path) if path else None
    enum = doc.enum_of(schema, "status") if schema else None
    if enum is None:
        raise CouldNotCheck("the BookingStatus enum in /openapi.json",
                            "it has no GET /api/v1/bookings/{id} with a status enum in its response")
    evidence.attach_text(f"{schema}.status in /openapi.json", ", ".join(sorted(enum)))
    missing = [s for s in bookings.ADDED_STATUSES if s not in enum]
    assert not missing, red_flag("Q1", names=profile_names, case="openapi", missing=", ".join(missing),
                                 observed=f"{path} -> {schema}.status enum: {', '.join(sorted(enum))}")
