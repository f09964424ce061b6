"""Both network models (contract §1.2, §5.3): the lab run as a March "bridge" host (v2), judged by each model.

The module brings the lab to v2 and always returns it to v1 (the model every other self-test expects),
even when a test fails.
"""
from __future__ import annotations

import pytest

from tests.lab.conftest import status_json
from tests.lab.matrix import V2_MATRIX, V2_ROOTS, R

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SELECTION = ["-m", "(daily or weekly or monthly or postdeploy or nightly) and not browser"]  # the walk: test_browser_walk


@pytest.fixture(scope="module")
def v2_lab(lab_state):
    from lab import faults, stack
    from lab.state import LabState

    try:
        yield stack.up(LabState.load(), network_model="v2")
    finally:
        state = LabState.load()
        for name in list(state.faults):
            faults.FAULTS[name].heal(state)
        state.faults = []
        stack.up(state, network_model="v1")


@pytest.fixture
def v2_run(v2_lab, run_suite):
    def run(*extra: str):
        return run_suite(*SELECTION, "--expected-commit", v2_lab.commit, "--ready-wait", "3", *extra)

    return run


def test_the_lab_runs_as_a_v2_host(v2_lab):
    status = status_json()
    assert status["network_model"] == "v2"
    backend, db = status["containers"]["backend"], status["containers"]["db"]
    assert backend["networks"] == [v2_lab.coolify_network], backend
    assert sorted(db["networks"]) == sorted([v2_lab.coolify_network, v2_lab.supabase_network]), db


def test_a_correct_v2_host_is_all_clear_with_network_model_v2(v2_run):
    run = v2_run()  # the model comes from the lab status, as a profile's network_model would give it
    assert run.outcomes and run.not_passed() == {}, run.output[-4000:]
    assert run.returncode == 0


def test_the_v1_checks_flag_a_correct_v2_host(v2_run):
    # Why the setting exists: the checklist's Step 5 (v1) calls a healthy March host broken (contract §11 item 10).
    run = v2_run("--network-model", "v1")
    assert run.not_passed() == {"test_no_db_dns_or_network_disconnect": R,
                                "test_pms_backend_is_on_the_supabase_network": R}, run.output[-4000:]
    assert "not attached to the Supabase network" in run.messages["test_pms_backend_is_on_the_supabase_network"]


@pytest.mark.parametrize("fault", list(V2_MATRIX))
def test_v2_fault_turns_exactly_its_checks_red(fault, v2_lab, v2_run):
    from lab import faults
    from lab.state import LabState

    state = LabState.load()
    faults.inject(state, fault)
    try:
        run = v2_run()
        assert run.not_passed() == dict(sorted(V2_MATRIX[fault].items())), run.output[-6000:]
        fix = f"docker network connect --alias supabase-db {state.coolify_network} supabase-db"
        for name, outcome in V2_MATRIX[fault].items():
            message = run.messages[name]
            if outcome == R:
                assert "RED FLAG:" in message and "fix:" in message and "see:" in message, message
            else:
                assert "could not check" in message, message
        for name in ("test_supabase_db_resolves_inside_pms_backend", "test_pms_backend_is_on_the_supabase_network",
                     "test_no_db_dns_or_network_disconnect"):
            assert fix in run.messages[name], run.messages[name]
        assert run.returncode == 1
        from tests.lab.test_detection_matrix import assert_diagnosis

        assert_diagnosis(run, V2_MATRIX[fault], V2_ROOTS[fault])  # one root cause, the rest following from it
    finally:
        faults.heal(LabState.load(), fault)


def test_a_plain_up_keeps_the_model_in_force(v2_lab):
    import subprocess
    import sys

    from tests.lab.conftest import ROOT

    subprocess.run([sys.executable, "-m", "lab", "up"], cwd=ROOT, capture_output=True, text=True, timeout=180,
                   check=True)
    status = status_json()
    assert status["network_model"] == "v2"
    assert status["containers"]["backend"]["networks"] == [v2_lab.coolify_network]
