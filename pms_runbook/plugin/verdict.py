"""The verdict of a run of checks and its exit code: each report is classified (red flag, could not
check, configuration error, not checked), tallied, and turned into the last line and the exit code.

Exit codes: 0 clear (NOT CHECKED named), 1 red flag, 4 configuration error, 5 nothing checked,
10 could not check; 2/3 stay pytest's. Precedence 2/3/4, then 1, then 10, then 5. Self-test runs
(nothing under checks/) keep pytest's codes.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from pms_runbook import secrets
from pms_runbook.evidence import PENDING
from pms_runbook.redflag import CouldNotCheck, see

from . import config_errors
from .redaction import CRASH
from .state import EXIT_COULD_NOT_CHECK, Run, is_check

CNC_CATEGORY = "could not check"

# What no check sees when all of these red flags went unchecked (a blind spot worth its own line).
BLIND_SPOTS = (
    (("D1.5", "D3.1", "D3.2"), "an old pms-worker beside pms-worker-v2 is seen by no check"),
)


def _split_assertion(text: str) -> tuple[str, str]:
    """An assertion message and pytest's introspection ("assert x == y ...") that follows it."""
    lines = text.splitlines()
    cut = next((i for i, line in enumerate(lines) if i and line.startswith("assert ")), len(lines))
    message, detail = lines[:cut], lines[cut:]
    if len(message) > 1 and all(not ln or ln.startswith("  ") for ln in message[1:]):
        message = message[:1] + [ln[2:] for ln in message[1:]]  # pytest indents message lines by two
    return "\n".join(message).rstrip(), "\n".join(detail)


def _red_flag_text(item: pytest.Item, exc: BaseException) -> str | None:
    """For a `RED FLAG:` assertion: the clean message with its see: line; the exception is updated."""
    failed = isinstance(exc, pytest.fail.Exception)
    if not (isinstance(exc, AssertionError) or failed):
        return None
    raw = exc.msg if failed else str(exc)
    if not raw.startswith("RED FLAG:"):
        return None
    message, detail = (raw, "") if failed else _split_assertion(raw)
    anchor = item.get_closest_marker("runbook")
    if anchor and anchor.args and not re.search(r"^see:", message, re.MULTILINE):
        message += f"\nsee: {see(anchor.args[0])}"
    shown = message + (f"\n\n{detail}" if detail and item.config.option.verbose >= 2 else "")
    if failed:
        exc.msg = shown
    exc.args = (shown,)
    return message


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
    return secrets.scrub(text.removeprefix("Skipped: ").strip()) or "skipped (no reason given)"


