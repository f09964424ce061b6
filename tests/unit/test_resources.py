"""Parsers against recorded answers in the shapes the contract documents (tests/unit/data/*.json)."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pms_runbook import secrets
from pms_runbook.resources.answer import EXCERPT_CHARS, BadAnswer
from pms_runbook.resources.auth import parse_token_response
from pms_runbook.resources.channel_manager import parse_batch, parse_batch_list, parse_connection_list
from pms_runbook.resources.containers import format_table, human_duration, parse_container
from pms_runbook.resources.errors import parse_error_body, schema_drift_message
from pms_runbook.resources.health import parse_liveness, parse_readiness
from pms_runbook.resources.version import commit_matches, parse_version, validate_expected_commit
from pms_runbook.secrets import Secret

DATA = Path(__file__).parent / "data"


def raw(name: str) -> bytes:
    return (DATA / name).read_bytes()


def doc(name: str):
    return json.loads(raw(name))


# ------------------------------------------------------------------------------------ /health

@pytest.mark.parametrize("name,status", [("health_up.json", "up"), ("health_healthy.json", "healthy"),
                                         ("health_ok.json", "ok")])
def test_liveness_accepts_every_documented_body(name, status):
    live = parse_liveness(raw(name))
    assert live.status == status
    assert live.alive


def test_liveness_keeps_checked_at_and_service():
    assert parse_liveness(raw("health_up.json")).checked_at == datetime(2026, 1, 6, 10, 14, 32, 123456, UTC)
    assert parse_liveness(raw("health_ok.json")).service == "pms-backend"


def test_liveness_unknown_status_is_data_not_alive():
    live = parse_liveness(b'{"status": "starting"}')
    assert live.status == "starting" and not live.alive


@pytest.mark.parametrize("body,reason", [
    (b"", "empty body"),
    (b"no available server", "not JSON"),
    (b"<html><title>502 Bad Gateway</title></html>", "HTML"),
    (b'{"detail": "Not Found"}', "no `status`"),
    (b'["up"]', "expected an object"),
    (b'{"status": 1}', "expected a string"),
])
def test_liveness_bad_answers(body, reason):
    with pytest.raises(BadAnswer) as e:
        parse_liveness(body)
    assert reason in e.value.reason
    assert e.value.endpoint == "/health"


# ------------------------------------------------------------------------------ /health/ready

def test_readiness_prod_shape_up():
    r = parse_readiness(raw("ready_prod_up.json"))
    assert r.shape == "components" and r.up and r.status == "up"
    assert set(r.components) == {"db", "redis", "celery"}
    assert r.down_components == []
    assert r.workers == ["celery@dd8f3a134e29"]
    db = r.components["db"]
    assert db.status == "up" and db.details is None and db.error is None
    assert db.checked_at == datetime(2026, 1, 6, 10, 14, 33, 412000, UTC)
    assert r.components["redis"].details == {"ping": True}


def test_readiness_prod_db_down_with_skipped_components():
    r = parse_readiness(raw("ready_prod_db_down.json"))
    assert not r.up and r.status == "down"
    assert r.down_components == ["db"]
    assert r.components["db"].error == "connection refused"
    assert r.components["redis"].skipped and not r.components["redis"].down
    assert r.workers is None  # celery skipped: no worker list to judge


def test_readiness_two_workers():
    r = parse_readiness(raw("ready_two_workers.json"))
    assert r.down_components == ["celery"]
    assert len(r.workers) == 2
    assert "Expected exactly 1 worker, found 2" in r.components["celery"].error


def test_readiness_legacy_checks_shape():
    r = parse_readiness(raw("ready_legacy_ready.json"))
    assert r.shape == "checks" and r.up and r.raw_status == "ready"
    assert set(r.components) == {"db", "redis", "celery"}  # "database" is normalised to "db"
    assert r.workers == ["celery@pms-worker-v2-abc123"]
    d = parse_readiness(raw("ready_legacy_degraded.json"))
    assert d.status == "down" and d.raw_status == "degraded"
    assert sorted(d.down_components) == ["celery", "redis"]
    assert d.workers == []


def test_readiness_flat_shape():
    r = parse_readiness(raw("ready_flat_healthy.json"))
    assert r.shape == "flat" and r.up and set(r.components) == {"db", "redis", "celery"}
    assert r.workers is None
    u = parse_readiness(raw("ready_flat_unhealthy.json"))
    assert not u.up and u.down_components == ["db"]


def test_readiness_mixed_dep_script_shape():
    """DEP's sequential script: status "ready" with a components object."""
    body = {"status": "ready", "components": {"celery": {"status": "up", "details": {"workers": "celery@x"}}}}
    r = parse_readiness(body)
    assert r.up and r.shape == "components" and r.workers == ["celery@x"]


