"""Guarded remediation against the lab: per remedy, the fault is injected, `--fix` changes nothing (no Docker
state change, no modifying SQL), `--fix=apply --yes` turns the run green and the audit log holds the plan and
the action; a remedy whose precondition does not hold is refused; the action cap holds. And `--recheck`: a
fault healed by hand while it waits ends the run green; a bound that runs out ends it red, the bound named."""
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
    "stuck-batches": "mark-stale-sync-logs-failed",
    "no-recent-batches": "trigger-sync",
    "old-sync-logs": "retention-cleanup",
}
# The checks of the red flag alone where the fault shows in one check (a run of -m daily costs ~15 s):
# D4.3's batches, marked failed, count as failed in D4.2's share for 24 h (they did fail: README, remediation);
# D6.1 is a weekly/nightly check.
SELECTIONS = {"stuck-batches": ["-m", "daily", "--redflag", "D4.3"], "no-recent-batches": ["--redflag", "D4.1"],
              "old-sync-logs": ["--redflag", "D6.1"]}


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

    selection = SELECTIONS.get(fault, SELECTION)
    faults.inject(healed_lab, fault)
    with Watch(healed_lab) as watch:
        plan = run_suite(*selection, "--fix")
    assert plan.returncode == 1, plan.output[-3000:]
    assert "REMEDIATION PLAN (dry run: nothing is changed)" in plan.output
    assert f"remedy {REMEDIES[fault]}:" in plan.output, plan.output[-3000:]
    assert watch.changes == [] and watch.statements == [], (watch.changes, watch.statements[:5])
    assert [e["kind"] for e in _audit(tmp_path)] == ["plan"]

    applied = run_suite(*selection, "--fix=apply", "--yes")
    assert f"{REMEDIES[fault]}: applied, red flag gone" in applied.output, applied.output[-4000:]
    # the run's verdict and exit code are the state the remedies left (what `--fix=apply --yes` in CI acts on)
    assert applied.returncode == 0 and "(after --fix=apply)" in applied.output, applied.output[-3000:]
    kinds = [e["kind"] for e in _audit(tmp_path)]
    assert kinds == ["plan", "plan", "action", "recheck"], kinds
    action = _audit(tmp_path)[2]
    assert action["remedy"] == REMEDIES[fault] and action["before"] != action["after"]
    log = (tmp_path / "reports" / "remediation-audit.jsonl").read_text()
    for secret in (healed_lab.secrets.db_password, healed_lab.secrets.admin_password):
        assert secret not in log
    assert "eyJ" not in log and "Bearer " not in log  # no API token either

    after = run_suite(*selection)
    assert after.returncode == 0 and "ALL CLEAR" in after.output, after.output[-3000:]
    if fault == "stuck-batches":  # what the plan says: the batches did fail, and D4.2 counts them for 24 h
        failed = run_suite("--redflag", "D4.2")
        assert failed.returncode == 1 and "failed share 100%" in failed.output, failed.output[-3000:]


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
    # the root cause left by the cap still fails the run after the remedies
    assert run.returncode == 1 and "(after --fix=apply)" in run.output, run.output[-3000:]


def test_without_yes_and_without_a_terminal_nothing_is_applied(healed_lab, run_suite, tmp_path):
    from lab import faults

    faults.inject(healed_lab, "worker-stopped")
    with Watch(healed_lab) as watch:
        run = run_suite(*SELECTION, "--fix=apply")
    assert "not applied: no terminal to confirm on" in run.output, run.output[-3000:]
    assert watch.changes == []


