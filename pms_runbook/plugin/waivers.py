"""Waivers in a run: a red flag that a live waiver matches becomes WAIVED (a skip in JUnit, Allure and HTML,
with the waiver's owner, expiry and ticket; never a pass), counted apart and named in the verdict.

Registered when waivers.toml is at the project root or --waivers PATH is given (pms_runbook.waivers).
The decision is made where the report is made (an xdist worker too); the controller tallies used,
expired and unused waivers for the summary and verdict.json.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pms_runbook import secrets, waivers
from pms_runbook.redflag import observed_values

from .state import Run

KEY = pytest.StashKey[list]()


def waivers_path(config: pytest.Config) -> Path | None:
    given = getattr(config.option, "waivers", None)
    if given:
        return Path(given)
    default = config.rootpath / waivers.FILE
    return default if default.is_file() else None


class Waivers:
    def __init__(self, config: pytest.Config, run: Run, path: Path):
        self.run, self.path = run, path
        self.waivers: list[waivers.Waiver] = []
        self.used: dict[int, list[str]] = {}
        self.expired: dict[int, list[str]] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # ConfigErrors turns a ConfigError here into a usage error (exit 4), naming the line.
        if not self.path.is_file():
            from pms_runbook.config import ConfigError

            raise ConfigError(f"--waivers {self.path}: no such file")
        self.waivers = waivers.load(self.path)
        session.config.stash[KEY] = self.waivers

    @pytest.hookimpl(wrapper=True)  # outside the verdict's (trylast): sees its red-flag IDs and text
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        exc = call.excinfo.value if call.excinfo else None
        values = observed_values(str(exc)) if exc is not None else {}
        report = yield
        if not (report.failed and exc is not None) or getattr(report, "pms_could_not_check", None) \
                or getattr(report, "pms_config_error", None):
            return report
        text = str(exc)
        if not text.startswith("RED FLAG:"):
            return report
        params = getattr(getattr(item, "callspec", None), "params", {}) or {}
        found, expired = waivers.find(self.waivers, report.pms_redflag_ids, values, params, text)
        report.pms_waivers_expired = [w.index for w in expired]
        if found is None:
            return report
        shown = secrets.scrub(waivers.waived_text(found, text.split("\n\nassert ")[0]))
        report.pms_waived = {**found.as_dict(), "index": found.index, "text": shown}
        report.outcome = "skipped"
        report.longrepr = (str(item.path), (item.location[1] or 0) + 1, shown)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config):
        if getattr(report, "pms_waived", None):
            return "waived", "W", ("WAIVED", {"yellow": True})
        return None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        waived = getattr(report, "pms_waived", None)
        if waived:
            self.used.setdefault(waived["index"], []).append(report.nodeid)
        for i in getattr(report, "pms_waivers_expired", ()) or ():
            self.expired.setdefault(i, []).append(report.nodeid)

    def status(self) -> list[dict[str, Any]]:
        """Every waiver with what it did in this run: used, expired (ignored) or unused."""
        out = []
        for w in self.waivers:
            state = ("used" if w.index in self.used else "expired" if w.expired() else "unused")
            out.append({**w.as_dict(), "status": state, "checks": self.used.get(w.index, []) or
                        self.expired.get(w.index, [])})
        return out

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.run.waivers = self.status()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tr = terminalreporter
        rows = self.status()
        if not rows:
            return
        tr.section("WAIVERS", sep="-", yellow=True)
        for r in rows:
            head = f"{r['redflag']}" + "".join(f" {k}={v}" for k, v in r["match"].items())
            who = f"owner {r['owner']}, ticket {r['ticket']}, expires {r['expires']} ({self.path.name} line {r['line']})"
            if r["status"] == "used":
                for nodeid in r["checks"]:
                    tr.write_line(f"WAIVED {head}: {nodeid.rsplit('::', 1)[-1]}; {who}: {r['reason']}")
            elif r["status"] == "expired":
                tr.write_line(f"EXPIRED waiver {head} ignored (expired {r['expires']}); {who}"
                              + (f"; still red: {', '.join(c.rsplit('::', 1)[-1] for c in r['checks'])}"
                                 if r["checks"] else ""))
            else:
                tr.write_line(f"UNUSED waiver {head}: matched nothing in this run; {who}")
