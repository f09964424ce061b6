"""The post-deploy gate against the lab: exit codes and messages the CI reads (issue: postdeploy)."""
from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest
import yaml

from tests.lab.conftest import ROOT

pytestmark = [pytest.mark.lab]


def test_gate_passes_on_the_deployed_commit(lab_state, run_suite):
    run = run_suite("-m", "postdeploy", "--expected-commit", lab_state.commit[:7].upper())
    assert run.returncode == 0, run.output[-3000:]
    assert run.not_passed() == {}


def test_gate_names_the_mismatch_with_the_red_flag_code(lab_state, run_suite):
    other = "deadbeef" + lab_state.commit[8:]
    run = run_suite("-m", "postdeploy", "--expected-commit", other)
    assert run.returncode == 1
    assert run.not_passed() == {"test_api_runs_the_expected_commit": "red flag",
                                "test_admin_runs_the_expected_commit": "red flag"}
    assert f"expected {other}" in run.messages["test_api_runs_the_expected_commit"]
    assert lab_state.commit in run.messages["test_api_runs_the_expected_commit"]


def test_gate_without_expected_commit_is_a_usage_error(lab_state, run_suite, monkeypatch):
    # The lab fills in its own commit; a real target has none unless given.
    run = run_suite("-m", "postdeploy", "--pms-env", "staging", "--api-url", lab_state.api_url,
                    "--admin-url", lab_state.admin_url, "--sb-url", lab_state.auth_url)
    assert run.returncode == 4
    assert "EXPECTED_COMMIT" in run.output and "ANON_KEY" in run.output


def test_gate_could_not_check_when_the_api_is_unreachable(lab_state, run_suite):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    started = time.monotonic()
    run = run_suite("-m", "postdeploy", "--expected-commit", lab_state.commit, "--api-url",
                    f"http://127.0.0.1:{closed}", "--ready-wait", "2")
    elapsed = time.monotonic() - started
    assert run.returncode == 10, run.output[-3000:]
    assert "test_api_runs_the_expected_commit" in run.not_passed()
    assert set(run.not_passed().values()) == {"could not check"}
    assert elapsed < 60


def test_gate_waits_for_a_slow_readiness_and_fails_a_short_wait(healed_lab, run_suite):
    from lab import faults

    faults.inject(healed_lab, "slow-ready")
    short = run_suite("-m", "postdeploy", "--expected-commit", healed_lab.commit, "--ready-wait", "2")
    assert short.returncode == 1
    assert "test_ready_within_the_wait" in short.not_passed()
    assert "/health/ready still 503" in short.messages["test_ready_within_the_wait"]
    faults.heal(healed_lab)
    faults.inject(healed_lab, "slow-ready")
    started = time.monotonic()
    patient = run_suite("-m", "postdeploy", "--expected-commit", healed_lab.commit, "--ready-wait", "60")
    assert patient.returncode == 0, patient.output[-3000:]
    assert time.monotonic() - started > 5  # it really waited for the network to come back


def test_rollback_is_verified_like_a_deploy(healed_lab, run_suite):
    """Golden path 2: after `pms-lab deploy --commit <previous>`, the gate passes for that commit."""
    from lab import stack

    current, previous = healed_lab.commit, "0badc0de" * 5
    try:
        stack.deploy(healed_lab, previous)
        assert run_suite("-m", "postdeploy", "--expected-commit", previous[:12]).returncode == 0
        assert run_suite("-m", "postdeploy", "--expected-commit", current[:12]).returncode == 1
    finally:
        stack.deploy(healed_lab, current)


@pytest.mark.parametrize("workflow, step", [("postdeploy.yml", "Post-deploy checks"), ("nightly.yml", None)])
def test_workflow_commands_run_against_the_lab(lab_state, workflow, step):
    """The commands the CI templates run, run here against the lab with the inputs a dispatch gives."""
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / workflow).read_text())
    steps = [s for job in doc["jobs"].values() for s in job["steps"] if "pytest" in s.get("run", "")]
    command = next(s["run"] for s in steps if step is None or s.get("name") == step)
    env = {**os.environ, "PMS_ENV": "lab", "EXPECTED_COMMIT": lab_state.commit}
    proc = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert (ROOT / "reports" / "report.html").exists() and (ROOT / "reports" / "allure-report.html").exists()
