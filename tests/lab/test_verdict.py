"""ALL CLEAR means all clear, on the lab: rows hidden by row-level security, checks skipped for want of
Docker or a healthcheck gate, and a commit compared with nothing are never read as a pass."""
from __future__ import annotations

import re

import psycopg
import pytest

from tests.lab.conftest import status_json
from tests.lab.matrix import C

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SQL_CHECKS = ["test_sync_logs_are_within_the_retention_window", "test_no_sync_log_is_stale",
              "test_sync_failure_rate_stays_under_the_threshold"]


def test_rls_enabled_by_hand_without_a_policy_is_could_not_check(healed_lab, run_suite):
    """The raw-SQL way a person breaks it: RLS switched on for a table the role has no policy on."""
    from lab import faults, stack
    from lab.topology import READONLY_ROLE

    with stack.db_connect(healed_lab) as conn:
        conn.execute("ALTER TABLE public.channel_sync_logs DISABLE ROW LEVEL SECURITY")
        conn.execute(f"DROP POLICY {READONLY_ROLE}_read ON public.channel_sync_logs")
    try:
        run = run_suite("-m", "nightly or weekly")  # RLS off: no policy needed, all clear
        assert run.returncode == 0 and run.not_passed() == {}, run.output[-3000:]
        with stack.db_connect(healed_lab) as conn:
            conn.execute("ALTER TABLE public.channel_sync_logs ENABLE ROW LEVEL SECURITY")
            total = conn.execute("SELECT count(*) FROM public.channel_sync_logs").fetchone()[0]
        with psycopg.connect(healed_lab.host_dsn(readonly=True), connect_timeout=5) as ro:
            # What the role now sees, without a word: nothing. The checks must not take that for a pass.
            assert total > 0 and ro.execute("SELECT count(*) FROM public.channel_sync_logs").fetchone()[0] == 0
        run = run_suite("-m", "nightly or weekly")
        assert run.returncode == 10, run.output[-3000:]
        assert run.not_passed() == dict.fromkeys(SQL_CHECKS, C), run.output[-3000:]
        for name in SQL_CHECKS:
            message = run.messages[name]
            assert "row-level security hides rows of public.channel_sync_logs from pms_runbook_ro" in message
            assert (f"CREATE POLICY {READONLY_ROLE}_read ON public.channel_sync_logs FOR SELECT TO {READONLY_ROLE} "
                    "USING (true)") in message and f"ALTER ROLE {READONLY_ROLE} BYPASSRLS" in message, message
    finally:
        faults.heal(healed_lab, "rls-hides-sync-logs")
    run = run_suite("-m", "nightly or weekly")
    assert run.returncode == 0 and run.not_passed() == {}, run.output[-3000:]


def test_backend_and_worker_work_under_rls(lab_state):
    """The lab's RLS is real (every public table) and the app still reads and writes through it."""
    from lab import stack

    with stack.db_connect(lab_state) as conn:
        off = conn.execute("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                           "WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relrowsecurity").fetchall()
        roles = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles WHERE rolname IN "
                                            "('anon', 'authenticated', 'service_role')")}
    assert off == [] and roles == {"anon", "authenticated", "service_role"}
    status = status_json()
    assert status["containers"]["worker"]["state"] == "running"


def test_gates_off_and_no_docker_name_the_old_worker_blind_spot(healed_lab, run_suite):
    """Healthcheck gates off and Docker off: an old worker beside v2 is seen by no check, and the verdict says so."""
    from lab import faults

    faults.inject(healed_lab, "old-worker-running")
    faults.inject(healed_lab, "healthcheck-gates-off")
    run = run_suite("-m", "daily", "--docker-host", "none")
    last = run.output.strip().splitlines()[-1]
    assert run.returncode == 0 and "ALL CLEAR" not in run.output, run.output[-3000:]
    assert re.search(r"NO RED FLAG in \d+ checks; \d+ NOT CHECKED: no Docker access \(give --docker-host "
                     r"ssh://user@host\)", last), last
    assert "an old pms-worker beside pms-worker-v2 is seen by no check (D1.5, D3.1, D3.2 not checked)" in last, last
    section = run.output[run.output.index("= NOT CHECKED ="):]
    for rid, name in (("D1.5", "test_old_worker_is_not_running_beside_v2"),
                      ("D3.1", "test_at_most_one_worker_container_is_up"),
                      ("D3.2", "test_celery_reports_exactly_one_worker")):
        assert re.search(rf"{re.escape(rid)} +\S+::{name}", section), section
    assert "ENABLE_CELERY_HEALTHCHECK is off" in section
    # With Docker back, the same lab is red at once: the blind spot was the access, not the lab.
    run = run_suite("-m", "daily")
    assert run.returncode == 1 and run.outcomes["test_old_worker_is_not_running_beside_v2"] == "red flag"


def test_no_docker_and_no_expected_commit_is_not_checked_not_a_pass(lab_state, run_suite, monkeypatch):
    """Staging against the lab, without Docker and without --expected-commit: D1.6 has nothing to compare."""
    info = status_json()
    for env, key in (("ANON_KEY", "anon_key"), ("PMS_ADMIN_EMAIL", "admin_email"),
                     ("PMS_ADMIN_PASSWORD", "admin_password"), ("PMS_DB_DSN", "db_dsn")):
        monkeypatch.setenv(env, info[key])
    monkeypatch.delenv("EXPECTED_COMMIT", raising=False)
    run = run_suite("-m", "daily", "--pms-env", "staging", "--docker-host", "none", "--api-url", info["api_url"],
                    "--admin-url", info["admin_url"], "--sb-url", info["sb_url"],
                    "--public-host", info["public_host"], "--public-url", info["public_url"])
    assert run.returncode == 0 and "ALL CLEAR" not in run.output, run.output[-3000:]
    assert run.outcomes["test_deployed_commit_is_the_expected_one"] == "skipped"
    assert "no deployed commit to compare with" in run.messages["test_deployed_commit_is_the_expected_one"]
    assert all(o in ("passed", "skipped") for o in run.outcomes.values()), run.not_passed()
    assert re.search(r"NO RED FLAG in \d+ checks; \d+ NOT CHECKED: .*no Docker access", run.output), run.output[-2000:]
