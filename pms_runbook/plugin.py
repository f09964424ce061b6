"""The runbook's pytest plugin: check discipline, "could not check", red-flag summary, reports, secrets.

Loaded by the root conftest.py (`pytest_plugins = ["pms_runbook.plugin", ...]`).

Exit codes
----------
  0   no red flag and nothing that could not run; the last line says ALL CLEAR only when every
      selected check ran, else "NO RED FLAG in N checks; M NOT CHECKED: <reasons>" (skipped checks)
  1   at least one red flag (a failed check, or a check that broke for a reason other than
      "could not check")
  2   interrupted, or a collection error (e.g. a check without its required markers) [pytest]
  3   pytest internal error [pytest; the suite never uses it]
  4   usage or configuration error: a bad option, missing or invalid settings (ConfigError)
  5   nothing was checked: no check collected, every check deselected, or every selected check skipped
  10  no red flag, but at least one check could not run ("could not check X because Y")

Precedence: 2/3/4 as pytest reports them, then 1, then 10, then 5. The policy applies to runs
of checks (items under checks/); self-test runs keep pytest's codes.

Options
-------
  --reports-dir DIR    where the default reports go (default: reports)
  --no-reports         no default HTML/JUnit/Allure output
  --allure-html        render DIR/allure-report.html (single file, offline) at the end
  --redflag-coverage   print which red-flag IDs of red-flags.md have checks, and run nothing

For a run of checks the defaults are `--html=DIR/report.html --self-contained-html`,
`--junitxml=DIR/junit.xml` and `--alluredir=DIR/allure-results` (each unless given), the Allure
results folder emptied first. Every report is scrubbed of registered secrets: each test report
as it is made (on the xdist worker, before it travels), and every file under DIR at the end.
"""
from __future__ import annotations

import importlib
import importlib.util
import logging
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from pms_runbook import secrets
from pms_runbook.catalogue import SEVERITIES, severities_of  # a check's severity: its marker, else its red flag's
from pms_runbook.evidence import PENDING
from pms_runbook.redflag import CouldNotCheck, see

SCHEDULES = ("daily", "postdeploy", "nightly", "weekly", "monthly")
EXIT_COULD_NOT_CHECK = 10
CNC_CATEGORY = "could not check"
CONFIG_CATEGORY = "configuration error"


# ---------------------------------------------------------------- red-flags.md and the state of a run

@cache
def redflag_ids() -> dict[str, str]:
    """The red-flag IDs of red-flags.md, in order, each with its short description."""
    text = (Path(__file__).parent / "data" / "red-flags.md").read_text(encoding="utf-8")
    ids = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) > 1 and re.fullmatch(r"[A-Z]\d+(\.\d+)?", cells[0]):
            ids[cells[0]] = cells[1]
    return ids


@dataclass
class Run:
    checks: bool  # a run of checks (items under checks/), to which the verdict policy applies
    reports_dir: Path | None = None  # set when this plugin manages the default reports
    red_flags: list[dict] = field(default_factory=list)
    could_not_check: list[dict] = field(default_factory=list)
    not_checked: list[dict] = field(default_factory=list)  # skipped checks: a capability or a gate missing
    config_error: str | None = None
    passed: int = 0
    passed_ids: set[str] = field(default_factory=set)
    skipped: int = 0
    collect_errors: int = 0
    coverage: dict[str, list[str]] | None = None
    verdict: str = ""


RUN = pytest.StashKey[Run]()


def _state(config: pytest.Config) -> Run:
    return config.stash.setdefault(RUN, Run(checks=False))


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_check(item: pytest.Item) -> bool:
    try:
        return item.path.relative_to(item.config.rootpath).parts[0] == "checks"
    except (ValueError, IndexError):
        return False


def _targets_checks(config: pytest.Config) -> bool:
    """Do the command-line paths (or testpaths) reach into checks/?"""
    checks = config.rootpath / "checks"
    for arg in config.args:
        path = Path(arg.split("::")[0])
        path = (path if path.is_absolute() else config.invocation_params.dir / path).resolve()
        if path == checks or checks in path.parents or path in checks.parents:
            return True
    return False


