"""Every fault turns exactly its checks red (or could-not-check), and the healthy lab is all green."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.lab.matrix import (
    ALL,
    MATRIX,
    PAIRS,
    PROVEN_ELSEWHERE,
    ROOTS,
    TIMED,
    V2_MATRIX,
    V2_ROOTS,
    C,
    N,
    R,
    render,
)

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SELECTION = ["-m", "daily or weekly or monthly or postdeploy or nightly"]


def _args(lab_state):
    return [*SELECTION, "--expected-commit", lab_state.commit, "--ready-wait", "3"]


def test_healthy_lab_passes_every_check(lab_state, run_suite):
    run = run_suite(*_args(lab_state))
    assert set(run.outcomes) == set(ALL), f"checks differ from the matrix: {set(run.outcomes) ^ set(ALL)}"
    assert run.not_passed() == {}, run.output[-4000:]
    assert run.returncode == 0


@pytest.mark.parametrize("fault", list(MATRIX))
def test_fault_turns_exactly_its_checks_red(fault, healed_lab, run_suite):
    from lab import faults

    faults.inject(healed_lab, fault)
    run = run_suite(*_args(healed_lab))
    expected = MATRIX[fault]
    assert run.not_passed() == dict(sorted(expected.items())), run.output[-6000:]
    for name, outcome in expected.items():
        message = run.messages[name]
        if outcome == R:
            assert "RED FLAG:" in message and "fix:" in message and "see:" in message, message
        elif outcome == C:
            assert "could not check" in message, message
    red, cnc = (any(o == x for o in expected.values()) for x in (R, C))
    assert run.returncode == (1 if red else 10 if cnc else 0), run.output[-3000:]
    assert_diagnosis(run, expected, ROOTS[fault])
    if any(o == N for o in expected.values()):
        assert " NOT CHECKED: " in run.output and "ALL CLEAR" not in run.output, run.output[-3000:]


def assert_diagnosis(run, expected: dict[str, str], roots: set[str]) -> None:
    """The root causes are exactly `roots`, and every other non-passing check follows from one of them."""
    assert run.verdict is not None, run.output[-3000:]
    assert run.roots() == roots, (run.roots(), run.output[-4000:])
    failing = {n for n, o in expected.items() if o in (R, C)}
    follows = run.follows_from()
    assert set(follows) == failing - roots, (follows, run.output[-4000:])
    assert set(follows.values()) <= roots, follows


@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(p) for p in PAIRS])
def test_two_unrelated_faults_are_both_root_causes(pair, healed_lab, run_suite):
    from lab import faults

    for fault in pair:
        faults.inject(healed_lab, fault)
    run = run_suite(*_args(healed_lab))
    expected_roots = set().union(*(ROOTS[f] for f in pair))
    assert expected_roots <= run.roots(), (run.roots(), run.output[-4000:])
    failing = {n for n, o in run.not_passed().items() if o in (R, C)}
    assert set(run.follows_from()) == failing - run.roots()
    assert run.roots() == expected_roots, (run.roots(), run.output[-4000:])


def test_every_fault_of_the_matrix_has_its_root_causes():
    assert set(ROOTS) == set(MATRIX) and set(V2_ROOTS) == set(V2_MATRIX)
    for fault, roots in ROOTS.items():
        assert roots <= {n for n, o in MATRIX[fault].items() if o in (R, C)}, fault


def test_every_check_is_turned_red_by_some_fault():
    never = [n for n in ALL if not any(row.get(n) == R for row in MATRIX.values())]
    assert never == sorted(PROVEN_ELSEWHERE, key=ALL.index), f"checks no fault turns red: {never}"


def test_every_lab_fault_is_in_the_matrix():
    from lab.faults import FAULTS

    assert set(FAULTS) == set(MATRIX) | set(TIMED) | set(V2_MATRIX)


def test_detection_matrix_doc_is_current():
    doc = Path(__file__).resolve().parents[2] / "docs" / "detection-matrix.md"
    assert doc.read_text() == render(), "regenerate: python -m tests.lab.matrix > docs/detection-matrix.md"


@pytest.mark.parametrize("selection", [["-m", "daily"], ["-m", "daily", "-n", "2"], ["-m", "weekly or monthly"]])
def test_healthy_lab_selection_is_all_clear_with_nothing_skipped(selection, lab_state, run_suite):
    run = run_suite(*selection)
    assert run.returncode == 0, run.output[-3000:]
    assert run.outcomes and set(run.outcomes.values()) == {"passed"}, run.not_passed()


def test_token_is_fetched_once_per_run_under_xdist(lab_state, run_suite):
    import docker

    gateway = docker.from_env().containers.get("supabase-auth")
    since = int(__import__("time").time())
    run = run_suite("-m", "daily", "-n", "2")
    assert run.returncode == 0, run.output[-3000:]
    grants = [line for line in gateway.logs(since=since).decode().splitlines()
              if "POST /auth/v1/token" in line]
    assert len(grants) == 1, grants
