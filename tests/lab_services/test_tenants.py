"""Step 4 over every tenant, against the lab's backend on a throwaway PostgreSQL.

The SQL twin of the batch list (pms_runbook.resources.database) must give the API's figures for the same window,
edge cases included; `tenants.gather` must read every active connection of the three seeded agencies,
the ops user's two through the API with x-agency-id and the third through SQL.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from lab import records
from pms_runbook.resources import database, tenants
from pms_runbook.resources.channel_manager import summarize
from pms_runbook.resources.pms_api import PmsApi
from pms_runbook.secrets import Secret
from pms_runbook.transports.http import Target, Timeouts
from tests.lab_services.conftest import make_token

TAG = "test-tenants"


@pytest.fixture
def pms(lab):
    target = Target(lab.backend_url, Timeouts(connect=3, read=10, total=20), name="PMS API")
    yield PmsApi(target)
    target.close()


@pytest.fixture
def ro(lab):
    with psycopg.connect(lab.db_url, autocommit=True) as conn:
        conn.read_only = True
        yield conn


@pytest.fixture
def edge_cases(db, lab):
    """Batches at the edges of the API's rules, on one ops connection."""
    cid = lab.seeded.active_connection_ids[0]
    now = datetime.now(UTC)
    records.insert_batch(db, cid, ["queued", "triggered", "running"], now - timedelta(minutes=5), tag=TAG)
    records.insert_batch(db, cid, ["success", "cancelled", "success"], now - timedelta(hours=3), tag=TAG)
    records.insert_batch(db, cid, ["failed", "running", "success"], now - timedelta(hours=4), tag=TAG)
    # Straddles the window's start: its created_at_min is before it, so the window leaves it out.
    bid = records.insert_batch(db, cid, ["success"], now - timedelta(hours=24, minutes=30), tag=TAG)
    records.insert_batch(db, cid, ["failed", "success"], now - timedelta(hours=2), tag=TAG, batch_id=bid)
    yield cid
    records.delete_tagged(db, TAG)


def _key(b):
    return (b.batch_id, b.batch_status, tuple(sorted(b.status_counts.items())), b.created_at_min, b.updated_at_max)


def test_sql_batches_are_the_apis_figures_for_the_same_window(pms, ro, edge_cases, lab):
    token = Secret(make_token(), "access_token")
    now = datetime.now(UTC)
    since = now - timedelta(hours=24)
    ids = [str(c) for c in lab.seeded.active_connection_ids]
    api = pms.sync_history(token, ids, hours=24, now=now)
    sql = database.batches(ro, ids, since)
    for cid in ids:
        in_window = [b for b in api[cid] if b.when and b.when >= since]
        assert sorted(map(_key, in_window)) == sorted(map(_key, sql[cid])), cid
        a, q = summarize(api[cid], now=now), summarize(sql[cid], now=now)
        assert (a.total, a.failed, a.running, a.success, a.other_batches, a.other_count) == \
            (q.total, q.failed, q.running, q.success, q.other_batches, q.other_count), cid
    edge = {b.batch_status for b in sql[str(edge_cases)]}
    assert {"running", "unknown", "failed", "success"} <= edge


