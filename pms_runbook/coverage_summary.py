"""Terminal line of how Step 4 covered the tenants: `Step 4: 14 active connections of 3 agencies (...)`.

The Step 4 checks carry the line in their `user_properties` (which xdist sends to the controller, and the
JUnit file keeps as a property of each Step 4 check); it is printed once at the end of the run.
"""
from __future__ import annotations

from typing import Any

import pytest

from pms_runbook.tenants import COVERAGE_PROPERTY as PROPERTY


class _Seen:
    line: str | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    _Seen.line = None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, value in getattr(report, "user_properties", ()):
        if name == PROPERTY and isinstance(value, str):
            _Seen.line = value


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _Seen.line and not hasattr(config, "workerinput"):
        terminalreporter.write_sep("-", "STEP 4 COVERAGE")
        terminalreporter.write_line(_Seen.line)
