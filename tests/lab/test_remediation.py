"""Guarded remediation against the lab: per remedy, the fault is injected, `--fix` changes nothing (no Docker
state change, no modifying SQL), `--fix=apply --yes` turns the run green and the audit log holds the plan and
the action; a remedy whose precondition does not hold is refused; the action cap holds."""
from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import docker
import psycopg
import pytest

from tests.lab.test_trustworthy import STATE_CHANGES, _collect

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SELECTION = ["-m", "daily"]
REMEDIES = {  # fault -> the remedy that fixes its root cause
    "db-network-disconnect": "reconnect-backend",
    "old-worker-running": "stop-old-worker",
    "worker-stopped": "start-worker",
    "redis-down": "start-redis",
}


class Watch:
    """Docker's state changes and PostgreSQL's modifying statements while a run goes on."""

    def __init__(self, lab_state):
        self.dsn = lab_state.host_dsn()

    def __enter__(self):
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET log_statement = 'mod'")
            conn.execute("SELECT pg_reload_conf()")
        time.sleep(1.5)  # Docker's event times have a second's resolution: the injection's own stay before
        self.since = datetime.now(UTC)
        self.stream = docker.from_env().events(since=self.since, decode=True)
        self.events: list[dict] = []
        self.reader = threading.Thread(target=_collect, args=(self.stream, self.events), daemon=True)
        self.reader.start()
        return self

    def __exit__(self, *exc):
        until = datetime.now(UTC)
        time.sleep(1.0)
        self.stream.close()
        self.reader.join(5)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM RESET log_statement")
            conn.execute("SELECT pg_reload_conf()")
        log = docker.from_env().containers.get("supabase-db").logs(since=self.since, until=until)
        self.statements = [ln for ln in log.decode(errors="replace").splitlines()
                           if "statement:" in ln and "ALTER SYSTEM" not in ln]
        self.changes = [(e.get("Type"), e.get("Action"), e.get("Actor", {}).get("Attributes", {}).get("name"))
                        for e in self.events if e.get("Action", "").split(":")[0] in STATE_CHANGES]
        return False


def _audit(tmp_path) -> list[dict]:
    path = tmp_path / "reports" / "remediation-audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("fault", list(REMEDIES))
def test_remedy_plan_changes_nothing_and_apply_turns_the_run_green(fault, healed_lab, run_suite, tmp_path):
    from lab import faults

    faults.inject(healed_lab, fault)
    with Watch(healed_lab) as watch:
        plan = run_suite(*SELECTION, "--fix")
    assert plan.returncode == 1, plan.output[-3000:]
    assert "REMEDIATION PLAN (dry run: nothing is changed)" in plan.output
    assert f"remedy {REMEDIES[fault]}:" in plan.output, plan.output[-3000:]
    assert watch.changes == [] and watch.statements == [], (watch.changes, watch.statements[:5])
    assert [e["kind"] for e in _audit(tmp_path)] == ["plan"]

    applied = run_suite(*SELECTION, "--fix=apply", "--yes")
    assert f"{REMEDIES[fault]}: applied, red flag gone" in applied.output, applied.output[-4000:]
    kinds = [e["kind"] for e in _audit(tmp_path)]
    assert kinds == ["plan", "plan", "action", "recheck"], kinds
    action = _audit(tmp_path)[2]
    assert action["remedy"] == REMEDIES[fault] and action["before"] != action["after"]
    assert healed_lab.secrets.db_password not in (tmp_path / "reports" / "remediation-audit.jsonl").read_text()

    after = run_suite(*SELECTION)
    assert after.returncode == 0 and "ALL CLEAR" in after.output, after.output[-3000:]


def test_stopping_the_old_worker_is_refused_when_it_is_the_only_worker(healed_lab, run_suite, tmp_path):
    from lab import faults
    from lab.faults.base import container, stop

    faults.inject(healed_lab, "old-worker-running")
    stop("worker", timeout=10)  # pms-worker-v2 down: the old one is the only worker left
    try:
        run = run_suite(*SELECTION, "--redflag", "D1.5", "--fix=apply", "--yes")  # not start-worker first
    finally:
        container("worker").start()
    assert "stop-old-worker: refused" in run.output, run.output[-4000:]
    assert "is the only worker" in run.output
    refused = [e for e in _audit(tmp_path) if e["kind"] == "refused"]
    assert refused and refused[0]["remedy"] == "stop-old-worker"
    assert docker.from_env().containers.get("pms-worker").status == "running"


def test_the_action_cap_holds(healed_lab, run_suite, tmp_path):
    from lab import faults

    faults.inject(healed_lab, "db-network-disconnect")
    faults.inject(healed_lab, "old-worker-running")  # two unrelated root causes, two remedies
    run = run_suite(*SELECTION, "--fix=apply", "--yes", "--fix-max-actions", "1")
    actions = [e for e in _audit(tmp_path) if e["kind"] == "action"]
    skipped = [e for e in _audit(tmp_path) if e["kind"] == "skipped"]
    assert len(actions) == 1 and len(skipped) == 1, run.output[-4000:]
    assert "action cap (1 per run)" in skipped[0]["result"]


def test_without_yes_and_without_a_terminal_nothing_is_applied(healed_lab, run_suite, tmp_path):
    from lab import faults

    faults.inject(healed_lab, "worker-stopped")
    with Watch(healed_lab) as watch:
        run = run_suite(*SELECTION, "--fix=apply")
    assert "not applied: no terminal to confirm on" in run.output, run.output[-3000:]
    assert watch.changes == []
