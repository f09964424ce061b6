"""`--redflag ID` (the checks of one red flag), `--recheck SECONDS` (re-run the failing checks until they pass
or the bound, for the person who has just applied a fix by hand) and `--verdict-stdout`."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from .state import Run

RECHECK_PAUSE = 5.0  # seconds between two re-runs


class RedflagSelection:
    """Deselects every check whose red-flag marker names none of the --redflag IDs."""

    def __init__(self, ids: list[str]):
        self.ids = set(ids)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        keep, drop = [], []
        for item in items:
            flag = item.get_closest_marker("redflag")
            (keep if flag and self.ids & {str(a) for a in flag.args} else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep


def _recheck_args(config: pytest.Config, nodeids: list[str], report: str) -> list[str]:
    """The run's own options (profile, targets, markers dropped), on the failing node IDs only."""
    args, skip = [], False
    for arg in config.invocation_params.args:
        if skip:
            skip = False
            if arg in ("plan", "apply") or not arg.startswith("-"):
                continue
        if arg in ("--recheck", "--fix", "--redflag", "-m", "-k", "--verdict-json", "--reports-dir",
                   "--fix-max-actions", "--junitxml", "--html", "--alluredir"):
            skip = True
            continue
        if arg.startswith(("--recheck=", "--fix", "--redflag=", "--verdict-json=", "--reports-dir=", "--yes",
                           "--verdict-stdout", "-n", "--junitxml=", "--html=", "--alluredir=", "--allure-html",
                           "-m=", "-k=")) or arg.startswith("checks") or "::" in arg:
            continue
        args.append(arg)
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--no-reports", "-q",
            "--verdict-json", report, *args, *nodeids]


def recheck(config: pytest.Config, nodeids: list[str], bound: float, tr=None) -> dict | None:
    """Re-run `nodeids` until every one passes or `bound` seconds have passed; the last verdict document."""
    import tempfile

    deadline, attempt, last = time.monotonic() + bound, 0, None
    with tempfile.TemporaryDirectory(prefix="pms-recheck-") as tmp:
        report = f"{tmp}/verdict.json"
        while True:
            attempt += 1
            subprocess.run(_recheck_args(config, nodeids, report), cwd=config.invocation_params.dir,
                           capture_output=True, text=True, timeout=max(60.0, bound + 60))
            try:
                with open(report, encoding="utf-8") as f:
                    last = json.load(f)
            except (OSError, ValueError):
                last = None
            line = last["verdict"]["line"] if last else "no verdict (the re-run did not finish)"
            if tr is not None:
                tr.write_line(f"RECHECK {attempt}: {line}")
            if last and last["verdict"]["exit_code"] == 0 or time.monotonic() + RECHECK_PAUSE > deadline:
                return last
            time.sleep(RECHECK_PAUSE)


class Recheck:
    """After the verdict: the failing checks again, until they pass or the bound; the exit code is the last's."""

    def __init__(self, run: Run, bound: float):
        self.run, self.bound = run, bound

    @pytest.hookimpl(wrapper=True, tryfirst=True)  # around the verdict and the terminal summary
    def pytest_sessionfinish(self, session: pytest.Session):
        result = yield
        run = self.run
        failing = [nodeid for nodeid in run.roots]
        if not failing or hasattr(session.config, "workerinput"):
            return result
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_sep("=", f"RECHECK: {len(failing)} failing check(s), for up to {self.bound:g} s")
        last = recheck(session.config, failing, self.bound, tr)
        if tr is not None and (not last or last["verdict"]["exit_code"] != 0):
            tr.write_line(f"RECHECK: the bound of {self.bound:g} s is reached and the checks still fail", red=True)
        if last:
            session.exitstatus = run.exit_code = last["verdict"]["exit_code"]
            run.verdict = f"{last['verdict']['line']} (after --recheck)  [exit {int(session.exitstatus)}]"
        return result