def test_readiness_runbook_minimal_example():
    body = {"status": "up", "components": {"db": {"status": "up"}, "redis": {"status": "up"},
                                           "celery": {"status": "up", "details": {"workers": ["celery@pms-worker-v2-..."]}}},
            "checked_at": "2026-01-01T12:00:00Z"}
    r = parse_readiness(json.dumps(body))
    assert r.up and r.workers == ["celery@pms-worker-v2-..."]


def test_readiness_unknown_top_status_is_down_but_kept():
    r = parse_readiness({"status": "starting", "components": {}})
    assert r.status == "down" and r.raw_status == "starting"


def test_readiness_unknown_component_status_counts_as_down():
    r = parse_readiness({"status": "up", "components": {"db": {"status": "flapping"}}})
    assert r.components["db"].status == "flapping" and r.down_components == ["db"]


@pytest.mark.parametrize("body", [
    {"detail": "Not Found"},
    {"status": "up", "components": ["db"]},
    {"status": "up", "components": {"db": 5}},
    {"status": "up", "components": {"db": {"error": "x"}}},
    {"status": ["up"]},
])
def test_readiness_bad_answers(body):
    with pytest.raises(BadAnswer):
        parse_readiness(body)


# ----------------------------------------------------------------------------------- version

def test_version_prod_fields():
    v = parse_version(raw("version_prod.json"))
    assert v.service == "pms-backend" and v.environment == "development" and v.api_version == "0.1.0"
    assert v.source_commit == "5767b154a1c3e9f0d2b8a7c6e5f4d3c2b1a09876"
    assert v.started_at == datetime(2026, 1, 6, 9, 58, 12, 345678, UTC)
    assert v.shape == "runbook"


def test_version_march_fields():
    v = parse_version(raw("version_march.json"))
    assert v.api_version == "1.4.2" and v.python_version == "3.12.8" and v.uptime_seconds == 5123.4
    assert v.service is None and v.shape == "march"
    assert v.source_commit.startswith("95503f1")


def test_version_admin_and_not_set():
    v = parse_version(raw("version_admin.json"), endpoint="/api/ops/version")
    assert v.service == "pms-admin" and v.api_version is None
    assert commit_matches(v.source_commit, "5767b15")
    n = parse_version(raw("version_admin_notset.json"))
    assert n.source_commit is None and not n.commit_set
    assert parse_version({"service": "pms-backend", "source_commit": None}).source_commit is None


@pytest.mark.parametrize("body", [{"source_commit": 5767154}, {"status": "up"}, [], {"service": "x", "api_version": {}}])
def test_version_bad_answers(body):
    with pytest.raises(BadAnswer):
        parse_version(body)


