"""The runbook's own runs: a dead-man's switch. A nightly that stopped running says nothing; this says it.

    the last completed nightly (reports/history.jsonl, or pms_runbook_last_run_timestamp_seconds on the
    Pushgateway) ended within schedule + margin (26 h); the last post-deploy gate ran after the deploy
"""
import datetime as dt

import pytest

from pms_runbook.history import human_age
from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.daily, pytest.mark.runbook("daily-ops-checklist-510-minutes")]


@pytest.mark.redflag("R1.1")
def test_the_nightly_completed_within_its_schedule(run_history):
    last = run_history.last_completed("nightly")
    if last is None:
        pytest.skip(f"no completed nightly run in the history ({run_history.where}) nor on a Pushgateway: "
                    "the dead-man's switch has nothing to read (keep the history between runs)")
    ended, where = last
    age = dt.datetime.now(dt.UTC) - ended
    assert age <= dt.timedelta(hours=run_history.max_age_hours), red_flag(
        "R1.1", observed=f"last completed nightly ended {ended.isoformat(timespec='seconds')} ({where})",
        hours=f"{run_history.max_age_hours:g}", last=ended.isoformat(timespec="seconds"), age=human_age(age),
        history=run_history.path,
    )


@pytest.mark.redflag("R1.2")
@pytest.mark.runbook("01-deployment.md#deployment-process")
def test_the_post_deploy_gate_ran_after_the_deploy(run_history, request, names):
    last = run_history.last_completed("postdeploy")
    if last is None:
        pytest.skip(f"no completed post-deploy gate in the history ({run_history.where}): nothing to compare the "
                    "deploy with")
    gate, where = last
    backend = request.getfixturevalue("containers").named(names["backend"])
    started = getattr(backend, "created_at", None) or getattr(backend, "started_at", None)  # a deploy creates it
    if started is None:
        pytest.skip(f"{names['backend']} does not exist (Step 1 says why): no deploy time to compare the gate with")
    assert gate >= started, red_flag(
        "R1.2", observed=f"gate ended {gate.isoformat(timespec='seconds')} ({where}); {names['backend']} created (deployed) "
                         f"{started.isoformat(timespec='seconds')}",
        names=names, gate=gate.isoformat(timespec="seconds"), backend=names["backend"],
        started=started.isoformat(timespec="seconds"),
    )
