"""The terminal summary of a run of checks: red flags, could-not-check, not checked, Step 4's
coverage of the tenants, and the verdict as the very last line."""
from __future__ import annotations

from typing import Any

import pytest

from pms_runbook.resources.tenants import COVERAGE_PROPERTY

from .state import Run
from .verdict import blind_spots, not_checked_by_reason


def _first_line(text: str, prefix: str) -> str | None:
    return next((ln.strip() for ln in text.splitlines() if ln.strip().startswith(prefix)), None)


class TerminalSummary:
    """On the controller only (workers have no terminal of their own)."""

    def __init__(self, run: Run):
        self.run = run
        self.step4_line: str | None = None  # carried in the Step 4 checks' user_properties (xdist sends them)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in getattr(report, "user_properties", ()):
            if name == COVERAGE_PROPERTY and isinstance(value, str):
                self.step4_line = value

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tr, run = terminalreporter, self.run
        if run.checks:
            self._red_flags(tr)
            self._could_not_check(tr)
            self._not_checked(tr)
            if run.config_error:
                tr.write_sep("=", "CONFIGURATION ERROR", red=True, bold=True)
                tr.write_line(run.config_error, red=True)
        if self.step4_line:
            tr.write_sep("-", "STEP 4 COVERAGE")
            tr.write_line(self.step4_line)

    def _red_flags(self, tr: Any) -> None:
        if not self.run.red_flags:
            return
        tr.write_sep("=", "RED FLAGS", red=True, bold=True)
        for entry in self.run.red_flags:
            tr.write_line(f"{', '.join(entry['ids']) or '-':8} {entry['nodeid']}", bold=True)
            text = entry["text"]
            lines = [_first_line(text, p) for p in ("RED FLAG:", "fix:", "see:")]
            if not lines[0]:
                first = text.strip().splitlines()[0] if text.strip() else "(no message)"
                lines = [f"{entry['when']} failed: {first}"]
            for line in filter(None, lines):
                tr.write_line(f"         {line}", red=line.startswith("RED FLAG"))

    def _could_not_check(self, tr: Any) -> None:
        if not self.run.could_not_check:
            return
        tr.write_sep("=", "COULD NOT CHECK", yellow=True, bold=True)
        for entry in self.run.could_not_check:
            tr.write_line(f"{', '.join(entry['ids']) or '-':8} {entry['nodeid']}", bold=True)
            for line in entry["text"].splitlines():
                tr.write_line(f"         {line}", yellow=True)

    def _not_checked(self, tr: Any) -> None:
        if not self.run.not_checked:
            return
        tr.write_sep("=", "NOT CHECKED", yellow=True, bold=True)
        for reason, entries in not_checked_by_reason(self.run).items():
            full = entries[0]["reason"]
            tr.write_line(f"{reason}  ({len(entries)} check(s))", yellow=True, bold=True)
            for line in full.splitlines()[1:]:
                tr.write_line(f"         {line}")
            for entry in entries:
                tr.write_line(f"  {', '.join(entry['ids']) or '-':8} {entry['nodeid']}")
        for spot in blind_spots(self.run):
            tr.write_line(f"BLIND SPOT: {spot}", yellow=True, bold=True)

    @pytest.hookimpl(trylast=True)  # after the report files said where they are
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        tr = config.pluginmanager.get_plugin("terminalreporter")
        if tr and self.run.verdict:
            color = {"ALL": "green", "RED": "red", "CON": "red"}.get(self.run.verdict[:3], "yellow")  # NO RED FLAG
            tr.write_sep("=", self.run.verdict, **{color: True, "bold": True})
