"""Prometheus metrics of a run (prometheus_client): a node_exporter textfile-collector file or a Pushgateway push.

    pms_runbook_check_outcome{redflag,check,environment,outcome}   1 for the check's outcome of the last run,
                                                                    0 for the other four (a state set)
    pms_runbook_last_run_timestamp_seconds{environment,schedule}   when the last run ended (Unix time)
    pms_runbook_last_run_duration_seconds{environment,schedule}    how long it took
    pms_runbook_last_run_exit_code{environment,schedule}           its exit code (0 clear, 1 red flag, 10, 4, 5)
    pms_runbook_checks{environment,schedule,outcome}               checks of the last run by outcome
    pms_runbook_check_duration_seconds{check,environment}          run time of each check
    pms_runbook_failed_batch_share{connection,environment}         failed / all batches of the window (Step 4)
    pms_runbook_sync_logs_beyond_retention{environment}            sync logs older than the retention window

Pushed under job="pms_runbook", instance=<environment>, schedule=<schedule> (grouping key), so that each
schedule's last run stays visible beside the others.
"""
from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

OUTCOMES = ("passed", "red_flag", "could_not_check", "not_checked", "waived")
JOB = "pms_runbook"
TIMEOUT = 10.0


def registry(run: dict) -> CollectorRegistry:
    """`run`: environment, schedule, ended, duration, exit_code, results (nodeid, ids, outcome, duration,
    figures)."""
    reg = CollectorRegistry()
    env, sched = run["environment"], run["schedule"]
    outcome = Gauge("pms_runbook_check_outcome", "Outcome of each check in the last run (1 = this outcome)",
                    ["redflag", "check", "environment", "outcome"], registry=reg)
    duration = Gauge("pms_runbook_check_duration_seconds", "Run time of each check in the last run",
                     ["check", "environment"], registry=reg)
    share = Gauge("pms_runbook_failed_batch_share", "Failed share of the batches of the window per connection",
                  ["connection", "environment"], registry=reg)
    beyond = Gauge("pms_runbook_sync_logs_beyond_retention", "Sync logs older than the retention window",
                   ["environment"], registry=reg)
    for r in run["results"]:
        check = r["nodeid"].rsplit("::", 1)[-1]
        flag = (r.get("ids") or ["none"])[0]
        for o in OUTCOMES:
            outcome.labels(flag, check, env, o).set(1 if r["outcome"] == o else 0)
        duration.labels(check, env).set(r.get("duration", 0.0))
        figs = r.get("figures") or {}
        for cid, value in (figs.get("failed_share") or {}).items():
            share.labels(cid, env).set(float(value))
        if "sync_logs_beyond_retention" in figs:
            beyond.labels(env).set(float(figs["sync_logs_beyond_retention"]))
    labels = ["environment", "schedule"]
    Gauge("pms_runbook_last_run_timestamp_seconds", "When the last run ended (Unix time)", labels,
          registry=reg).labels(env, sched).set(run["ended"])
    Gauge("pms_runbook_last_run_duration_seconds", "Duration of the last run", labels,
          registry=reg).labels(env, sched).set(run["duration"])
    Gauge("pms_runbook_last_run_exit_code", "Exit code of the last run (0 clear, 1 red flag, 10 could not check)",
          labels, registry=reg).labels(env, sched).set(run["exit_code"] or 0)
    counts = Gauge("pms_runbook_checks", "Checks of the last run by outcome", [*labels, "outcome"], registry=reg)
    for o in OUTCOMES:
        counts.labels(env, sched, o).set(sum(r["outcome"] == o for r in run["results"]))
    return reg


def write_file(path: Path, reg: CollectorRegistry) -> None:
    """Atomically (a temporary file renamed), as the textfile collector wants."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), reg)


def push(url: str, reg: CollectorRegistry, environment: str, schedule: str) -> None:
    push_to_gateway(url, job=JOB, registry=reg, grouping_key={"instance": environment, "schedule": schedule},
                    timeout=TIMEOUT)