def _config_error_types() -> tuple[type[BaseException], ...]:
    """pms_runbook.config.ConfigError, if that module exists yet."""
    try:
        module = sys.modules.get("pms_runbook.config")
        if module is None:
            if importlib.util.find_spec("pms_runbook.config") is None:
                return ()
            module = importlib.import_module("pms_runbook.config")
        return (module.ConfigError,)
    except (ImportError, AttributeError):
        return ()


# ---------------------------------------------------------------- options and configuration

def pytest_addoption(parser: pytest.Parser) -> None:
    if importlib.util.find_spec("pms_runbook.options") is not None:
        importlib.import_module("pms_runbook.options").add_options(parser)
    group = parser.getgroup("pms-runbook reports")
    group.addoption("--reports-dir", default="reports", metavar="DIR",
                    help="where the default HTML, JUnit and Allure reports of a check run go (default: reports)")
    group.addoption("--no-reports", action="store_true", help="write no default reports")
    group.addoption("--allure-html", action="store_true",
                    help="render the Allure results to DIR/allure-report.html (one offline file) at the end")
    group.addoption("--redflag-coverage", action="store_true",
                    help="print which red-flag IDs of red-flags.md have checks, and run nothing")


@pytest.hookimpl(tryfirst=True)  # before pytest-html, junitxml and allure-pytest read their options
def pytest_configure(config: pytest.Config) -> None:
    for line in ("allure_label: allure label marker", "allure_link: allure link marker"):
        config.addinivalue_line("markers", line)  # ours to add even when allure-pytest is disabled
    run = config.stash[RUN] = Run(checks=_targets_checks(config))
    config.pluginmanager.register(Recorder(run), "pms-runbook-recorder")
    opt = config.option
    if _is_worker(config):
        for value in config.workerinput.get("pms_secrets", ()):
            secrets.register(value)  # secrets the controller knew when it started this worker
    if opt.redflag_coverage:
        opt.dist, opt.numprocesses = "no", None  # collection only: no xdist workers
        return
    if run.checks and getattr(opt, "tbstyle", None) == "auto":
        opt.tbstyle = "short"  # the check's assert line and its message, not pages of plumbing
    if run.checks and not opt.no_reports and not opt.collectonly:
        _default_reports(config, run)


def _default_reports(config: pytest.Config, run: Run) -> None:
    opt = config.option
    out = Path(opt.reports_dir)
    out = out if out.is_absolute() else config.invocation_params.dir / out
    run.reports_dir = out
    if hasattr(opt, "htmlpath") and not opt.htmlpath:
        opt.htmlpath = str(out / "report.html")
        opt.self_contained_html = True
    if hasattr(opt, "xmlpath") and not opt.xmlpath:
        opt.xmlpath = str(out / "junit.xml")
    if hasattr(opt, "allure_report_dir") and not opt.allure_report_dir:
        opt.allure_report_dir = str(out / "allure-results")
        if not _is_worker(config) and not opt.clean_alluredir:
            # Emptied here, once, by the controller: --clean-alluredir races between xdist workers.
            shutil.rmtree(opt.allure_report_dir, ignore_errors=True)
            (out / "allure-report.html").unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: hand the secrets registered so far to each worker."""
    node.workerinput["pms_secrets"] = sorted(secrets.registered())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: learn the secrets a worker registered (for the final scrub of report files)."""
    for value in (getattr(node, "workeroutput", None) or {}).get("pms_secrets", ()):
        secrets.register(value)


