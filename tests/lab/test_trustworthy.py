"""Against the real suite and the lab: checks change nothing, and no secret reaches any artefact."""
from __future__ import annotations

import base64
import re
import threading
import time
from datetime import UTC, datetime

import docker
import psycopg
import pytest

pytestmark = [pytest.mark.lab, pytest.mark.slow]

EVERY_SELECTION = ["-m", "daily or postdeploy or nightly or weekly or monthly"]
STATE_CHANGES = {"create", "start", "restart", "stop", "kill", "die", "destroy", "pause", "unpause", "update",
                 "rename", "connect", "disconnect", "remove", "oom", "commit", "import", "load", "pull", "tag"}


def _writes(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables"
                            ).fetchone()[0]


def _collect(stream, events: list) -> None:
    try:
        for event in stream:
            events.append(event)
    except Exception:  # the stream was closed under the reader: that is how it ends
        pass


def test_checks_write_nothing_and_change_no_container(lab_state, run_suite):
    dsn = lab_state.host_dsn()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET log_statement = 'mod'")
        conn.execute("SELECT pg_reload_conf()")
    try:
        time.sleep(1.5)  # statistics are flushed about once a second
        writes_before = _writes(dsn)
        since = datetime.now(UTC)
        # Docker's events are read live while the suite runs: asked for afterwards, they come from the
        # daemon's buffer of its last 256 events, and a busy engine can have dropped the run's.
        stream = docker.from_env().events(since=since, decode=True)
        events: list[dict] = []
        reader = threading.Thread(target=_collect, args=(stream, events), daemon=True)
        reader.start()
        run = run_suite(*EVERY_SELECTION, "--expected-commit", lab_state.commit)
        assert run.returncode == 0, run.output[-3000:]
        until = datetime.now(UTC)
        time.sleep(1.5)
        stream.close()
        reader.join(5)
        writes_after = _writes(dsn)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM RESET log_statement")
            conn.execute("SELECT pg_reload_conf()")

    assert writes_after == writes_before, f"{writes_after - writes_before} rows written during the checks"
    client = docker.from_env()
    db_log = client.containers.get("supabase-db").logs(since=since, until=until).decode(errors="replace")
    modifying = [line for line in db_log.splitlines() if "statement:" in line and "ALTER SYSTEM" not in line]
    assert modifying == [], modifying[:5]
    changes = [(e.get("Type"), e.get("Action"), e.get("Actor", {}).get("Attributes", {}).get("name"))
               for e in events if e.get("Action", "").split(":")[0] in STATE_CHANGES]
    assert changes == [], changes
    # The getent of Step 5 did run inside pms-backend (exec is the one action allowed, read commands only).
    assert any(e.get("Action", "").startswith("exec_start") for e in events), events[-20:]


def test_db_session_is_read_only_even_with_a_writable_role(lab_state):
    """The suite's session refuses writes by itself: even given the superuser's DSN, not just its own role."""
    from pms_runbook.secrets import Secret
    from pms_runbook.transports.sql import connect_readonly

    conn = connect_readonly(Secret(lab_state.host_dsn()))
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("UPDATE channel_connections SET status = status")
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "5s"
    finally:
        conn.close()


def _lab_secrets(state) -> dict[str, str]:
    s = state.secrets
    return {"anon key": s.anon_key, "admin password": s.admin_password, "db password": s.db_password,
            "read-only db password": s.readonly_password, "redis password": s.redis_password,
            "jwt secret": s.jwt_secret}


@pytest.mark.parametrize("fault", [None, "jwt-secret-mismatch", "token-expired", "redis-down"])
def test_no_secret_in_any_artefact(fault, healed_lab, run_suite, tmp_path):
    """Failing checks attach HTTP exchanges that carried the token, DSNs, docker inspect (with the Redis
    password on its command line); none of it may show a secret or a JWT, in any report or the terminal."""
    from lab import faults

    if fault:
        faults.inject(healed_lab, fault)
    run = run_suite(*EVERY_SELECTION, "--expected-commit", healed_lab.commit, "--allure-html", "-n", "2")
    assert run.returncode in (0, 1, 10), run.output[-3000:]
    reports = tmp_path / "reports"
    artefacts = [p for p in reports.rglob("*") if p.is_file()]
    assert any(p.name == "report.html" for p in artefacts) and any(p.name == "allure-report.html" for p in artefacts)
    texts = {str(p): p.read_bytes().decode("utf-8", errors="replace") for p in artefacts}
    texts["terminal"] = run.output
    for where, text in list(texts.items()):  # self-contained HTML embeds attachments as base64
        for i, blob in enumerate(re.findall(r"base64,([A-Za-z0-9+/=]{16,})", text)):
            texts[f"{where} (embedded #{i})"] = base64.b64decode(blob + "===").decode("utf-8", errors="replace")
    jwt = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")
    for where, text in texts.items():
        for name, value in _lab_secrets(healed_lab).items():
            assert value not in text, f"{name} found in {where}"
        assert not jwt.search(text), f"a JWT found in {where}"
