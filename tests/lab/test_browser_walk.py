"""Step 4's walk through the admin UI in a real browser: clear on the healthy lab, and exactly its red flag
when the admin's Sync History cannot be shown or a built admin page opens a dialog (tests/lab/matrix.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.browser import CHROMIUM
from tests.lab.matrix import BROWSER, BROWSER_MATRIX, C, R

pytestmark = [pytest.mark.lab, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium: run scripts/bootstrap")]

SELECTION = ["-m", "browser"]


def test_healthy_lab_walk_is_clear(lab_state, run_suite):
    run = run_suite(*SELECTION)
    assert set(run.outcomes) == set(BROWSER), run.output[-3000:]
    assert run.not_passed() == {} and run.returncode == 0, run.output[-4000:]


@pytest.mark.parametrize("fault", list(BROWSER_MATRIX))
def test_fault_turns_exactly_its_browser_checks_red(fault, healed_lab, run_suite):
    from lab import faults

    faults.inject(healed_lab, fault)
    run = run_suite(*SELECTION)
    expected = BROWSER_MATRIX[fault]
    assert run.not_passed() == dict(sorted(expected.items())), run.output[-6000:]
    for name, outcome in expected.items():
        assert ("RED FLAG:" if outcome == R else "could not check") in run.messages[name], run.messages[name]
    assert run.returncode == (1 if R in expected.values() else 10 if C in expected.values() else 0)