def test_every_active_connection_of_every_agency_is_read(pms, ro, db, lab):
    token = Secret(make_token(), "access_token")
    now = datetime.now(UTC)
    cov = tenants.gather(pms, token, ro, hours=24, now=now, max_pages=50)
    s = lab.seeded
    api = {str(c) for c in s.active_connection_ids} | {str(c) for c in s.member_connection_ids[:3]}
    sql = {str(c) for c in s.other_connection_ids[:2]}
    assert {cid for cid, c in cov.checked.items() if c.via == tenants.API} == api
    assert {cid for cid, c in cov.checked.items() if c.via == tenants.SQL} == sql
    assert not cov.unread and not cov.not_listed and not cov.blind
    assert cov.summary() == ("Step 4: 11 active connections of 3 agencies (9 via API for 2 member agencies, "
                             "2 via SQL)")
    assert {c.agency.name for c in cov.checked.values()} == {"Lab Ops Agency", "Lab Partner Agency",
                                                              "Lab Other Agency 1"}
    # Each window holds exactly the connection's batches of the last 24 h: the seeded 12, plus any that
    # other tests of this stack triggered (counted from the table itself, by the owner).
    for cid, c in cov.checked.items():
        (truth,) = db.execute(
            """SELECT count(*) FROM (SELECT min(created_at) AS first FROM channel_sync_logs
                                     WHERE connection_id = %s AND batch_id IS NOT NULL GROUP BY batch_id) b
               WHERE first >= %s""", (cid, now - timedelta(hours=24))).fetchone()
        assert c.window.total == truth >= 12, (cid, c.window.total, truth)


def test_a_failure_in_an_agency_nobody_is_a_member_of_is_seen_via_sql(pms, ro, db, lab):
    token = Secret(make_token(), "access_token")
    cid = lab.seeded.other_connection_ids[0]
    now = datetime.now(UTC)
    try:
        for h in (1, 2, 3):
            records.insert_batch(db, cid, ["failed"] * 3, now - timedelta(minutes=30 * h), tag=TAG)
        cov = tenants.gather(pms, token, ro, hours=24, now=now, max_pages=50)
    finally:
        records.delete_tagged(db, TAG)
    seen = cov.checked[str(cid)]
    assert seen.via == tenants.SQL and seen.window.failed == 3 and seen.agency.name == "Lab Other Agency 1"
    assert "read via SQL" in seen.label and "Lab Other Agency 1" in seen.label


def test_without_the_database_only_the_default_agency_is_read_and_the_rest_is_named(pms, lab):
    token = Secret(make_token(), "access_token")
    cov = tenants.gather(pms, token, None, hours=24, now=datetime.now(UTC), max_pages=50)
    assert {cid for cid in cov.checked} == {str(c) for c in lab.seeded.active_connection_ids}
    assert cov.blind and "no PMS_DB_DSN" in cov.blind[0]
    assert "not seen" in cov.summary()


def test_an_active_member_connection_the_api_does_not_list_is_named(pms, ro, db, lab):
    token = Secret(make_token(), "access_token")
    # An API that leaves one active connection of the member agency out of its list (the lab fault
    # connection-list-truncated does it with a real bad build; here one connection, to name it exactly).
    cid = lab.seeded.member_connection_ids[1]

    class Hiding(PmsApi):
        def connections(self, token, agency_id=None, **kw):
            return [c for c in super().connections(token, agency_id, **kw) if c.id != str(cid)]

    cov = tenants.gather(Hiding(pms.target), token, ro, hours=24, now=datetime.now(UTC), max_pages=50)
    assert len(cov.not_listed) == 1 and str(cid) in cov.not_listed[0] and "Lab Partner Agency" in cov.not_listed[0]


def test_a_member_agency_the_api_cannot_read_is_named_not_dropped(pms, ro, lab):
    from pms_runbook.redflag import CouldNotCheck

    token = Secret(make_token(), "access_token")
    member = str(lab.seeded.member_agency_id)

    class Refusing(PmsApi):
        def connections(self, token, agency_id=None, **kw):
            if agency_id == member:
                raise CouldNotCheck("GET /api/v1/channel-connections/", "it answered 503")
            return super().connections(token, agency_id, **kw)

    cov = tenants.gather(Refusing(pms.target), token, ro, hours=24, now=datetime.now(UTC), max_pages=50)
    assert len(cov.unread) == 3 and all("Lab Partner Agency" in k and "503" in v for k, v in cov.unread.items())
    assert not cov.not_listed  # unread is not "not listed"
    with pytest.raises(CouldNotCheck, match="3 active connection"):
        cov.require_all_read()