@pytest.mark.parametrize("deployed,expected,ok", [
    ("5767b154a1c3e9f0d2b8a7c6e5f4d3c2b1a09876", "5767b15", True),
    ("5767B154A1C3E9F0D2B8A7C6E5F4D3C2B1A09876", "5767b154a1c3", True),
    ("5767b154a1c3e9f0d2b8a7c6e5f4d3c2b1a09876", "5767B154A1C3E9F0D2B8A7C6E5F4D3C2B1A09876", True),
    ("5767b15", "5767b154a1c3e9f0d2b8a7c6e5f4d3c2b1a09876", True),  # short deployed SHA, same commit
    ("5767b154a1c3e9f0d2b8a7c6e5f4d3c2b1a09876", "95503f1", False),
    (None, "5767b15", False),
    ("", "5767b15", False),
    ("(not set)", "5767b15", False),
    ("5767b1", "5767b154a1c3", False),  # under 7 characters deployed: no reverse prefix
    ("5767b154a1c3", "", False),
])
def test_commit_matches(deployed, expected, ok):
    assert commit_matches(deployed, expected) is ok


def test_validate_expected_commit():
    assert validate_expected_commit("  5767B15\n") == "5767b15"
    for bad, words in [("main", "not a hex"), ("abc", "too short"), ("", "empty"), ("g" * 7, "not a hex"),
                       ("a" * 65, "40")]:
        with pytest.raises(ValueError, match=words):
            validate_expected_commit(bad)
    with pytest.raises(ValueError):
        validate_expected_commit(None)


# ------------------------------------------------------------------------------- connections

@pytest.mark.parametrize("name", ["connections_array.json", "connections_items.json"])
def test_connection_list_both_envelopes(name):
    conns = parse_connection_list(raw(name))
    assert conns[0].id == "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert conns[0].active and conns[0].platform_type == "airbnb"
    assert conns[0].platform_listing_id == "AIRBNB-123456"


def test_connection_list_inactive_and_nulls():
    conns = parse_connection_list(raw("connections_array.json"))
    assert not conns[1].active and conns[1].status == "paused" and conns[1].property_id is None
    assert parse_connection_list(b"[]") == []
    assert parse_connection_list({"items": [], "limit": 50, "offset": 0}) == []


@pytest.mark.parametrize("body", [{"items": None}, {"items": {}}, {"data": []}, [1], [{"status": "active"}],
                                  [{"id": None}], [{"id": "x", "status": 3}], "[]x"])
def test_connection_list_bad_answers(body):
    with pytest.raises(BadAnswer):
        parse_connection_list(body)


# ----------------------------------------------------------------------------------- batches

def test_batch_list_items_envelope():
    batches = parse_batch_list(raw("batches_items.json"))
    assert [b.batch_status for b in batches] == ["success", "failed", "running"]
    ok = batches[0]
    assert ok.status_counts == {"triggered": 0, "running": 0, "success": 3, "failed": 0, "other": 0}
    assert ok.created_at_min == datetime(2026, 1, 6, 9, 0, 0, 120000, UTC)
    assert ok.created_at_min.tzinfo is not None
    assert [o.operation_type for o in ok.operations] == ["availability_update", "pricing_update", "bookings_sync"]
    assert batches[1].operations[1].error == "Database is temporarily unavailable."
    assert batches[2].updated_at_max is None and batches[2].operations == ()


def test_batch_list_bare_array_unknown_status_and_missing_counts():
    batches = parse_batch_list(raw("batches_array.json"))
    assert batches[0].batch_status == "unknown" and batches[0].status_counts["other"] == 3
    assert batches[1].status_counts == {"triggered": 0, "running": 0, "success": 3, "failed": 0, "other": 0}


def test_batch_detail():
    b = parse_batch(raw("batch_detail.json"))
    assert b.batch_status == "failed" and b.status_counts["failed"] == 1 and len(b.operations) == 3
    assert b.total_ops == 3 and b.when == b.created_at_min


def test_batch_status_kept_as_is_and_counts_folded():
    b = parse_batch({"batch_id": "b", "batch_status": "cancelled",
                       "status_counts": {"queued": 2, "weird": 1, "success": 1}})
    assert b.batch_status == "cancelled"
    assert b.status_counts == {"triggered": 2, "running": 0, "success": 1, "failed": 0, "other": 1}


