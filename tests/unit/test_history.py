"""History and trends over a seeded history, the chat webhook against a local receiver, the metrics file,
the summary line, and the dead-man's switch's reading of the history."""
from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import re
import threading

import jsonschema
import pytest

from pms_runbook import history
from tests.unit.test_plugin import check, out, project
from tests.unit.test_plugin_diagnosis import SCHEMA
from tests.unit.test_plugin_reports import needs_allure_cli

pytest_plugins = ["pytester"]

NODE = "checks/test_step1.py::test_failed_batches"
RED = """
from pms_runbook.redflag import red_flag
""" + check("D4.2") + """def test_failed_batches():
    assert os.environ.get("LIVE_GREEN"), red_flag("D4.2", observed="connection c-111 failed share 40%", share="10%",
                                                   hours="24", count=1)
""" + check("D1.4") + "def test_green():\n    pass\n"


def t(hours_ago: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)).isoformat(timespec="seconds")


def seed(path, outcomes: list[str], nodeid: str = NODE, schedule: str = "nightly") -> list[str]:
    """One run per outcome, a day apart, the last one a day ago; returns their times."""
    times, lines = [], []
    for i, outcome in enumerate(outcomes):
        when = t(24 * (len(outcomes) - i))
        times.append(when)
        run = f"r{i}"
        lines.append({"type": "run", "run": run, "time": when, "profile": "lab", "schedule": schedule,
                      "verdict": "red_flag" if outcome == "red_flag" else "all_clear",
                      "exit_code": 1 if outcome == "red_flag" else 0})
        lines.append({"type": "check", "run": run, "time": when, "profile": "lab", "schedule": schedule,
                      "nodeid": nodeid, "ids": ["D4.2"], "outcome": outcome})
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return times


def test_trend_red_since_and_flaky():
    outs = ["passed", "red_flag", "passed", "red_flag", "passed", "passed", "passed", "passed", "red_flag", "red_flag"]
    tr = history.trend([(f"t{i}", o) for i, o in enumerate(outs)])
    assert (tr.red_since, tr.red_runs, tr.failed, tr.window, tr.flaky) == ("t8", 2, 4, 10, True)
    assert tr.text() == "red since t8 (2 runs); flaky: 4 of the last 10 runs"
    steady = history.trend([(f"t{i}", "red_flag") for i in range(12)])
    assert steady.red_runs == 12 and not steady.flaky and steady.text() == "red since t0 (12 runs)"
    assert history.trend([("a", "passed"), ("b", "red_flag")]).flaky is False  # one change is a change, not flaky


def test_red_since_and_flaky_from_a_seeded_history(pytester):
    project(pytester, RED)
    hist = pytester.path / "h.jsonl"
    times = seed(hist, ["passed", "red_flag", "passed", "passed", "red_flag", "passed", "red_flag", "red_flag"])
    result = pytester.runpytest("--no-reports", "--history", str(hist), "--verdict-json=v.json", "-m", "nightly or daily")
    text = out(result)
    assert result.ret == 1, text
    want = f"red since {times[6]} (3 runs); flaky: 5 of the last 9 runs"
    assert f"test_failed_batches: {want}" in text
    doc = json.loads((pytester.path / "v.json").read_text())
    figures = next(c for c in doc["checks"] if c["nodeid"] == NODE)["history"]
    assert figures["text"] == want and figures["red_runs"] == 3 and figures["flaky"] is True
    assert figures["failed_of_last"] == [5, 9]
    jsonschema.validate(doc, SCHEMA)
    records = history.read(hist)
    assert len(records) == 16 + 3 and records[-3]["type"] == "run"  # one run record, one per check
    assert {r["nodeid"] for r in records[-2:]} == {NODE, "checks/test_step1.py::test_green"}


def test_summary_line_in_the_output_and_verdict_json(pytester):
    project(pytester, RED)
    result = pytester.runpytest("--no-reports", "--no-history", "--summary-line", "--verdict-json=v.json",
                                "--report-url", "https://ci.example/run/7")
    line = json.loads((pytester.path / "v.json").read_text())["summary_line"]
    assert line.startswith("pms-runbook ") and ": RED FLAG, root causes D4.2; 1 clear, 1 red; exit 1; " \
                                                  "report https://ci.example/run/7" in line, line
    assert line in out(result)


class Receiver(http.server.BaseHTTPRequestHandler):
    got: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.got = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Receiver.got
    server.shutdown()
    server.server_close()


