"""Redaction: no registered secret leaves the run, in a report, a log record or an xdist message.

Each test report is scrubbed as it is made (on the xdist worker, before it travels); the exception is
scrubbed before pytest and Allure render it; pytest's log handlers mask log records; the controller and
its workers exchange the secrets they know, so the final scrub of report files knows them all.
"""
from __future__ import annotations

import logging
from typing import Any

import pytest

from pms_runbook import secrets

CRASH = pytest.StashKey[str]()  # the one-line crash message the verdict chose for a report's longrepr


def scrub_obj(obj: Any) -> Any:
    if isinstance(obj, str):
        return secrets.scrub(obj)
    if isinstance(obj, secrets.Secret):
        return repr(obj)
    if isinstance(obj, dict):
        return {k: scrub_obj(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(scrub_obj(v) for v in obj)
    return obj


def scrub_exception(exc: BaseException | None) -> None:
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


def scrub_report(config: pytest.Config, report: pytest.TestReport | pytest.CollectReport,
                 crash_message: str | None = None) -> None:
    """Mask secrets in everything a report carries; optionally set the one-line crash message."""
    report.sections = [(title, secrets.scrub(text)) for title, text in report.sections]
    if getattr(report, "user_properties", None):
        report.user_properties = scrub_obj(list(report.user_properties))
    if getattr(report, "extras", None):
        report.extras = scrub_obj(list(report.extras))
    longrepr = report.longrepr
    if longrepr is None:
        return
    if isinstance(longrepr, (str, tuple)):
        report.longrepr = scrub_obj(longrepr)
        return
    text = str(longrepr)
    if crash_message is None and secrets.scrub(text) == text:
        return
    # Rebuild the structured longrepr (traceback entries, crash line) through pytest's own serializer.
    data = scrub_obj(config.hook.pytest_report_to_serializable(config=config, report=report))
    longrepr_data = data.get("longrepr")
    if crash_message is not None and isinstance(longrepr_data, dict):
        crashes = [longrepr_data.get("reprcrash")] + [link[1] for link in longrepr_data.get("chain") or ()][-1:]
        for crash in filter(None, crashes):
            crash["message"] = secrets.scrub(crash_message)
    report.longrepr = config.hook.pytest_report_from_serializable(config=config, data=data).longrepr


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


class Redaction:
    """Always on: a self-test run can leak a secret as well as a run of checks."""

    def __init__(self, config: pytest.Config):
        if hasattr(config, "workerinput"):
            for value in config.workerinput.get("pms_secrets", ()):
                secrets.register(value)  # secrets the controller knew when it started this worker

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        logging_plugin = session.config.pluginmanager.get_plugin("logging-plugin")
        for name in ("caplog_handler", "report_handler", "log_cli_handler", "log_file_handler"):
            handler = getattr(logging_plugin, name, None)
            if handler is not None:
                handler.addFilter(_ScrubLogs())

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist controller: hand the secrets registered so far to each worker."""
        node.workerinput["pms_secrets"] = sorted(secrets.registered())

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist controller: learn the secrets a worker registered (for the final scrub of report files)."""
        for value in (getattr(node, "workeroutput", None) or {}).get("pms_secrets", ()):
            secrets.register(value)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(session.config, "workeroutput"):
            session.config.workeroutput["pms_secrets"] = sorted(secrets.registered())

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """The token file the xdist workers share (fixtures/auth.py) lives only as long as the run."""
        factory = getattr(config, "_tmp_path_factory", None)
        if factory is not None and not hasattr(config, "workerinput"):
            try:
                (factory.getbasetemp() / "pms-token.json").unlink(missing_ok=True)
            except OSError:
                pass

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector):
        report = yield
        if report.failed:
            scrub_report(collector.config, report)
        return report

    # Inside the other plugins' wrappers (trylast): Allure and pytest-html see the scrubbed report.
    # Outside the verdict's wrapper (registered first): see pms_runbook.plugin.pytest_configure.
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        scrub_exception(call.excinfo.value if call.excinfo else None)
        report = yield
        crash = item.stash.get(CRASH, None)
        if crash is not None:
            del item.stash[CRASH]
        scrub_report(item.config, report, crash)
        return report