def test_batch_counts_derived_from_operations_when_absent():
    b = parse_batch({"batch_id": "b", "batch_status": "running",
                       "operations": [{"status": "queued"}, {"status": "running"}, {"status": "cancelled"}]})
    assert b.status_counts == {"triggered": 1, "running": 1, "success": 0, "failed": 0, "other": 1}


@pytest.mark.parametrize("body", [
    {"batch_status": "success"},
    {"batch_id": "b"},
    {"batch_id": "b", "batch_status": "success", "status_counts": {"success": "3"}},
    {"batch_id": "b", "batch_status": "success", "status_counts": {"success": -1}},
    {"batch_id": "b", "batch_status": "success", "status_counts": {"success": True}},
    {"batch_id": "b", "batch_status": "success", "status_counts": []},
    {"batch_id": "b", "batch_status": "success", "created_at_min": "yesterday"},
    {"batch_id": "b", "batch_status": "success", "created_at_min": 1767268800},
    {"batch_id": "b", "batch_status": "success", "operations": {}},
    {"batch_id": "b", "batch_status": "success", "operations": ["x"]},
    {"batch_id": ["b"], "batch_status": "success"},
])
def test_batch_bad_answers(body):
    with pytest.raises(BadAnswer):
        parse_batch(body)


# ------------------------------------------------------------------------------------- token