def _crash_text(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    return crash.message if crash is not None else str(report.longrepr or "")


def not_checked_by_reason(run: Run) -> dict[str, list[dict]]:
    """Skipped checks grouped by their reason's first line (the short reason), in order of appearance."""
    groups: dict[str, list[dict]] = {}
    for entry in run.not_checked:
        groups.setdefault(entry["reason"].splitlines()[0], []).append(entry)
    return groups


def blind_spots(run: Run) -> list[str]:
    unchecked = {i for e in run.not_checked for i in e["ids"]}
    ran = {i for group in (run.red_flags, run.could_not_check) for e in group for i in e["ids"]} | run.passed_ids
    out = []
    for ids, what in BLIND_SPOTS:
        selected = [i for i in ids if i in unchecked or i in ran]
        if selected and not set(selected) & ran:
            out.append(f"{what} ({', '.join(selected)} not checked)")
    return out


def _not_checked_clause(run: Run, limit: int = 3) -> str:
    """`12 NOT CHECKED: no Docker access (give --docker-host ssh://user@host); ...`, or ''."""
    n = len({e["nodeid"] for e in run.not_checked})
    if not n:
        return ""
    reasons = list(not_checked_by_reason(run))
    shown = "; ".join(reasons[:limit]) + (f"; {len(reasons) - limit} more reason(s) below" if len(reasons) > limit
                                           else "")
    spots = blind_spots(run)
    return f"{n} NOT CHECKED: {shown}" + (f"; {'; '.join(spots)}" if spots else "")


def _waived_clause(run: Run) -> str:
    """`1 WAIVED (D4.2)`: red flags a live waiver matched (plugin/waivers.py), never counted as clear."""
    return f"{len(run.waived)} WAIVED ({', '.join(sorted({i for w in run.waived for i in w['ids'][:1]}))})"


def verdict(run: Run, exitstatus: int) -> tuple[int, str]:
    """The last line. ALL CLEAR only when every selected check ran and passed; skipped checks are
    NOT CHECKED, counted and named with their reasons in every verdict (the exit codes are unchanged)."""
    n_red, n_cnc = len({r["nodeid"] for r in run.red_flags}), len({c["nodeid"] for c in run.could_not_check})
    if run.config_error:
        return pytest.ExitCode.USAGE_ERROR, f"CONFIGURATION ERROR: {run.config_error.splitlines()[0]}"
    if exitstatus == pytest.ExitCode.USAGE_ERROR:
        return exitstatus, "NOTHING CHECKED: usage or configuration error"
    if exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR):
        return exitstatus, "NOT VERIFIED: the run was interrupted or could not collect the checks"
    unchecked = _not_checked_clause(run)
    tail = f"{run.passed} clear, {n_cnc} could not check, " + (unchecked or "0 not checked")
    if run.waived:
        tail += f"; {_waived_clause(run)}"
    n_roots, n_following = run.root_counts()
    if n_roots or n_following:  # the diagnosis: root causes and what follows from them, counted apart
        tail += (f"; {n_roots} root cause{'s' if n_roots != 1 else ''}, {n_following} following from "
                 f"{'them' if n_roots != 1 else 'it'}")
    if n_red or run.collect_errors:
        ids = sorted({i for r in run.red_flags for i in r["ids"]})
        named = f" ({', '.join(ids)})" if ids else ""
        return pytest.ExitCode.TESTS_FAILED, f"RED FLAG: {n_red + run.collect_errors} failed{named}; {tail}"
    if n_cnc:
        return EXIT_COULD_NOT_CHECK, f"NOT VERIFIED: no red flag, but {n_cnc} check(s) could not run; {tail}"
    if run.passed == 0 and not run.waived:
        return pytest.ExitCode.NO_TESTS_COLLECTED, "NOTHING CHECKED: " + (unchecked or "the selection ran no check")
    if unchecked or run.waived:
        clauses = [c for c in (_waived_clause(run) if run.waived else "", unchecked) if c]
        return pytest.ExitCode.OK, f"NO RED FLAG in {run.passed} checks; {'; '.join(clauses)}"
    return pytest.ExitCode.OK, f"ALL CLEAR: {run.passed} checks clear, every selected check ran"


def _record(run: Run, result: dict) -> None:
    """One result per check: a failing phase (a teardown error after a pass) replaces a pass, not a failure."""
    for i, old in enumerate(run.results):
        if old["nodeid"] == result["nodeid"]:
            if old["outcome"] == "passed":
                run.results[i] = result
            return
    run.results.append(result)


def containers(config: pytest.Config) -> list[str]:
    """Every container name the profile accepts (the diagnosis matches them in messages), else the runbook's."""
    from pms_runbook.catalogue import ROLES, RUNBOOK_NAMES

    from .settings import run_settings

    settings = run_settings(config)
    names = {RUNBOOK_NAMES[r] for r in ROLES}
    if settings is not None:
        for role in ROLES:
            try:
                names.update(settings.container_names(role))
            except Exception:  # noqa: BLE001  (an incomplete profile names what it can)
                pass
    return sorted(names, key=len, reverse=True)


