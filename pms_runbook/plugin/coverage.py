"""`--redflag-coverage`: which red-flag IDs of red-flags.md have checks. Collects, runs nothing."""
from __future__ import annotations

from typing import Any

import pytest

from .state import redflag_ids


class RedflagCoverage:
    """Registered instead of the verdict, the summary and the reports when the option is on."""

    def __init__(self, config: pytest.Config):
        config.option.dist, config.option.numprocesses = "no", None  # collection only: no xdist workers
        self.covered: dict[str, list[str]] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.covered = {rid: [] for rid in redflag_ids()}
        for item in session.items:
            flag = item.get_closest_marker("redflag")
            for rid in (flag.args if flag else ()):
                self.covered.setdefault(str(rid), []).append(item.nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        return True  # run nothing

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        session.exitstatus = pytest.ExitCode.OK

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tr, known = terminalreporter, redflag_ids()
        tr.write_sep("=", "RED-FLAG COVERAGE")
        for rid, nodeids in self.covered.items():
            title = known.get(rid, "(not in red-flags.md)")
            checks = ", ".join(n.split("::")[-1] for n in nodeids) or "-"
            tr.write_line(f"{rid:6} {'ok ' if nodeids else 'NO '} {title[:60]:60}  {checks}", red=not nodeids)
        missing = [rid for rid, nodeids in self.covered.items() if not nodeids]
        tr.write_line("")
        tr.write_line(f"{len(self.covered) - len(missing)} of {len(self.covered)} red flags have a check")
        tr.write_line(f"without a check: {', '.join(missing) if missing else 'none'}", red=bool(missing))