def test_sql_remedies_count_before_and_after(healed_lab, run_suite, tmp_path):
    """The retention cleanup: the preview's count in the plan and the audit, the rows deleted, a re-count of 0."""
    from lab import faults

    faults.inject(healed_lab, "old-sync-logs")
    run = run_suite(*SELECTIONS["old-sync-logs"], "--fix=apply", "--yes")
    assert "retention-cleanup: applied, red flag gone" in run.output, run.output[-3000:]
    plan = next(e for e in _audit(tmp_path) if e["kind"] == "plan")
    assert plan["items"][0]["preview"]["rows"] == 15  # 5 batches of 3 logs, 200-400 days old
    assert "preview: rows 15" in run.output and "off-peak" in run.output
    action = next(e for e in _audit(tmp_path) if e["kind"] == "action")
    assert action["before"]["rows"] == 15 and action["after"] == {
        "rows": 0, "deleted": 15, "chunk_rows": 5000, "older_than_days": 90}


def test_a_sync_trigger_is_refused_while_the_worker_is_stopped(healed_lab, run_suite, tmp_path):
    from lab import faults
    from lab.faults.base import container, stop

    faults.inject(healed_lab, "no-recent-batches")
    with psycopg.connect(healed_lab.host_dsn(), autocommit=True) as conn:
        logs = conn.execute("SELECT count(*) FROM channel_sync_logs").fetchone()[0]
    stop("worker", timeout=10)  # a trigger now would only add a stuck batch
    try:
        run = run_suite(*SELECTIONS["no-recent-batches"], "--fix=apply", "--yes")
    finally:
        container("worker").start()
    assert "trigger-sync: refused" in run.output, run.output[-4000:]
    assert "pms-worker-v2: exited" in run.output
    refused = [e for e in _audit(tmp_path) if e["kind"] == "refused"]
    assert refused and refused[0]["remedy"] == "trigger-sync" and not any(
        e["kind"] == "action" for e in _audit(tmp_path))
    with psycopg.connect(healed_lab.host_dsn(), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM channel_sync_logs").fetchone()[0] == logs  # nothing triggered


def _heal_old_logs_by_hand(lab_state, verdict, done: threading.Event) -> None:
    """Once the run's first verdict is written (its --recheck then starts), delete the old rows with raw SQL."""
    deadline = time.monotonic() + 120
    while not verdict.exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(2)
    with psycopg.connect(lab_state.host_dsn(), autocommit=True) as conn:
        conn.execute("DELETE FROM channel_sync_logs WHERE created_at < now() - interval '90 days'")
    done.set()


def test_recheck_ends_green_once_the_fault_is_healed_by_hand(healed_lab, run_suite, tmp_path):
    from lab import faults

    faults.inject(healed_lab, "old-sync-logs")
    healed = threading.Event()
    healer = threading.Thread(target=_heal_old_logs_by_hand, daemon=True,
                              args=(healed_lab, tmp_path / "reports" / "verdict.json", healed))
    healer.start()
    run = run_suite("--redflag", "D6.1", "--recheck", "60")
    healer.join(5)
    assert healed.is_set(), run.output[-3000:]
    assert "RECHECK: 1 failing check(s), for up to 60 s" in run.output, run.output[-3000:]
    assert run.returncode == 0 and "(after --recheck)" in run.output, run.output[-3000:]
    last = [ln for ln in run.output.splitlines() if ln.startswith("RECHECK ")][-1]
    assert "ALL CLEAR" in last, run.output[-3000:]


def test_recheck_ends_red_when_its_bound_runs_out(healed_lab, run_suite, tmp_path):
    from lab import faults

    faults.inject(healed_lab, "old-sync-logs")
    started = time.monotonic()
    run = run_suite("--redflag", "D6.1", "--recheck", "8")
    assert run.returncode == 1, run.output[-3000:]
    assert "RECHECK: 1 failing check(s), for up to 8 s" in run.output
    assert "RECHECK: the bound of 8 s is reached and the checks still fail" in run.output, run.output[-2000:]
    verdict = [ln for ln in run.output.splitlines() if "(after --recheck)" in ln]
    assert verdict and "RED FLAG" in verdict[-1], run.output[-3000:]
    assert time.monotonic() - started < 8 + 60  # the bound holds (one re-run may finish after it)