class _ScrubLogs(logging.Filter):
    """Masks secrets in log records on pytest's own handlers (live log, log file, captured log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = secrets.scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = secrets.scrub(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = secrets.scrub(record.exc_text)
        return True


@pytest.hookimpl(wrapper=True)
def pytest_sessionstart(session: pytest.Session):
    logging_plugin = session.config.pluginmanager.get_plugin("logging-plugin")
    for name in ("caplog_handler", "report_handler", "log_cli_handler", "log_file_handler"):
        handler = getattr(logging_plugin, name, None)
        if handler is not None:
            handler.addFilter(_ScrubLogs())
    return (yield from _usage_error_on_config_error())


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session):
    return (yield from _usage_error_on_config_error())


def _usage_error_on_config_error():
    """In a hook wrapper: a ConfigError from settings ends the run as a usage error, in one message."""
    try:
        return (yield)
    except _config_error_types() as exc:
        raise pytest.UsageError(f"configuration error: {secrets.scrub(str(exc))}") from None


# ---------------------------------------------------------------- collection: markers of a check

def _marker_problems(item: pytest.Item) -> list[str]:
    names = {m.name for m in item.iter_markers()}
    problems = []
    if not names & set(SCHEDULES):
        problems.append(f"no schedule marker (one or more of: {', '.join(SCHEDULES)})")
    severities = severities_of(item)
    if len(severities) != 1:
        found = f"found {', '.join(severities)}" if severities else "none found"
        problems.append(f"needs exactly one severity marker of {', '.join(SEVERITIES)} ({found})")
    flag = item.get_closest_marker("redflag")
    if flag is None or not flag.args:
        problems.append('no redflag marker, e.g. @pytest.mark.redflag("D1.4")')
    else:
        unknown = [str(a) for a in flag.args if str(a) not in redflag_ids()]
        if unknown:
            problems.append(f"redflag ID(s) not in red-flags.md: {', '.join(unknown)}")
    anchor = item.get_closest_marker("runbook")
    if anchor is None or not anchor.args:
        problems.append('no runbook marker, e.g. @pytest.mark.runbook("pms-operations-runbook.md#step-3")')
    return [f"{item.nodeid}: {p}" for p in problems]


def _label_for_allure(item: pytest.Item) -> None:
    for severity in severities_of(item)[:1]:
        if not item.get_closest_marker(severity):
            item.add_marker(severity)  # from the red-flag ID: `-m blocker` selects it too
        item.add_marker(pytest.mark.allure_label(severity, label_type="severity"))
    flag = item.get_closest_marker("redflag")
    if flag and flag.args:
        item.add_marker(pytest.mark.allure_label(*map(str, flag.args), label_type="tag"))
    anchor = item.get_closest_marker("runbook")
    if anchor and anchor.args:
        item.add_marker(pytest.mark.allure_link(see(anchor.args[0]), name=anchor.args[0], link_type="link"))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    report = yield
    if report.passed and report.result:
        problems = []
        for node in report.result:
            if isinstance(node, pytest.Item) and _is_check(node):
                problems += _marker_problems(node)
                _label_for_allure(node)
        if problems:
            report.outcome = "failed"
            report.longrepr = "a check must name its schedule, severity, red flag and runbook section:\n" + \
                "\n".join(problems)
            report.result = []
    if report.failed:
        _scrub_report(collector.config, report)
    return report


def pytest_collection_finish(session: pytest.Session) -> None:
    run = _state(session.config)
    run.checks = run.checks or any(_is_check(i) for i in session.items)
    if session.config.option.redflag_coverage:
        covered: dict[str, list[str]] = {rid: [] for rid in redflag_ids()}
        for item in session.items:
            flag = item.get_closest_marker("redflag")
            for rid in (flag.args if flag else ()):
                covered.setdefault(str(rid), []).append(item.nodeid)
        run.coverage = covered


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    return True if session.config.option.redflag_coverage else None  # coverage only: run nothing


# ---------------------------------------------------------------- reports of each test

def _scrub_obj(obj: Any) -> Any:
    if isinstance(obj, str):
        return secrets.scrub(obj)
    if isinstance(obj, secrets.Secret):
        return repr(obj)
    if isinstance(obj, dict):
        return {k: _scrub_obj(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_scrub_obj(v) for v in obj)
    return obj


def _scrub_exception(exc: BaseException | None) -> None:
    """Mask secrets in an exception (and its causes) before pytest and Allure render it."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        try:
            exc.args = tuple(secrets.scrub(a) if isinstance(a, str) else a for a in exc.args)
            if isinstance(getattr(exc, "msg", None), str):
                exc.msg = secrets.scrub(exc.msg)
            if getattr(exc, "__notes__", None):
                exc.__notes__ = [secrets.scrub(n) for n in exc.__notes__]
        except (AttributeError, TypeError):
            pass
        exc = exc.__cause__ or exc.__context__


