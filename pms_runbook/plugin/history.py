"""History of the runs (pms_runbook/history.py) and the one-line summary for chat.

Before the verdict: each check's trend from the history ("red since ...", "flaky: N of the last M runs"),
into verdict.json and the summary. After it (a wrapper of sessionfinish, outside the verdict): the alerts
and metrics parts run (plugin/alerting.py, plugin/metrics.py), then this run's records are appended and
verdict.json is written again with what they added.
"""
from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from pms_runbook import history
from pms_runbook.redflag import observed_values

from .state import SCHEDULES, Run
from .verdict_json import _status

FILE = "history.jsonl"


def schedule_of(config: pytest.Config) -> str:
    """daily / postdeploy / nightly ... from -m or the paths under checks/; else 'adhoc'."""
    text = f"{config.option.markexpr or ''} {' '.join(str(a) for a in config.args)}"
    return next((s for s in SCHEDULES if s in text), "adhoc")


def profile_of(config: pytest.Config) -> str | None:
    from .settings import run_settings

    settings = run_settings(config)
    return getattr(settings, "profile", None) or getattr(config.option, "pms_env", None)


def report_link(config: pytest.Config) -> str:
    from .living import value
    from .reports import reports_dir

    return value(config, "report_url") or str(reports_dir(config) / "report.html")


def summary_line(config: pytest.Config, run: Run) -> str:
    """`pms-runbook lab nightly: RED FLAG, root causes C1.1, D4.2; 12 clear, 2 red, 1 waived, ...; report <link>`"""
    from pms_runbook.diagnosis import check_name

    status = _status(run.verdict).replace("_", " ").upper() if run.verdict else "NOT VERIFIED"
    roots = [r for r in run.results if run.roots.get(r["nodeid"], "x") is None]
    root_ids = sorted({(r["ids"] or [check_name(r["nodeid"])])[0] for r in roots})
    counts = {o: sum(r["outcome"] == o for r in run.results) for o in
              ("passed", "red_flag", "could_not_check", "not_checked", "waived")}
    words = {"passed": "clear", "red_flag": "red", "could_not_check": "could not check",
             "not_checked": "not checked", "waived": "waived"}
    tally = ", ".join(f"{n} {words[o]}" for o, n in counts.items() if n or o == "passed")
    causes = f", root causes {', '.join(root_ids)}" if root_ids else ""
    return (f"pms-runbook {profile_of(config) or '?'} {schedule_of(config)}: {status}{causes}; {tally}; "
            f"exit {run.exit_code}; report {report_link(config)}")


class History:
    def __init__(self, config: pytest.Config, run: Run, path: Path | None):
        self.config, self.run, self.path = config, run, path
        self.records = history.read(path) if path else []
        self.values: dict[str, dict] = {}
        self.durations: dict[str, float] = {}
        self.run_id = uuid.uuid4().hex[:12]

    @staticmethod
    def wanted(config: pytest.Config) -> Path | None:
        from .living import value
        from .reports import reports_dir

        if config.option.no_history:
            return None
        given = value(config, "history")
        if given:
            return Path(given)
        return None if config.option.no_reports else reports_dir(config) / FILE

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        exc = call.excinfo.value if call.excinfo else None
        report = yield
        values = dict(observed_values(str(exc))) if exc is not None and str(exc).startswith("RED FLAG:") else {}
        if call.when == "call":  # a waived one too (a skip by then)
            values.update(history.figures(getattr(item, "funcargs", {}) or {}))
        if values:
            report.pms_values = values
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if getattr(report, "pms_values", None):
            self.values[report.nodeid] = report.pms_values
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration

    def trends(self) -> dict[str, dict]:
        profile = profile_of(self.config)
        out = {}
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for r in self.run.results:
            past = history.check_outcomes(self.records, r["nodeid"], profile)
            t = history.trend([*past, (now, r["outcome"])])
            out[r["nodeid"]] = {"history": t.as_dict()}
        return out

    # Not tryfirst: inside the terminal reporter's wrapper, so that the sections below see what this added.
    @pytest.hookimpl(wrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int):
        result = yield  # the verdict (trylast) has run: results, roots, verdict line, exit code
        run = self.run
        if not run.verdict:
            return result
        run.extra["checks"] = self.trends()
        run.extra["history_file"] = str(self.path) if self.path else None
        run.extra["summary_line"] = summary_line(self.config, run)
        alerted: dict[str, dict] = {}  # nodeid -> the labels of its firing alert
        for name in ("pms-runbook-alerting", "pms-runbook-metrics"):
            part = self.config.pluginmanager.get_plugin(name)
            if part is not None:
                alerted.update(part.after_verdict(self) or {})
        if self.path:
            history.append(self.path, self.new_records(alerted))
        if run.verdict_json:
            from . import verdict_json

            verdict_json.write(run.verdict_json, self.config, run, run.exit_code or 0)
        return result

    def new_records(self, alerted: dict[str, dict]) -> list[dict]:
        run, config = self.run, self.config
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        base = {"run": self.run_id, "time": now, "profile": profile_of(config), "schedule": schedule_of(config)}
        n_roots, n_following = run.root_counts()
        out = [{"type": "run", **base, "verdict": _status(run.verdict), "exit_code": run.exit_code,
                "duration": round(time.time() - (run.started or time.time()), 3),
                "counts": {o: sum(r["outcome"] == o for r in run.results) for o in
                           ("passed", "red_flag", "could_not_check", "not_checked", "waived")},
                "root_causes": [n for n, v in run.roots.items() if v is None]}]
        for r in run.results:
            out.append({"type": "check", **base, "nodeid": r["nodeid"], "ids": r["ids"], "outcome": r["outcome"],
                        "duration": round(self.durations.get(r["nodeid"], 0.0), 3),
                        "figures": self.values.get(r["nodeid"], {}), "alerted": r["nodeid"] in alerted,
                        **({"alert_labels": alerted[r["nodeid"]]} if alerted.get(r["nodeid"]) else {})})
        return out

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        trends = {n: t["history"]["text"] for n, t in self.trends().items() if t["history"]["text"]}
        if trends:
            terminalreporter.section("HISTORY", sep="-")
            for nodeid, text in trends.items():
                terminalreporter.write_line(f"{nodeid.rsplit('::', 1)[-1]}: {text}")


class SummaryLine:
    """--summary-line: the one line for chat, above the verdict line (also in verdict.json)."""

    def __init__(self, config: pytest.Config, run: Run):
        self.config, self.run = config, run

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        line = self.run.extra.get("summary_line") or summary_line(self.config, self.run)
        terminalreporter.write_line(line)