def test_token_ok_is_secret_with_claims():
    body = raw("token_ok.json")
    tok = parse_token_response(body)
    value = json.loads(body)["access_token"]
    assert isinstance(tok.access_token, Secret) and tok.access_token.reveal() == value
    assert value not in repr(tok) and value not in str(tok)
    assert secrets.scrub(f"Authorization: Bearer {value}") == "Authorization: Bearer ***"
    assert tok.claims["role"] == "authenticated" and tok.role == "authenticated"
    assert tok.claims["aud"] == "authenticated"
    assert tok.expires_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert not tok.expired(datetime(2026, 1, 1, 11, 59, tzinfo=UTC))
    assert tok.expired(datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    assert tok.refresh_token is not None and "r3fr3sh" not in repr(tok)
    assert tok.bearer() == f"Bearer {value}"


@pytest.mark.parametrize("access,reason", [
    ("", "empty"),
    ("null", '"null"'),
    ("abc.def", "2 dot-separated"),
    ("a.b.c.d", "4 dot-separated"),
    (None, "is null"),
    (12, "a number"),
])
def test_token_refused(access, reason):
    with pytest.raises(BadAnswer) as e:
        parse_token_response({"access_token": access, "token_type": "bearer"})
    assert reason in e.value.reason


def test_token_missing_says_what_the_server_said():
    with pytest.raises(BadAnswer) as e:
        parse_token_response(raw("token_invalid_grant.json"))
    assert "Invalid login credentials" in e.value.reason


def test_token_undecodable_payload_gives_empty_claims():
    tok = parse_token_response({"access_token": "aaaa.bbbb.cccc", "expires_at": 1767268800})
    assert tok.claims == {} and tok.expires_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_token_response({"access_token": "aaaa.bbbb.cccc"}).expires_at is None


def test_token_bad_shape_never_shows_the_token_in_the_excerpt():
    leaked = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0leakcanary"
    with pytest.raises(BadAnswer) as e:
        parse_token_response(json.dumps({"access_token": leaked, "token_type": "bearer"}))
    assert leaked not in str(e.value) and leaked not in e.value.excerpt


# -------------------------------------------------------------------------------- error body

@pytest.mark.parametrize("name", ["error_schema_message.json", "error_schema_detail_str.json",
                                  "error_schema_detail_obj.json"])
def test_schema_drift_every_envelope(name):
    msg = schema_drift_message(raw(name))
    assert msg is not None and ("schema not installed" in msg.lower() or "out of date" in msg.lower())


@pytest.mark.parametrize("name", ["error_not_authenticated.json", "error_host_not_allowed.json",
                                  "error_db_unavailable.json", "error_batch_not_found.json"])
def test_schema_drift_none_for_other_errors(name):
    assert schema_drift_message(raw(name)) is None


def test_schema_drift_in_error_field_and_garbage():
    assert schema_drift_message({"error": "Schema Not Installed"}) == "Schema Not Installed"
    assert schema_drift_message(b"no available server") is None
    assert schema_drift_message(b"\xff\xfe") is None
    assert schema_drift_message(None) is None


def test_error_body_fields():
    e = parse_error_body(raw("error_host_not_allowed.json"))
    assert e.code == "host_not_allowed" and e.text == "Host 'evil.example' is not allowed"
    n = parse_error_body(raw("error_not_authenticated.json"))
    assert n.detail == "Not authenticated" and n.text == "Not authenticated" and n.code is None
    m = parse_error_body(raw("error_schema_message.json"))
    assert m.error == "service_unavailable" and m.message.startswith("Channel sync logs schema")
    v = parse_error_body({"detail": [{"loc": ["body", "sync_type"], "msg": "field required"}]})
    assert isinstance(v.detail, list)


# ------------------------------------------------------------------------------------ docker

NOW = datetime(2026, 1, 6, 10, 1, 30, tzinfo=UTC)


def test_container_running_backend():
    c = parse_container(doc("inspect_backend_running.json"), now=NOW)
    assert c.name == "pms-backend" and c.id == "dd8f3a134e29"
    assert c.up and not c.restarting and c.status == "running" and c.restart_count == 0
    assert c.image == "ghcr.io/kolibri-visions/pms-backend:main"
    assert c.networks == ("bccg4gs4o4kgsowocw08wkw4", "coolify")
    assert c.health == "healthy" and c.finished_at is None
    assert c.started_at == datetime(2026, 1, 6, 9, 58, 12, 345678, UTC)
    assert c.status_text == "Up 3 minutes (healthy)"
    assert c.env["SOURCE_COMMIT"] == "5767b154a1c3e9f0d2b8a7c6e5f4d3c2b1a09876"
    assert c.hostname == "dd8f3a134e29" and c.user == "app"
    assert "pms-backend" in c.aliases["coolify"]


def test_container_env_secrets_are_wrapped_and_scrubbed():
    c = parse_container(doc("inspect_backend_running.json"), now=NOW)
    for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "JWT_SECRET", "ENCRYPTION_KEY", "SENTRY_DSN"):
        assert isinstance(c.env[key], Secret), key
    for key in ("JWT_AUDIENCE", "ENABLE_REDIS_HEALTHCHECK", "PUBLIC_URL", "PATH", "LANG", "EMPTY"):
        assert isinstance(c.env[key], str), key
    assert c.env_value("JWT_SECRET") == "lab-only-jwt-secret-not-a-real-one-0123456789"
    assert "lab-only-jwt-secret" not in repr(c)
    # the URL's password alone (raw and decoded) is scrubbed too
    assert secrets.scrub("password Sup3r+SecretDbPw and r3dis%2Bpass") == "password *** and ***"


def test_container_restarting():
    c = parse_container(doc("inspect_backend_restarting.json"), now=NOW)
    assert c.restarting and not c.up and c.restart_count == 7 and c.exit_code == 1
    assert c.status_text == "Restarting (1) About a minute ago"


def test_container_exited_old_worker():
    c = parse_container(doc("inspect_old_worker_exited.json"), now=NOW)
    assert c.status == "exited" and not c.up and c.networks == ()
    assert c.status_text == "Exited (0) 26 hours ago"  # 25 h 31 min, rounded as docker does
    assert c.cmd[0] == "celery"


def test_parsers_accept_their_argument_by_keyword():
    assert parse_container(attrs=doc("inspect_worker_v2_running.json"), now=NOW).name == "pms-worker-v2"
    assert parse_liveness(body=raw("health_up.json")).alive