def test_the_webhook_gets_one_message_per_change_of_state(pytester, receiver, monkeypatch):
    url, got = receiver
    project(pytester, RED)
    hist = str(pytester.path / "h.jsonl")
    args = ("--no-reports", "--history", hist, "--notify-webhook", url)
    assert pytester.runpytest(*args).ret == 1
    assert len(got) == 1, got
    text = got[0]["text"]
    assert "RED FLAG, root causes D4.2" in text and "• D4.2 test_failed_batches: failed batches above" in text
    assert "fix: read the sync logs of the failed batches" in text and "runbook: " in text
    assert pytester.runpytest(*args).ret == 1 and len(got) == 1  # still red: nothing new to say
    monkeypatch.setenv("LIVE_GREEN", "1")
    assert pytester.runpytest(*args).ret == 0 and len(got) == 2
    assert "ALL CLEAR" in got[1]["text"] and "(was red flag)" in got[1]["text"]


def test_a_dead_webhook_is_said_and_changes_no_verdict(pytester):
    project(pytester, RED)
    result = pytester.runpytest("--no-reports", "--no-history", "--notify-webhook", "http://127.0.0.1:9/none")
    assert result.ret == 1 and "could not notify the webhook" in out(result)


def test_the_metrics_file_has_the_documented_names(pytester):
    from prometheus_client.parser import text_string_to_metric_families

    project(pytester, RED)
    prom = pytester.path / "pms.prom"
    assert pytester.runpytest("--no-reports", "--no-history", "--metrics-file", str(prom)).ret == 1
    fams = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
    outcome = {(s.labels["check"], s.labels["outcome"]): s.value for s in fams["pms_runbook_check_outcome"].samples}
    assert outcome[("test_failed_batches", "red_flag")] == 1 and outcome[("test_failed_batches", "passed")] == 0
    assert outcome[("test_green", "passed")] == 1
    assert {s.labels["redflag"] for s in fams["pms_runbook_check_outcome"].samples} == {"D4.2", "D1.4"}
    counts = {s.labels["outcome"]: s.value for s in fams["pms_runbook_checks"].samples}
    assert counts["red_flag"] == 1 and counts["passed"] == 1 and counts["waived"] == 0
    ts = fams["pms_runbook_last_run_timestamp_seconds"].samples[0].value
    assert abs(ts - dt.datetime.now(dt.UTC).timestamp()) < 120
    assert fams["pms_runbook_last_run_exit_code"].samples[0].value == 1
    assert "pms_runbook_last_run_duration_seconds" in fams


def test_the_dead_mans_switch_reads_the_last_completed_nightly(tmp_path):
    hist = tmp_path / "h.jsonl"
    seed(hist, ["passed", "red_flag"])
    records = history.read(hist) + [{"type": "run", "time": t(1), "schedule": "nightly", "exit_code": 4,
                                     "profile": None}]  # a configuration error is no completed run
    last = history.last_completed(records, "nightly", None)
    assert abs((dt.datetime.now(dt.UTC) - history.parse_time(last["time"])).total_seconds() - 24 * 3600) < 60
    assert history.last_completed(records, "postdeploy", None) is None
    assert history.read(tmp_path / "none.jsonl") == []
    hist.write_text(hist.read_text() + "{torn\n")
    assert len(history.read(hist)) == 4


@needs_allure_cli
def test_the_allure_single_file_shows_a_trend_after_three_runs(pytester):
    project(pytester, RED)
    for _ in range(3):
        result = pytester.runpytest("--allure-html")
        assert result.ret == 1, out(result)
    allure_history = pytester.path / "reports" / "allure-history.jsonl"
    runs = [json.loads(line) for line in allure_history.read_text().splitlines()]
    assert len(runs) == 3  # Allure 3's own history (historyPath): one entry a run
    assert all("test_failed_batches" in json.dumps(run) for run in runs)
    # The third report carries the two runs before it (data/history/<uuid>.json): its history and trend.
    html = (pytester.path / "reports" / "allure-report.html").read_text()
    embedded = dict(re.findall(r'd\("([^"]+)","([^"]*)"\)', html))
    past = {n for n in embedded if n.startswith("data/history/")}
    assert past == {f"data/history/{r['uuid']}.json" for r in runs[:2]}, sorted(embedded)
    for name in past:
        entry = json.loads(base64.b64decode(embedded[name]))
        assert {t["status"] for t in entry["testResults"].values()} == {"passed", "failed"}


def test_a_run_under_xdist_records_the_profile_and_targets_of_a_serial_one(pytester):
    """Under -n 2 the controller collects nothing; its reports still name the run's profile and targets, so the
    history of a profile does not split by how the run was parallelised."""
    project(pytester, RED)
    docs = []
    for extra in ([], ["-n", "2"]):
        pytester.runpytest("--no-reports", "--no-history", "--verdict-json=v.json", "-p", "xdist", *extra)
        docs.append(json.loads((pytester.path / "v.json").read_text())["run"])
    serial, parallel = docs
    assert parallel["profile"] == serial["profile"] == "lab"
    assert parallel["targets"] == serial["targets"]
