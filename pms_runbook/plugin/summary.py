"""The terminal summary of a run of checks: red flags, could-not-check, not checked, Step 4's
coverage of the tenants, and the verdict as the very last line."""
from __future__ import annotations

from typing import Any

import pytest

from pms_runbook.redflag import fix_lines, parse
from pms_runbook.resources.tenants import COVERAGE_PROPERTY

from .state import Run
from .verdict import blind_spots, not_checked_by_reason

OBSERVED_LINES = 12  # of a root cause's observed text in the terminal; all of it is in the reports


def _because(text: str) -> str:
    """The reason of a could-not-check's first line ("could not check X because Y": Y), else ''."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first.split(" because ", 1)[1] if first.startswith("could not check ") and " because " in first else ""


class TerminalSummary:
    """On the controller only (workers have no terminal of their own)."""

    def __init__(self, run: Run):
        self.run = run
        self.step4_line: str | None = None  # carried in the Step 4 checks' user_properties (xdist sends them)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in getattr(report, "user_properties", ()):
            if name == COVERAGE_PROPERTY and isinstance(value, str):
                self.step4_line = value

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """The ops summary is the default output: pytest's FAILURES/ERRORS sections and its short summary
        repeat every red flag, so they are kept for -v / --tb (before the terminal writes them)."""
        run, config = self.run, session.config
        if not run.checks or run.detail or run.collect_errors:
            return  # a collection error is shown by pytest alone
        config.option.tbstyle = "no"
        tr = config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.reportchars = "".join(c for c in tr.reportchars if c == "w")  # warnings stay

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

    def _following(self, root: str) -> list[dict]:
        return [r for r in self.run.results if self.run.roots.get(r["nodeid"]) == root]

    def _consequences(self, tr: Any, root: str, root_text: str = "") -> None:
        following = self._following(root)
        if not following:
            return
        tr.write_line(f"         follows from it ({len(following)}):")
        because = _because(root_text)
        for r in following:
            lines = r["text"].strip().splitlines() or [r["outcome"]]
            first = lines[0] + (f" {lines[1].strip()}" if lines[0].endswith(":") and len(lines) > 1 else "")
            if because and _because(first) == because:  # the reason once, at the root
                first = first[: -len(because)].removesuffix(" because ") + ": the same reason"
            tr.write_line(f"           {', '.join(r['ids']) or '-':8} {r['nodeid']}")
            tr.write_line(f"             {first}", red=first.startswith("RED FLAG"), yellow=first.startswith("could"))

    def _red_flags(self, tr: Any) -> None:
        roots = [e for e in self.run.red_flags if self.run.roots.get(e["nodeid"], None) is None]
        if not self.run.red_flags:
            return
        n_following = sum(len(self._following(e["nodeid"])) for e in roots)
        tr.write_sep("=", f"RED FLAGS: {len(roots)} root cause(s), {n_following} following", red=True, bold=True)
        for entry in roots:
            tr.write_line(f"{', '.join(entry['ids']) or '-':8} {entry['nodeid']}", bold=True)
            text = entry["text"]
            if text.startswith("RED FLAG:"):
                parts = parse(text)
                tr.write_line(f"         ROOT CAUSE: RED FLAG: {parts['words']}", red=True)
                if parts["observed"]:
                    obs = parts["observed"].splitlines()
                    tr.write_line(f"         observed: {obs[0]}")
                    for line in obs[1:OBSERVED_LINES]:
                        tr.write_line(f"             {line}")
                    if len(obs) > OBSERVED_LINES:
                        tr.write_line(f"             (+{len(obs) - OBSERVED_LINES} more lines in the report)")
                lines = fix_lines(parts["fix"])
                if lines[0].startswith("    "):
                    lines.insert(0, "")
                for i, line in enumerate(lines):
                    tr.write_line(f"         fix: {line}".rstrip() if i == 0 else f"         {line}", bold=i == 0)
                if parts["see"]:
                    tr.write_line(f"         see: {parts['see']}")
            else:
                first = text.strip().splitlines()[0] if text.strip() else "(no message)"
                tr.write_line(f"         {entry['when']} failed: {first}")
            self._consequences(tr, entry["nodeid"])

    def _could_not_check(self, tr: Any) -> None:
        roots = [e for e in self.run.could_not_check if self.run.roots.get(e["nodeid"], None) is None]
        if not roots:
            return
        tr.write_sep("=", "COULD NOT CHECK", yellow=True, bold=True)
        for entry in roots:
            tr.write_line(f"{', '.join(entry['ids']) or '-':8} {entry['nodeid']}", bold=True)
            for line in entry["text"].splitlines():
                tr.write_line(f"         {line}", yellow=True)
            self._consequences(tr, entry["nodeid"], entry["text"])

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
        if tr and self.run.verdict and config.option.verdict_stdout:  # the last line: the verdict JSON
            from . import verdict_json

            tr.write_line(verdict_json.text(config, self.run, self.run.exit_code or 0, indent=None))
