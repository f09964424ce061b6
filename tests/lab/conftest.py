"""Self-tests against the lab: it must be up (scripts/selftest brings it up); faults are healed after each test."""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def lab_state():
    from lab import stack
    from lab.state import LabState

    if not LabState.exists():
        pytest.exit("the lab is not up: run `pms-lab up` (scripts/selftest does)", returncode=4)
    state = LabState.load()
    stack.wait_healthy(state, timeout=60)
    stack.wait_edge(state)  # the suite's lab profile goes through coolify-proxy
    return state


@pytest.fixture(scope="session")
def suite_info(lab_state) -> dict:
    """What the suite's lab profile runs against: through the edge unless PMS_LAB_VIA_EDGE=0 (lab/pytest_plugin.py)."""
    import os

    from lab.pytest_plugin import via_edge

    return lab_state.profile_info(via_edge=via_edge(os.environ))


@pytest.fixture
def healed_lab(lab_state):
    """The lab, healthy before and after the test whatever the test broke."""
    from lab import faults

    yield lab_state
    faults.heal(lab_state)


class Run:
    """One run of the runbook suite in a subprocess, as the on-call engineer or CI runs it."""

    def __init__(self, proc: subprocess.CompletedProcess, junit: Path, verdict: Path | None = None):
        self.returncode = proc.returncode
        self.output = proc.stdout + proc.stderr
        # the run's reports/verdict.json (docs/verdict.schema.json): outcomes and the diagnosis, by check name
        self.verdict = json.loads(verdict.read_text()) if verdict and verdict.exists() else None
        self.outcomes: dict[str, str] = {}
        self.messages: dict[str, str] = {}
        if junit.exists():
            for case in ET.parse(junit).getroot().iter("testcase"):
                name = case.get("name")
                outcome, message = "passed", ""
                for tag in ("failure", "error", "skipped"):
                    el = case.find(tag)
                    if el is not None:
                        message = (el.get("message") or "") + "\n" + (el.text or "")
                        head = message.split("\n", 1)[0]
                        if tag == "skipped":
                            outcome = "skipped"
                        elif "RED FLAG:" in head:  # also a fixture's (setup): an answer that shows the failure
                            outcome = "red flag"
                        elif "could not check" in message:
                            outcome = "could not check"
                        elif tag == "failure" and "RED FLAG" in message:
                            outcome = "red flag"
                        else:
                            outcome = f"unexpected {tag}"
                        break
                self.outcomes[name] = outcome
                self.messages[name] = message

    def not_passed(self) -> dict[str, str]:
        return {k: v for k, v in sorted(self.outcomes.items()) if v != "passed"}

    def roots(self) -> set[str]:
        """The names of the checks the diagnosis calls root causes."""
        return {c["nodeid"].rsplit("::", 1)[-1] for c in self.verdict["checks"] if c.get("root_cause")}

    def follows_from(self) -> dict[str, str]:
        """{check name: name of the root cause it follows from} for every non-passing check that follows."""
        return {c["nodeid"].rsplit("::", 1)[-1]: c["follows_from"].rsplit("::", 1)[-1]
                for c in self.verdict["checks"] if c.get("follows_from")}


def seed_history(path: Path) -> Path:
    """A history whose last nightly and post-deploy gate ended now: the dead-man's switch (R1.1, R1.2) passes
    on a lab run from a fresh reports dir (a run's own --history overrides it; tests/lab/test_alerting.py)."""
    import datetime as dt

    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    path.write_text("".join(json.dumps({"type": "run", "run": f"seed-{s}", "time": now, "profile": "lab", "schedule": s,
                                        "verdict": "all_clear", "exit_code": 0}) + "\n" for s in ("nightly", "postdeploy")))
    return path


@pytest.fixture(autouse=True)
def _fresh_history(tmp_path, monkeypatch):
    monkeypatch.setenv("PMS_HISTORY", str(seed_history(tmp_path / "history-seed.jsonl")))


@pytest.fixture
def run_suite(tmp_path):
    def run(*args: str, timeout: float = 300) -> Run:
        junit = tmp_path / f"junit-{len(list(tmp_path.iterdir()))}.xml"
        seed_history(tmp_path / "history-seed.jsonl")  # after whatever the test broke or redeployed
        verdict = tmp_path / "reports" / "verdict.json"
        verdict.unlink(missing_ok=True)
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}",
             f"--reports-dir={tmp_path / 'reports'}", *args],
            cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        )
        return Run(proc, junit, verdict)

    return run


def status_json() -> dict:
    out = subprocess.run([sys.executable, "-m", "lab", "status", "--json"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    return json.loads(out)
