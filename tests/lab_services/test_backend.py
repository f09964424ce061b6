"""pms-backend against a real PostgreSQL, Redis and Celery worker (contract §2-§5)."""

from __future__ import annotations

import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from lab import migrate, records
from tests.lab_services import procs
from tests.lab_services.conftest import ADMIN_USER_ID, JWT_SECRET, SOURCE_COMMIT, make_token

pytestmark = pytest.mark.slow

CONNECTION_FIELDS = {
    "id",
    "tenant_id",
    "property_id",
    "platform_type",
    "platform_listing_id",
    "status",
    "platform_metadata",
    "last_sync_at",
    "created_at",
    "updated_at",
}
COUNT_KEYS = {"triggered", "running", "success", "failed", "other"}
UPGRADE = "20260101030000_channel_connections_schema_upgrade.sql"
OPERATION_TYPE_FIX = "20260101140000_fix_channel_sync_logs_operation_type_check.sql"


def _connections(api: httpx.Client) -> list[dict]:
    response = api.get("/api/v1/channel-connections/")
    assert response.status_code == 200, response.text
    return response.json()


# --- health and version ---------------------------------------------------------------------------


def test_health_is_up_and_head_has_an_empty_body(anon):
    response = anon.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "up"
    assert response.json()["checked_at"].endswith("Z")
    head = anon.head("/health")
    assert head.status_code == 200 and head.content == b""


def test_ready_has_the_prod_shape_and_head_mirrors_it(anon, lab):
    body = anon.get("/health/ready").json()
    assert body["status"] == "up" and body["checked_at"]
    assert set(body["components"]) == {"db", "redis", "celery"}
    for name, comp in body["components"].items():
        assert set(comp) == {"status", "details", "error", "checked_at"}, name
        assert comp["status"] == "up", (name, comp)
    assert body["components"]["db"]["details"] is None
    assert body["components"]["redis"]["details"] == {"ping": True}
    assert len(body["components"]["celery"]["details"]["workers"]) == 1
    assert body["components"]["celery"]["details"]["workers"][0].startswith("celery@")
    head = anon.head("/health/ready")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == "application/json"


def test_version_reports_the_deployed_commit(anon):
    body = anon.get("/api/v1/ops/version").json()
    assert body["service"] == "pms-backend"
    assert body["source_commit"] == SOURCE_COMMIT
    assert body["environment"] == "lab"
    assert body["api_version"] == "0.1.0"
    datetime.fromisoformat(body["started_at"])


def test_startup_logs_one_pool_creation_with_generation_1(lab):
    backend_log = lab.stack.procs[0].log()
    created = [line for line in backend_log.splitlines() if "pool created successfully" in line]
    assert len(created) == 1, backend_log[-2000:]
    assert "generation=1" in created[0] and "host=127.0.0.1" in created[0]
    assert backend_log.count("Started server process") == 1


# --- auth ----------------------------------------------------------------------------------------