def _scrub_report(config: pytest.Config, report: pytest.TestReport | pytest.CollectReport,
                  crash_message: str | None = None) -> None:
    """Mask secrets in everything a report carries; optionally set the one-line crash message."""
    report.sections = [(title, secrets.scrub(text)) for title, text in report.sections]
    if getattr(report, "user_properties", None):
        report.user_properties = _scrub_obj(list(report.user_properties))
    if getattr(report, "extras", None):
        report.extras = _scrub_obj(list(report.extras))
    longrepr = report.longrepr
    if longrepr is None:
        return
    if isinstance(longrepr, (str, tuple)):
        report.longrepr = _scrub_obj(longrepr)
        return
    text = str(longrepr)
    if crash_message is None and secrets.scrub(text) == text:
        return
    # Rebuild the structured longrepr (traceback entries, crash line) through pytest's own serializer.
    data = _scrub_obj(config.hook.pytest_report_to_serializable(config=config, report=report))
    longrepr_data = data.get("longrepr")
    if crash_message is not None and isinstance(longrepr_data, dict):
        crashes = [longrepr_data.get("reprcrash")] + [link[1] for link in longrepr_data.get("chain") or ()][-1:]
        for crash in filter(None, crashes):
            crash["message"] = secrets.scrub(crash_message)
    report.longrepr = config.hook.pytest_report_from_serializable(config=config, data=data).longrepr


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


@pytest.hookimpl(wrapper=True, trylast=True)  # innermost: Allure and pytest-html see the scrubbed report
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    exc = call.excinfo.value if call.excinfo else None
    _scrub_exception(exc)
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
        if isinstance(exc, CouldNotCheck):
            crash = report.pms_could_not_check = secrets.scrub(str(exc))
        elif isinstance(exc, _config_error_types()):
            crash = report.pms_config_error = secrets.scrub(str(exc))
            item.session.shouldstop = f"configuration error: {crash}"
        else:
            crash = flag_text
    _scrub_report(item.config, report, crash)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    if report.failed and getattr(report, "pms_could_not_check", None):
        return CNC_CATEGORY, "E", ("COULD NOT CHECK", {"yellow": True, "bold": True})
    if report.failed and getattr(report, "pms_config_error", None):
        return CONFIG_CATEGORY, "E", ("CONFIGURATION ERROR", {"red": True, "bold": True})
    return None


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
    return secrets.scrub(text.removeprefix("Skipped: ").strip()) or "skipped (no reason given)"