class Verdict:
    """Classifies each report where it is made, tallies them where they arrive (the xdist controller
    sees every worker's), and sets the exit code at the end."""

    def __init__(self, run: Run):
        self.run = run

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        exc = call.excinfo.value if call.excinfo else None
        flag_text = _red_flag_text(item, exc) if exc is not None else None
        report = yield
        for node in item.listchain():  # evidence from the item's fixtures, wider fixtures included
            extras = node.stash.get(PENDING, None)
            if extras:
                report.extras = list(getattr(report, "extras", []) or []) + extras
                extras.clear()
        flag = item.get_closest_marker("redflag")
        report.pms_redflag_ids = [str(a) for a in flag.args] if flag else []
        shown = getattr(exc, "flag_id", None)  # an answer that shows a failure names its own red flag (F3, F4)
        if shown and shown not in report.pms_redflag_ids:
            report.pms_redflag_ids.append(shown)
        crash = None
        if exc is not None and report.failed:
            report.pms_is_check = is_check(item)
            if isinstance(exc, CouldNotCheck):
                crash = report.pms_could_not_check = secrets.scrub(str(exc))
            elif config_errors.is_config_error(exc):
                crash = report.pms_config_error = config_errors.stop_at(item, exc)
            else:
                crash = flag_text
        if crash is not None:
            item.stash[CRASH] = crash
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config):
        # A self-test that could not check is a failing self-test: pytest's ERRORS section shows its traceback.
        if report.failed and getattr(report, "pms_could_not_check", None) and getattr(report, "pms_is_check", True):
            return CNC_CATEGORY, "E", ("COULD NOT CHECK", {"yellow": True, "bold": True})
        if report.failed and getattr(report, "pms_config_error", None):
            return config_errors.CONFIG_CATEGORY, "E", ("CONFIGURATION ERROR", {"red": True, "bold": True})
        return None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        run, ids = self.run, getattr(report, "pms_redflag_ids", [])
        result = None
        if getattr(report, "pms_waived", None):  # a red flag a live waiver matched (plugin/waivers.py)
            run.waived.append({"nodeid": report.nodeid, "ids": ids, "waiver": report.pms_waived})
            result = {"outcome": "waived", "text": report.pms_waived["text"]}
        elif getattr(report, "pms_config_error", None):
            run.config_error = run.config_error or report.pms_config_error
        elif report.failed and getattr(report, "pms_could_not_check", None):
            run.could_not_check.append({"nodeid": report.nodeid, "ids": ids, "text": report.pms_could_not_check})
            result = {"outcome": "could_not_check", "text": report.pms_could_not_check}
        elif report.failed:
            text = _crash_text(report)
            run.red_flags.append({"nodeid": report.nodeid, "ids": ids, "when": report.when, "text": text})
            result = {"outcome": "red_flag", "text": text if text.startswith("RED FLAG:") else
                      f"{report.when} failed: {text.strip().splitlines()[0] if text.strip() else '(no message)'}"}
        elif report.passed and report.when == "call":
            run.passed += 1
            run.passed_ids.update(ids)
            result = {"outcome": "passed", "text": ""}
        elif report.skipped:
            run.skipped += 1
            run.not_checked.append({"nodeid": report.nodeid, "ids": ids, "reason": _skip_reason(report)})
            result = {"outcome": "not_checked", "text": _skip_reason(report)}
        if result is not None:
            _record(run, {"nodeid": report.nodeid, "ids": list(ids), **result})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.run.collect_errors += 1

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.run.checks = self.run.checks or any(is_check(i) for i in session.items)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        run = self.run
        if hasattr(session.config, "workerinput") or session.config.option.collectonly:
            return
        if run.checks or run.could_not_check or run.config_error:
            from pms_runbook import diagnosis

            run.roots = diagnosis.diagnose(run.results, containers(session.config))
            code, run.verdict = verdict(run, session.exitstatus)
            if run.checks or code in (EXIT_COULD_NOT_CHECK, pytest.ExitCode.USAGE_ERROR):
                session.exitstatus = code
            run.verdict += f"  [exit {int(session.exitstatus)}]"
            run.exit_code = int(session.exitstatus)
            self._write_verdict_json(session.config)

    def _write_verdict_json(self, config: pytest.Config) -> None:
        from . import verdict_json
        from .reports import reports_dir

        opt = config.option
        path = getattr(opt, "verdict_json", None)
        if not path and self.run.checks and not opt.no_reports:
            path = str(reports_dir(config) / verdict_json.FILE)
        if path:
            self.run.verdict_json = verdict_json.write(Path(path), config, self.run, self.run.exit_code)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.run.started = time.time()
