"""Golden path 4: smoke. A token is acquired; the channel manager works with the Bearer token alone,
and refuses a call without one (401 or 403, never 200) on its list, a connection's sync-batches and
its sync-logs."""
import pytest

from pms_runbook.redflag import red_flag
from pms_runbook.resources.auth import token_problem
from pms_runbook.resources.pms_api import failure_shown

pytestmark = [pytest.mark.postdeploy, pytest.mark.runbook("03-auth.md#token-validation-apikey-header")]


@pytest.mark.redflag("G4", "F5")
def test_a_token_is_acquired(token_answer, evidence):
    problem = token_problem(token_answer)  # parsing first registers the token, so the evidence is scrubbed of it
    evidence.attach_http(token_answer)
    assert problem is None, red_flag("G4", case="token", problem=problem,
                                     observed=f"POST {token_answer.url} -> HTTP {token_answer.status}")


@pytest.mark.redflag("G4", "F3")
def test_channel_manager_accepts_the_bearer_token_alone(bearer_answer, pms, token, evidence):
    answer = bearer_answer
    evidence.attach_http(answer)
    shown = failure_shown(answer, token, pms.names)
    # The answer's own red flag (F3, F4), if it shows one, gives the fix and the link.
    assert answer.status == 200, red_flag(
        "G4", case="bearer" if shown else "bearer-unexplained", observed=answer.render(400), status=answer.status,
        shown=shown.fix if shown else "", see_also=shown.see_also if shown else None,
    )


@pytest.mark.redflag("G4")
def test_channel_manager_refuses_a_call_without_token(no_token_answers, evidence):
    for answer in no_token_answers:
        evidence.attach_http(answer)
    open_ = [a for a in no_token_answers if a.status not in (401, 403)]
    assert not open_, red_flag(
        "G4", statuses=", ".join(str(a.status) for a in open_),
        observed="\n".join(f"{a.endpoint} -> HTTP {a.status} {a.body[:120].decode(errors='replace')}"
                           for a in open_),
    )
