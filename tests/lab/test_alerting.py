"""Living with the runbook, on the lab: waivers, alerts read back from the lab's real Alertmanager, metrics
scraped from its real Pushgateway, the dead-man's switch over a seeded history."""
from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.lab.conftest import status_json

pytestmark = [pytest.mark.lab, pytest.mark.slow]

CHECK = "test_failed_batches_stay_under_the_threshold"
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()
YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()


def waiver(path, flag="D4.2", expires=TOMORROW, extra=""):
    path.write_text(f'[[waiver]]\nredflag = "{flag}"\nreason = "partner API outage"\nticket = "OPS-123"\n'
                    f'owner = "oncall@example.com"\nexpires = {expires}\n{extra}')
    return str(path)


@pytest.fixture
def failed_batches(healed_lab):
    from lab import faults

    faults.inject(healed_lab, "failed-batches")
    return healed_lab


def ours(alertmanager: str) -> list[dict]:
    r = httpx.get(f"{alertmanager}/api/v2/alerts", params={"filter": ['alertname="PmsRunbookRedFlag"',
                                                                      'environment="lab"'], "active": "true"},
                  timeout=10)
    r.raise_for_status()
    return [a for a in r.json() if a["status"]["state"] == "active"]


def test_waivers_on_the_lab(failed_batches, run_suite, tmp_path):
    run = run_suite("checks/daily", "--waivers", waiver(tmp_path / "w.toml"))
    assert run.returncode == 0, run.output[-3000:]
    assert f"WAIVED D4.2: {CHECK}; owner oncall@example.com, ticket OPS-123, expires {TOMORROW}" in run.output
    assert run.outcomes[CHECK] == "skipped" and run.messages[CHECK].startswith("WAIVED: D4.2 until")
    run = run_suite("checks/daily", "--waivers", waiver(tmp_path / "w.toml", expires=YESTERDAY))
    assert run.returncode == 1 and f"EXPIRED waiver D4.2 ignored (expired {YESTERDAY})" in run.output, run.output[-3000:]
    run = run_suite("checks/daily", "--waivers", waiver(tmp_path / "w.toml", flag="D1.1"))
    assert run.returncode == 4 and "D1.1 is a blocker red flag" in run.output, run.output[-3000:]
    run = run_suite("checks/daily", "--waivers", waiver(tmp_path / "w.toml", flag="D4.4"))
    assert run.returncode == 1 and "UNUSED waiver D4.4: matched nothing in this run" in run.output


def test_a_red_run_alerts_each_root_cause_and_the_next_green_run_resolves_them(failed_batches, run_suite, tmp_path):
    from lab import faults

    status = status_json()
    am, history = status["alertmanager_url"], str(tmp_path / "history.jsonl")
    args = ("checks/daily", "--alertmanager", am, "--history", history, "--report-url", "https://ci.example/r/1")
    run = run_suite(*args)
    assert run.returncode == 1, run.output[-3000:]
    doc = json.loads((tmp_path / "reports" / "verdict.json").read_text())
    firing = [a for a in ours(am) if a["annotations"].get("nodeid") in doc["root_causes"]]
    assert len(firing) == len(doc["root_causes"]) == 1, (firing, doc["root_causes"])
    labels, notes = firing[0]["labels"], firing[0]["annotations"]
    assert labels == {"alertname": "PmsRunbookRedFlag", "redflag": "D4.2", "severity": "critical",
                      "environment": "lab", "check": CHECK, "outcome": "red_flag"}
    assert notes["summary"].startswith("D4.2: failed batches above 10%") and notes["report"] == "https://ci.example/r/1"
    assert "docker logs" in notes["fix"] and notes["runbook"].endswith("#step-4-channel-manager-sanity-check")
    faults.heal(failed_batches, "failed-batches")
    run = run_suite(*args)
    assert run.returncode == 0, run.output[-3000:]
    assert "1 resolved" in run.output
    assert [a for a in ours(am) if a["labels"].get("check") == CHECK] == []


def test_a_waived_red_flag_is_not_alerted(failed_batches, run_suite, tmp_path):
    am = status_json()["alertmanager_url"]
    run = run_suite("checks/daily", "--alertmanager", am, "--waivers", waiver(tmp_path / "w.toml"), "--no-history")
    assert run.returncode == 0, run.output[-3000:]
    assert [a for a in ours(am) if a["labels"].get("check") == CHECK] == []


def test_the_metrics_of_a_run_are_on_the_pushgateway(failed_batches, run_suite, tmp_path):
    pg = status_json()["pushgateway_url"]
    before = dt.datetime.now(dt.UTC).timestamp()
    run = run_suite("checks/daily", "--pushgateway", pg, "--no-history")
    assert run.returncode == 1 and f"metrics pushed to {pg}" in run.output, run.output[-3000:]
    text = httpx.get(f"{pg}/metrics", timeout=10).text
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    mine = [s for s in fams["pms_runbook_check_outcome"].samples
            if s.labels.get("instance") == "lab" and s.labels.get("schedule") == "daily"]
    state = {(s.labels["check"], s.labels["outcome"]): s.value for s in mine}
    assert state[(CHECK, "red_flag")] == 1 and state[(CHECK, "passed")] == 0
    assert {s.labels["redflag"] for s in mine if s.labels["check"] == CHECK} == {"D4.2"}
    last = [s for s in fams["pms_runbook_last_run_timestamp_seconds"].samples
            if s.labels.get("instance") == "lab" and s.labels.get("schedule") == "daily"]
    assert last and last[0].value >= before - 1
    shares = {s.labels["connection"]: s.value for s in fams["pms_runbook_failed_batch_share"].samples
              if s.labels.get("instance") == "lab"}
    assert shares and max(shares.values()) > 0.10, shares
    counts = {s.labels["outcome"]: s.value for s in fams["pms_runbook_checks"].samples
              if s.labels.get("instance") == "lab" and s.labels.get("schedule") == "daily"}
    assert counts["red_flag"] >= 1 and counts["passed"] >= 10


def _seed(path, schedule: str, hours_ago: float) -> None:
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)).isoformat(timespec="seconds")
    path.write_text(json.dumps({"type": "run", "run": "seed", "time": when, "profile": "lab", "schedule": schedule,
                                "verdict": "all_clear", "exit_code": 0}) + "\n")


def test_the_dead_mans_switch(lab_state, run_suite, tmp_path):
    check = "checks/daily/test_runbook_runs.py"
    hist = tmp_path / "h.jsonl"
    run = run_suite(check, "--history", str(hist))
    assert run.returncode == 5 and "no completed nightly run in the history" in run.output, run.output[-3000:]
    _seed(hist, "nightly", 30)
    run = run_suite(check, "--history", str(hist), "-k", "nightly")
    assert run.returncode == 1 and "no nightly runbook run completed in the last 26 h" in run.output, run.output[-3000:]
    _seed(hist, "nightly", 2)
    run = run_suite(check, "--history", str(hist), "-k", "nightly")
    assert run.returncode == 0, run.output[-3000:]
    _seed(hist, "postdeploy", 24 * 365)  # a gate from before the backend's start
    run = run_suite(check, "--history", str(hist), "-k", "post_deploy")
    assert run.returncode == 1 and "is older than the deploy: pms-backend was created" in run.output, run.output[-3000:]
    _seed(hist, "postdeploy", 0)
    run = run_suite(check, "--history", str(hist), "-k", "post_deploy")
    assert run.returncode == 0, run.output[-3000:]
