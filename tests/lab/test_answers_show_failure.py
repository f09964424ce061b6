"""An answer that shows the failure is a red flag, in the selection the on-call engineer runs (issue 8, item 7).

Before: with `schema-drift` or `jwt-secret-mismatch`, `pytest -m daily` ended "NOT VERIFIED: no red flag"
(exit 10) although the API answered a diagnosable 503 or a 401 bad signature; with `admin-missing`,
postdeploy said only "could not check".
"""
from __future__ import annotations

import re

import pytest

from tests.lab.matrix import MATRIX, STEP4

pytestmark = [pytest.mark.lab, pytest.mark.slow]

# fault -> the red flag ID and a word of the answer that every Step 4 check must show
DAILY = {
    "schema-drift": ("F4", "schema not installed or out of date"),
    "schema-drift-500": ("F4", "does not exist"),
    "jwt-secret-mismatch": ("F3", "JWT_SECRET"),
    "token-expired": ("F3", "Token has expired"),
    "ops-user-no-agency": ("F3", "No agency membership found"),
}


def _verdict(run) -> str:
    return next((line for line in reversed(run.output.splitlines()) if "[exit " in line), "")


@pytest.mark.parametrize("fault", list(DAILY))
def test_daily_is_red_when_the_api_answer_shows_the_failure(fault, healed_lab, run_suite):
    from lab import faults

    faults.inject(healed_lab, fault)
    run = run_suite("-m", "daily")
    flag_id, shown = DAILY[fault]
    assert run.returncode == 1, run.output[-4000:]
    assert "RED FLAG" in _verdict(run) and "NOT VERIFIED" not in _verdict(run), _verdict(run)
    # Every Step 4 check shows it (the quickref checks that read the API with the token too: the matrix has them).
    assert {n: o for n, o in run.not_passed().items() if n in STEP4} == {name: "red flag" for name in STEP4}, \
        run.output[-4000:]
    for name in STEP4:
        message = run.messages[name]
        assert f"({flag_id})" in message and shown in message and "fix:" in message, message


def test_postdeploy_names_a_missing_admin(healed_lab, run_suite):
    from lab import faults

    faults.inject(healed_lab, "admin-missing")
    run = run_suite("-m", "postdeploy", "--expected-commit", healed_lab.commit)
    assert run.returncode == 1, run.output[-4000:]
    assert run.not_passed()["test_admin_runs_the_expected_commit"] == "red flag", run.output[-4000:]
    # nothing else but what the matrix's row says a missing admin takes (e.g. the admin host's HSTS, unanswered)
    assert set(run.not_passed()) <= set(MATRIX["admin-missing"]), run.output[-4000:]
    message = run.messages["test_admin_runs_the_expected_commit"]
    assert "pms-admin is missing or not Up" in message and "missing from docker ps -a" in message, message


def test_postdeploy_without_docker_names_an_admin_host_that_refuses(healed_lab, run_suite):
    from lab import faults

    faults.inject(healed_lab, "admin-missing")
    run = run_suite("-m", "postdeploy", "--expected-commit", healed_lab.commit, "--docker-host", "none",
                    "-k", "admin_runs_the_expected_commit")
    assert run.returncode == 1, run.output[-4000:]
    message = run.messages["test_admin_runs_the_expected_commit"]
    assert run.outcomes["test_admin_runs_the_expected_commit"] == "red flag", message
    # the lab goes through coolify-proxy: its "no upstreams available" (Traefik: "no available server"), where the
    # direct port refused the connection (PMS_LAB_VIA_EDGE=0)
    assert re.search(r"Connection refused|no upstreams available|no such host", message), message
    assert "the API answers GET" in message, message