def test_list_without_token_is_401_not_authenticated(anon):
    response = anon.get("/api/v1/channel-connections/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


# Tokens are made when the test runs, not at collection: a suite slower than their TTL would expire them.
@pytest.mark.parametrize(
    "make, detail",
    [
        (lambda: make_token(secret="not-the-secret-" * 3), "Invalid authentication token"),
        (lambda: make_token(ttl=-60), "Token has expired"),
        (lambda: make_token(aud="anon"), "Invalid authentication token"),
        (lambda: "null", "Invalid authentication token"),
        (lambda: "a.b.c", "Invalid authentication token"),
    ],
    ids=["bad-signature", "expired", "wrong-audience", "null", "not-a-jwt"],
)
def test_bad_tokens_are_401_with_the_runbook_details(anon, make, detail):
    response = anon.get("/api/v1/channel-connections/", headers={"Authorization": f"Bearer {make()}"})
    assert response.status_code == 401
    assert response.json() == {"detail": detail}


def test_bad_signature_is_logged(anon, lab):
    anon.get(
        "/api/v1/channel-connections/", headers={"Authorization": f"Bearer {make_token(secret='x' * 32)}"}
    )
    procs.wait_for(lambda: "JWT token validation failed" in lab.stack.procs[0].log(), 5, what="log line")


def test_user_without_membership_is_404(anon):
    # contract §3.2: with no membership at all, 404
    token = make_token(uuid.uuid4())
    response = anon.get("/api/v1/channel-connections/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert "agency" in response.json()["detail"].lower()


def test_x_agency_id_of_a_member_agency_lists_its_connections(api, lab):
    member = lab.seeded.member_agency_id
    response = api.get("/api/v1/channel-connections/", headers={"x-agency-id": str(member)})
    assert response.status_code == 200
    assert {c["id"] for c in response.json()} == {str(c) for c in lab.seeded.member_connection_ids}
    assert {c["tenant_id"] for c in response.json()} == {str(member)}
    cid = lab.seeded.member_connection_ids[0]
    assert api.get(f"/api/v1/channel-connections/{cid}/sync-batches").status_code == 404  # not the default
    assert api.get(f"/api/v1/channel-connections/{cid}/sync-batches",
                   headers={"x-agency-id": str(member)}).status_code == 200


def test_agency_id_claim_of_a_member_agency_is_honoured(anon, lab):
    token = make_token(lab.seeded.admin_user_id, agency_id=str(lab.seeded.member_agency_id))
    response = anon.get("/api/v1/channel-connections/", headers={"Authorization": f"Bearer {token}"})
    assert {c["tenant_id"] for c in response.json()} == {str(lab.seeded.member_agency_id)}


def test_x_agency_id_of_a_foreign_agency_is_403(api, lab):
    other = lab.seeded.other_agency_ids[0]
    response = api.get("/api/v1/channel-connections/", headers={"x-agency-id": str(other)})
    assert response.status_code == 403


# --- connections ---------------------------------------------------------------------------------


def test_list_without_trailing_slash_redirects_307_to_the_slash_path(api):
    response = api.get("/api/v1/channel-connections", follow_redirects=False)
    assert response.status_code == 307
    assert urlsplit(response.headers["location"]).path == "/api/v1/channel-connections/"
    assert response.content == b""


def test_list_is_a_top_level_array_of_the_agencys_live_connections(api, lab):
    items = _connections(api)
    assert isinstance(items, list)
    assert {item["id"] for item in items} == {str(c) for c in lab.seeded.ops_connection_ids}
    for item in items:
        assert set(item) == CONNECTION_FIELDS
        assert item["tenant_id"] == str(lab.seeded.ops_agency_id)
    statuses = sorted(item["status"] for item in items)
    assert statuses.count("paused") == 1 and statuses.count("inactive") == 1


def test_soft_deleted_connections_are_not_listed(api, db, lab):
    cid = records.add_connection(db, lab.seeded.ops_agency_id, tag="test-soft-delete")
    try:
        assert str(cid) in {c["id"] for c in _connections(api)}
        db.execute("UPDATE channel_connections SET deleted_at = now() WHERE id = %s", (cid,))
        assert str(cid) not in {c["id"] for c in _connections(api)}
    finally:
        records.delete_tagged(db, "test-soft-delete")


def test_foreign_connection_is_404(api, lab):
    foreign = lab.seeded.other_connection_ids[0]
    assert api.get(f"/api/v1/channel-connections/{foreign}").status_code == 404
    assert api.get(f"/api/v1/channel-connections/{foreign}/sync-batches").status_code == 404


# --- sync trigger --------------------------------------------------------------------------------


def test_full_sync_runs_through_the_real_worker(api, db, lab):
    cid = lab.seeded.active_connection_ids[0]
    before = db.execute("SELECT last_sync_at FROM channel_connections WHERE id = %s", (cid,)).fetchone()[0]
    response = api.post(f"/api/v1/channel-connections/{cid}/sync", json={"sync_type": "full"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "triggered"
    assert body["message"] == "Manual full sync triggered successfully"
    assert len(body["task_ids"]) == 3
    batch_id = body["batch_id"]

    def finished():
        detail = api.get(f"/api/v1/channel-connections/{cid}/sync-batches/{batch_id}").json()
        return detail if detail["batch_status"] != "running" else None

    try:
        detail = procs.wait_for(finished, 20, interval=0.3, what="batch to finish")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{lab.logs()}") from None
    assert detail["batch_status"] == "success", detail
    assert detail["status_counts"] == {"triggered": 0, "running": 0, "success": 3, "failed": 0, "other": 0}
    ops = {op["operation_type"]: op for op in detail["operations"]}
    assert set(ops) == {"availability_update", "pricing_update", "bookings_sync"}
    assert {op["task_id"] for op in ops.values()} == set(body["task_ids"])
    assert all(op["duration_ms"] is not None and op["duration_ms"] >= 0 for op in ops.values())
    after = db.execute("SELECT last_sync_at FROM channel_connections WHERE id = %s", (cid,)).fetchone()[0]
    assert after > before
    assert "celery@" in lab.worker.log() and "succeeded" in lab.worker.log()


@pytest.mark.parametrize("payload, status", [({"sync_type": "everything"}, 400), ({}, 422)])
def test_sync_type_is_validated(api, lab, payload, status):
    cid = lab.seeded.active_connection_ids[0]
    response = api.post(f"/api/v1/channel-connections/{cid}/sync", json=payload)
    assert response.status_code == status
    if status == 400:
        assert "Invalid sync_type. Must be one of:" in response.json()["detail"]


def test_sync_on_bad_or_unknown_ids(api):
    assert (
        api.post("/api/v1/channel-connections/not-a-uuid/sync", json={"sync_type": "full"}).status_code == 422
    )
    response = api.post(f"/api/v1/channel-connections/{uuid.uuid4()}/sync", json={"sync_type": "full"})
    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "Connection not found", "task_ids": []}


def test_trigger_first_fails_stale_in_flight_logs(api, db, lab):
    tag = "test-stale"
    cid = records.add_connection(db, lab.seeded.ops_agency_id, tag=tag)
    try:
        old = datetime.now(UTC) - timedelta(hours=2)
        stale = records.insert_batch(db, cid, ["running", "triggered", "queued"], old, tag=tag)
        fresh = records.insert_batch(
            db, cid, ["running"], datetime.now(UTC) - timedelta(minutes=5), tag=tag
        )
        response = api.post(f"/api/v1/channel-connections/{cid}/sync", json={"sync_type": "availability"})
        assert response.status_code == 200, response.text
        assert response.json()["message"] == "Manual availability sync triggered successfully"
        rows = db.execute(
            "SELECT status, error FROM channel_sync_logs WHERE batch_id = %s", (stale,)
        ).fetchall()
        assert {r[0] for r in rows} == {"failed"}
        assert all(
            r[1].startswith("Marked stale (no update for 12") and "Likely worker restart" in r[1]
            for r in rows
        )
        still = db.execute("SELECT status FROM channel_sync_logs WHERE batch_id = %s", (fresh,)).fetchone()[0]
        assert still == "running"
    finally:
        records.delete_tagged(db, tag)


# --- sync logs and batches -----------------------------------------------------------------------


def test_sync_logs_shape_paging_and_filters(api, lab):
    cid = lab.seeded.active_connection_ids[1]
    body = api.get(f"/api/v1/channel-connections/{cid}/sync-logs").json()
    assert set(body) == {"connection_id", "logs", "limit", "offset"}
    assert body["limit"] == 50 and body["offset"] == 0 and len(body["logs"]) == 50
    created = [log["created_at"] for log in body["logs"]]
    assert created == sorted(created, reverse=True)
    assert set(body["logs"][0]) == {
        "id",
        "connection_id",
        "operation_type",
        "direction",
        "status",
        "details",
        "error",
        "task_id",
        "batch_id",
        "created_at",
        "updated_at",
    }
    batch_id = body["logs"][0]["batch_id"]
    one = api.get(f"/api/v1/channel-connections/{cid}/sync-logs", params={"batch_id": batch_id}).json()
    assert {log["batch_id"] for log in one["logs"]} == {batch_id} and len(one["logs"]) == 3
    assert api.get(f"/api/v1/channel-connections/{cid}/sync-logs", params={"limit": 101}).status_code == 422


def test_batch_list_shape_order_and_paging(api, lab):
    cid = lab.seeded.active_connection_ids[1]
    body = api.get(f"/api/v1/channel-connections/{cid}/sync-batches").json()
    assert set(body) == {"items", "limit", "offset"} and body["limit"] == 50 and body["offset"] == 0
    items = body["items"]
    assert len(items) == 50
    for item in items:
        assert set(item) == {
            "batch_id",
            "connection_id",
            "batch_status",
            "status_counts",
            "created_at_min",
            "updated_at_max",
            "operations",
        }
        assert set(item["status_counts"]) == COUNT_KEYS
        assert {"operation_type", "status", "updated_at"} <= set(item["operations"][0])
    newest_first = [item["updated_at_max"] for item in items]
    assert newest_first == sorted(newest_first, reverse=True)
    page2 = api.get(
        f"/api/v1/channel-connections/{cid}/sync-batches", params={"limit": 10, "offset": 10}
    ).json()
    assert [i["batch_id"] for i in page2["items"]] == [i["batch_id"] for i in items[10:20]]
    assert (
        api.get(f"/api/v1/channel-connections/{cid}/sync-batches", params={"limit": 200}).status_code == 200
    )
    assert (
        api.get(f"/api/v1/channel-connections/{cid}/sync-batches", params={"limit": 201}).status_code == 422
    )


def test_batch_status_counting_and_precedence(api, db, lab):
    tag = "test-precedence"
    cid = records.add_connection(db, lab.seeded.ops_agency_id, tag=tag)
    now = datetime.now(UTC)
    cases = {
        "failed wins over running": (
            ["success", "failed", "running"],
            "failed",
            {"success": 1, "failed": 1, "running": 1},
        ),
        "failed wins over queued and cancelled": (
            ["failed", "cancelled", "queued"],
            "failed",
            {"failed": 1, "other": 1, "triggered": 1},
        ),
        "running": (["success", "running", "success"], "running", {"success": 2, "running": 1}),
        "queued counts as triggered": (
            ["queued", "success", "success"],
            "running",
            {"triggered": 1, "success": 2},
        ),
        "all triggered": (["triggered"] * 3, "running", {"triggered": 3}),
        "cancelled is other": (["success", "success", "cancelled"], "unknown", {"success": 2, "other": 1}),
        "all success": (["success"] * 3, "success", {"success": 3}),
    }
    try:
        ids = {}
        for i, (name, (statuses, _expected, _counts)) in enumerate(cases.items()):
            ids[name] = str(
                records.insert_batch(db, cid, statuses, now - timedelta(minutes=10 * (i + 1)), tag=tag)
            )
        for name, (_statuses, expected, counts) in cases.items():
            detail = api.get(f"/api/v1/channel-connections/{cid}/sync-batches/{ids[name]}").json()
            assert detail["batch_status"] == expected, name
            assert detail["status_counts"] == {**dict.fromkeys(COUNT_KEYS, 0), **counts}, name
            assert detail["connection_id"] == str(cid) and detail["batch_id"] == ids[name]
        listed = api.get(f"/api/v1/channel-connections/{cid}/sync-batches").json()["items"]
        assert [i["batch_id"] for i in listed] == list(ids.values())  # inserted newest first
        for wanted in ("failed", "running", "success"):
            got = api.get(f"/api/v1/channel-connections/{cid}/sync-batches", params={"status": wanted}).json()
            expected_ids = [ids[n] for n, (_s, status, _c) in cases.items() if status == wanted]
            assert [i["batch_id"] for i in got["items"]] == expected_ids, wanted
        bad = api.get(f"/api/v1/channel-connections/{cid}/sync-batches", params={"status": "stuck"})
        assert bad.status_code == 400
        assert bad.json()["error"] == "invalid_status" and "stuck" in bad.json()["message"]
    finally:
        records.delete_tagged(db, tag)


def test_unknown_batch_is_404_batch_not_found(api, lab):
    cid = lab.seeded.active_connection_ids[0]
    response = api.get(f"/api/v1/channel-connections/{cid}/sync-batches/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["error"] == "batch_not_found"


def test_head_on_batch_endpoints_is_405(api, lab):
    cid = lab.seeded.active_connection_ids[0]
    batch_id = api.get(f"/api/v1/channel-connections/{cid}/sync-batches", params={"limit": 1}).json()[
        "items"
    ][0]["batch_id"]
    assert api.head(f"/api/v1/channel-connections/{cid}/sync-batches").status_code == 405
    assert api.head(f"/api/v1/channel-connections/{cid}/sync-batches/{batch_id}").status_code == 405


# --- schema drift --------------------------------------------------------------------------------


def test_dropped_column_is_a_503_schema_drift_and_reapplying_the_upgrade_heals_it(api, anon, db):
    db.execute("ALTER TABLE channel_connections DROP COLUMN platform_metadata")
    try:
        response = api.get("/api/v1/channel-connections/")
        assert response.status_code == 503
        body = response.json()
        assert body["error"] == "service_unavailable"
        assert body["message"].startswith("Database schema not installed or out of date:")
        assert "platform_metadata" in body["message"] and UPGRADE in body["message"]
        # Drift leaves readiness green: the DB answers, only the schema is wrong.
        assert anon.get("/health/ready").status_code == 200
    finally:
        assert migrate.apply(db, only=[UPGRADE], reapply=True) == [UPGRADE]
    healed = api.get("/api/v1/channel-connections/")
    assert healed.status_code == 200
    assert all(item["platform_metadata"] == {} for item in healed.json())


def test_missing_sync_logs_table_names_its_migration(api, db, lab):
    cid = lab.seeded.active_connection_ids[0]
    db.execute("ALTER TABLE channel_sync_logs RENAME TO channel_sync_logs_hidden")
    try:
        response = api.get(f"/api/v1/channel-connections/{cid}/sync-batches")
    finally:
        db.execute("ALTER TABLE channel_sync_logs_hidden RENAME TO channel_sync_logs")
    assert response.status_code == 503
    assert response.json() == {
        "error": "service_unavailable",
        "message": "Channel sync logs schema not installed (missing table: channel_sync_logs). "
        "Run DB migration: supabase/migrations/20251227000000_create_channel_sync_logs.sql",
    }


def test_old_operation_type_constraint_blocks_bookings_with_a_503(api, db, lab):
    cid = lab.seeded.active_connection_ids[2]
    db.execute("""ALTER TABLE channel_sync_logs DROP CONSTRAINT channel_sync_logs_operation_type_check,
                  ADD CONSTRAINT channel_sync_logs_operation_type_check CHECK (operation_type IN
                  ('full_sync', 'availability_update', 'pricing_update', 'bookings_import', 'calendar_sync',
                   'listing_update')) NOT VALID""")
    try:
        response = api.post(f"/api/v1/channel-connections/{cid}/sync", json={"sync_type": "bookings"})
        assert response.status_code == 503
        assert "constraint blocks 'bookings'" in response.json()["message"]
    finally:
        migrate.apply(db, only=[OPERATION_TYPE_FIX], reapply=True)
    assert (
        api.post(f"/api/v1/channel-connections/{cid}/sync", json={"sync_type": "bookings"}).status_code == 200
    )


# --- DB down at startup: degraded mode, then self-heal -------------------------------------------


def test_backend_without_db_starts_degraded_and_reconnects_in_the_background(lab):
    port = procs.free_port()
    _proc, url = procs.start_backend(
        lab.stack,
        name="backend-degraded",
        extra_env={
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/postgres",
            "DB_STARTUP_MAX_WAIT_SECONDS": "1.5",
            "DB_STARTUP_RETRY_INTERVAL_SECONDS": "0.5",
            "DB_BACKGROUND_RECONNECT_INTERVAL_SECONDS": "1",
        },
    )
    proc = lab.stack.procs[-1]
    procs.wait_for(lambda: "DEGRADED MODE" in proc.log(), 15, what="degraded-mode log line")
    log = proc.log()
    assert "Database connection attempt 1 failed (connection refused" in log
    assert "Retrying in 0.5s" in log
    with httpx.Client(base_url=url, timeout=10) as client:
        assert client.get("/health").status_code == 200
        started = time.monotonic()
        ready = client.get("/health/ready")
        assert time.monotonic() - started < 3.5
        assert ready.status_code == 503
        assert ready.json()["components"]["db"]["status"] == "down"
        assert ready.json()["components"]["db"]["error"].startswith("connection refused")
        listed = client.get(
            "/api/v1/channel-connections/", headers={"Authorization": f"Bearer {make_token()}"}
        )
        assert listed.status_code == 503
        assert listed.json() == {
            "error": "service_unavailable",
            "message": "Database is temporarily unavailable.",
        }

        # The DB comes up on that address: the background task creates the pool, no restart.
        # (not tmp_path: pytest's temp root is private to root, initdb runs as postgres)
        pg2_base = procs.make_base()
        pg2 = procs.start_postgres(pg2_base, port=port)
        try:
            procs.wait_for(lambda: "Background reconnection: SUCCESS" in proc.log(), 15, what="reconnect")
            assert "pool created successfully" in proc.log()
            assert client.get("/health/ready").status_code == 200
        finally:
            proc.stop()
            pg2.stop()
            shutil.rmtree(pg2_base, ignore_errors=True)


def test_token_from_the_gateway_is_accepted_by_the_backend(lab):
    from fastapi.testclient import TestClient

    from lab.services.auth.main import create_app

    users = f'[{{"id": "{ADMIN_USER_ID}", "email": "ops@lab.test", "password": "pw"}}]'
    gateway = TestClient(create_app({"ANON_KEY": "k", "JWT_SECRET": JWT_SECRET, "LAB_USERS_JSON": users}))
    token = gateway.post(
        "/auth/v1/token?grant_type=password",
        headers={"apikey": "k"},
        json={"email": "ops@lab.test", "password": "pw"},
    ).json()["access_token"]
    response = httpx.get(
        lab.backend_url + "/api/v1/channel-connections/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200 and len(response.json()) == len(lab.seeded.ops_connection_ids)