def _crash_text(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    return crash.message if crash is not None else str(report.longrepr or "")


class Recorder:
    """Tallies the reports of a run; on the xdist controller it sees every worker's reports."""

    def __init__(self, run: Run):
        self.run = run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        run, ids = self.run, getattr(report, "pms_redflag_ids", [])
        if getattr(report, "pms_config_error", None):
            run.config_error = run.config_error or report.pms_config_error
        elif report.failed and getattr(report, "pms_could_not_check", None):
            run.could_not_check.append({"nodeid": report.nodeid, "ids": ids, "text": report.pms_could_not_check})
        elif report.failed:
            run.red_flags.append({"nodeid": report.nodeid, "ids": ids, "when": report.when,
                                  "text": _crash_text(report)})
        elif report.passed and report.when == "call":
            run.passed += 1
            run.passed_ids.update(ids)
        elif report.skipped:
            run.skipped += 1
            run.not_checked.append({"nodeid": report.nodeid, "ids": ids, "reason": _skip_reason(report)})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.run.collect_errors += 1


# ---------------------------------------------------------------- end of the run: summary, exit code

# What no check sees when all of these red flags went unchecked (a blind spot worth its own line).
BLIND_SPOTS = (
    (("D1.5", "D3.1", "D3.2"), "an old pms-worker beside pms-worker-v2 is seen by no check"),
)


def _not_checked_by_reason(run: Run) -> dict[str, list[dict]]:
    """Skipped checks grouped by their reason's first line (the short reason), in order of appearance."""
    groups: dict[str, list[dict]] = {}
    for entry in run.not_checked:
        groups.setdefault(entry["reason"].splitlines()[0], []).append(entry)
    return groups


def _blind_spots(run: Run) -> list[str]:
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
    reasons = list(_not_checked_by_reason(run))
    shown = "; ".join(reasons[:limit]) + (f"; {len(reasons) - limit} more reason(s) below" if len(reasons) > limit
                                           else "")
    spots = _blind_spots(run)
    return f"{n} NOT CHECKED: {shown}" + (f"; {'; '.join(spots)}" if spots else "")


def _verdict(run: Run, exitstatus: int) -> tuple[int, str]:
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
    if n_red or run.collect_errors:
        ids = sorted({i for r in run.red_flags for i in r["ids"]})
        named = f" ({', '.join(ids)})" if ids else ""
        return pytest.ExitCode.TESTS_FAILED, f"RED FLAG: {n_red + run.collect_errors} failed{named}; {tail}"
    if n_cnc:
        return EXIT_COULD_NOT_CHECK, f"NOT VERIFIED: no red flag, but {n_cnc} check(s) could not run; {tail}"
    if run.passed == 0:
        return pytest.ExitCode.NO_TESTS_COLLECTED, "NOTHING CHECKED: " + (unchecked or "the selection ran no check")
    if unchecked:
        return pytest.ExitCode.OK, f"NO RED FLAG in {run.passed} checks; {unchecked}"
    return pytest.ExitCode.OK, f"ALL CLEAR: {run.passed} checks clear, every selected check ran"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config):
        config.workeroutput["pms_secrets"] = sorted(secrets.registered())
        return
    run = _state(config)
    if run.coverage is not None:
        session.exitstatus = pytest.ExitCode.OK
        return
    if config.option.collectonly:
        return
    if run.checks or run.could_not_check or run.config_error:
        code, run.verdict = _verdict(run, session.exitstatus)
        if run.checks or code in (EXIT_COULD_NOT_CHECK, pytest.ExitCode.USAGE_ERROR):
            session.exitstatus = code
        run.verdict += f"  [exit {int(session.exitstatus)}]"


def _first_line(text: str, prefix: str) -> str | None:
    return next((ln.strip() for ln in text.splitlines() if ln.strip().startswith(prefix)), None)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = _state(config)
    tr = terminalreporter
    if run.coverage is not None:
        _write_coverage(tr, run.coverage)
        return
    if not run.checks:
        return
    if run.red_flags:
        tr.write_sep("=", "RED FLAGS", red=True, bold=True)
        for entry in run.red_flags:
            tr.write_line(f"{', '.join(entry['ids']) or '-':8} {entry['nodeid']}", bold=True)
            text = entry["text"]
            lines = [_first_line(text, p) for p in ("RED FLAG:", "fix:", "see:")]
            if not lines[0]:
                first = text.strip().splitlines()[0] if text.strip() else "(no message)"
                lines = [f"{entry['when']} failed: {first}"]
            for line in filter(None, lines):
                tr.write_line(f"         {line}", red=line.startswith("RED FLAG"))
    if run.could_not_check:
        tr.write_sep("=", "COULD NOT CHECK", yellow=True, bold=True)
        for entry in run.could_not_check:
            tr.write_line(f"{', '.join(entry['ids']) or '-':8} {entry['nodeid']}", bold=True)
            for line in entry["text"].splitlines():
                tr.write_line(f"         {line}", yellow=True)
    if run.not_checked:
        tr.write_sep("=", "NOT CHECKED", yellow=True, bold=True)
        for reason, entries in _not_checked_by_reason(run).items():
            full = entries[0]["reason"]
            tr.write_line(f"{reason}  ({len(entries)} check(s))", yellow=True, bold=True)
            for line in full.splitlines()[1:]:
                tr.write_line(f"         {line}")
            for entry in entries:
                tr.write_line(f"  {', '.join(entry['ids']) or '-':8} {entry['nodeid']}")
        for spot in _blind_spots(run):
            tr.write_line(f"BLIND SPOT: {spot}", yellow=True, bold=True)
    if run.config_error:
        tr.write_sep("=", "CONFIGURATION ERROR", red=True, bold=True)
        tr.write_line(run.config_error, red=True)