def test_container_docker_inspect_array_and_created():
    text = json.dumps([doc("inspect_worker_v2_running.json")])
    c = parse_container(text, now=NOW)
    assert c.name == "pms-worker-v2" and c.cmd == ("bash", "/app/scripts/ops/start_worker.sh")
    assert isinstance(c.env["CELERY_RESULT_BACKEND"], Secret)
    created = parse_container({"Name": "/x", "State": {"Status": "created", "StartedAt": "0001-01-01T00:00:00Z"}},
                                now=NOW)
    assert created.status_text == "Created" and created.started_at is None


@pytest.mark.parametrize("attrs", [None, [], {"State": {}}, {"Name": "/x"}, {"Name": "/x", "State": []},
                                   {"Name": "/", "State": {"Status": "running"}}, {"Name": "/x", "State": {}}])
def test_container_bad_attrs(attrs):
    with pytest.raises(BadAnswer):
        parse_container(attrs)


@pytest.mark.parametrize("delta,text", [
    (timedelta(seconds=0.5), "Less than a second"), (timedelta(seconds=1), "1 second"),
    (timedelta(seconds=42), "42 seconds"), (timedelta(seconds=90), "About a minute"),
    (timedelta(minutes=3), "3 minutes"), (timedelta(minutes=65), "About an hour"),
    (timedelta(hours=5), "5 hours"), (timedelta(days=3), "3 days"), (timedelta(days=20), "2 weeks"),
    (timedelta(days=90), "3 months"), (timedelta(days=800), "2 years"),
])
def test_human_duration_like_docker(delta, text):
    assert human_duration(delta) == text


def test_format_table():
    cs = [parse_container(doc(n), now=NOW) for n in
          ("inspect_backend_running.json", "inspect_backend_restarting.json", "inspect_old_worker_exited.json")]
    table = format_table(cs)
    lines = table.splitlines()
    assert lines[0].split() == ["NAMES", "STATUS", "IMAGE", "RESTARTS", "NETWORKS"]
    assert lines[1].startswith("pms-backend ") and "Up 3 minutes (healthy)" in lines[1]
    assert "bccg4gs4o4kgsowocw08wkw4,coolify" in lines[1]
    assert "Restarting (1)" in lines[2] and " 7 " in lines[2]
    assert lines[0].index("STATUS") == lines[1].index("Up 3")  # aligned columns
    assert "(no containers)" in format_table([])


# ------------------------------------------------------------------------------ BadAnswer itself

def test_bad_answer_excerpt_is_bounded_and_scrubbed():
    Secret("canary-secret-value-42", "canary")
    body = ("x" * 290 + "canary-secret-value-42" + "y" * 10_000).encode()
    with pytest.raises(BadAnswer) as e:
        parse_liveness(body)
    assert len(e.value.excerpt) <= EXCERPT_CHARS
    assert "canary-secret" not in e.value.excerpt and "canary-secret" not in str(e.value)


def test_body_size_limit_is_configurable():
    body = json.dumps({"status": "up", "pad": "x" * 2000}).encode()
    assert parse_liveness(body).alive
    with pytest.raises(BadAnswer, match="over the 1000-byte limit"):
        parse_liveness(body, max_bytes=1000)


def test_bad_answer_pickles():
    import pickle

    e = BadAnswer("/health", "reason", "excerpt")
    e2 = pickle.loads(pickle.dumps(e))
    assert (e2.endpoint, e2.reason, e2.excerpt) == ("/health", "reason", "excerpt")


def test_worker_count_without_names_is_the_errors():
    """details null (undocumented, possible): two workers are counted from the error, not read as none."""
    assert parse_readiness(raw("ready_two_workers.json")).worker_count == 2
    bare = json.loads(raw("ready_two_workers.json"))
    bare["components"]["celery"]["details"] = None
    r = parse_readiness(json.dumps(bare).encode())
    assert r.workers is None and r.worker_count == 2
    bare["components"]["celery"]["error"] = "No active Celery workers"
    assert parse_readiness(json.dumps(bare).encode()).worker_count == 0
    bare["components"]["celery"]["error"] = "inspect timeout"
    assert parse_readiness(json.dumps(bare).encode()).worker_count is None