def _write_coverage(tr: Any, coverage: dict[str, list[str]]) -> None:
    known = redflag_ids()
    tr.write_sep("=", "RED-FLAG COVERAGE")
    for rid, nodeids in coverage.items():
        title = known.get(rid, "(not in red-flags.md)")
        checks = ", ".join(n.split("::")[-1] for n in nodeids) or "-"
        tr.write_line(f"{rid:6} {'ok ' if nodeids else 'NO '} {title[:60]:60}  {checks}", red=not nodeids)
    missing = [rid for rid, nodeids in coverage.items() if not nodeids]
    tr.write_line("")
    tr.write_line(f"{len(coverage) - len(missing)} of {len(coverage)} red flags have a check")
    tr.write_line(f"without a check: {', '.join(missing) if missing else 'none'}", red=bool(missing))


def _junit_could_not_check(path: Path) -> None:
    """In the JUnit file, a check that could not run is an <error>, not a <failure>."""
    tree = ET.parse(path)
    changed = False
    for suite in tree.iter("testsuite"):
        moved = 0
        for case in suite.iter("testcase"):
            for node in case:
                message = node.get("message", "")
                if node.tag in ("failure", "error") and re.match(r'(failed on setup with ")?could not check ', message):
                    moved += node.tag == "failure"
                    node.tag = "error"
                    node.set("message", message.removeprefix('failed on setup with "').removesuffix('"'))
                    changed = True
        if moved:
            suite.set("failures", str(int(suite.get("failures", "0")) - moved))
            suite.set("errors", str(int(suite.get("errors", "0")) + moved))
    if changed:
        tree.write(path, encoding="utf-8", xml_declaration=True)


ALLURE_FILES = ("*-result.json", "*-container.json", "*-attachment*", "environment.properties",
                "executor.json", "categories.json")


def _report_files(config: pytest.Config, run: Run) -> set[Path]:
    """The files this run's reports wrote: the HTML and JUnit files, the Allure results, and all of
    the reports folder (unless it is the project or the current folder, never scrubbed wholesale)."""
    opt = config.option
    files = {Path(p) for p in (getattr(opt, "htmlpath", None), getattr(opt, "xmlpath", None)) if p}
    alluredir = getattr(opt, "allure_report_dir", None)
    if alluredir:
        files |= {f for pattern in ALLURE_FILES for f in Path(alluredir).glob(pattern)}
    folder = run.reports_dir.resolve() if run.reports_dir else None
    shared = {config.rootpath, *config.rootpath.parents, config.invocation_params.dir,
              *config.invocation_params.dir.parents}
    if folder and folder.is_dir() and folder not in shared:
        files |= set(folder.rglob("*"))
    return {f for f in files if f.is_file()}


def pytest_unconfigure(config: pytest.Config) -> None:
    if _is_worker(config) or RUN not in config.stash:
        return
    run = config.stash[RUN]
    from pms_runbook import reporting

    opt = config.option
    tr = config.pluginmanager.get_plugin("terminalreporter")
    xml = Path(opt.xmlpath) if getattr(opt, "xmlpath", None) else None
    if xml and xml.is_file() and run.could_not_check:
        _junit_could_not_check(xml)
    for path in _report_files(config, run):  # after pytest-html and junitxml wrote theirs (at session finish)
        reporting.scrub_file(path)
    alluredir = getattr(opt, "allure_report_dir", None)
    if opt.allure_html and run.coverage is None:
        out = Path(opt.reports_dir)
        out = (out if out.is_absolute() else config.invocation_params.dir / out) / "allure-report.html"
        try:
            if not alluredir:
                raise reporting.ReportingError("no Allure results: pass --alluredir or drop --no-reports")
            rendered = reporting.render_allure(alluredir, out)
            if tr:
                tr.write_line(f"allure report: {rendered}")
        except reporting.ReportingError as exc:
            if tr:
                tr.write_line(f"allure report not rendered: {exc}", red=True)
    if tr and run.verdict:
        color = {"ALL": "green", "RED": "red", "CON": "red"}.get(run.verdict[:3], "yellow")  # NO RED FLAG: yellow
        tr.write_sep("=", run.verdict, **{color: True, "bold": True})
