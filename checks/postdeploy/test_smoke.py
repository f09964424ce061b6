"""Golden path 4: smoke. A token is acquired; the channel manager works with the Bearer token alone,
and refuses a call without one (401 or 403, never 200) on its list, a connection's sync-batches and
its sync-logs."""
import pytest

from pms_runbook.pms_api import failure_shown
from pms_runbook.redflag import red_flag
from pms_runbook.resources.auth import token_problem

pytestmark = [pytest.mark.postdeploy, pytest.mark.runbook("03-auth.md#token-validation-apikey-header")]


@pytest.mark.blocker
@pytest.mark.redflag("G4", "F5")
def test_a_token_is_acquired(token_answer, evidence):
    problem = token_problem(token_answer)  # parsing first registers the token, so the evidence is scrubbed of it
    evidence.attach_http(token_answer)
    assert problem is None, red_flag(
        f"no usable admin token from the auth gateway: {problem}",
        observed=f"POST {token_answer.url} -> HTTP {token_answer.status}",
        fix="400: check PMS_ADMIN_EMAIL / PMS_ADMIN_PASSWORD; 401: ANON_KEY (apikey header) is wrong or rotated; "
            "an empty/null/not-three-part token: the gateway's answer is not a Supabase token (check SB_URL)",
    )


@pytest.mark.blocker
@pytest.mark.redflag("G4", "F3")
def test_channel_manager_accepts_the_bearer_token_alone(bearer_answer, pms, token, evidence):
    answer = bearer_answer
    evidence.attach_http(answer)
    shown = failure_shown(answer, token, pms.names)
    assert answer.status == 200, red_flag(
        f"the channel manager answered {answer.status} to a fresh token",
        observed=answer.render(400),
        fix=shown.fix if shown else "see the body above",
        see_also=shown.see_also if shown else "03-auth.md#token-validation-apikey-header",
    )


@pytest.mark.blocker
@pytest.mark.redflag("G4")
def test_channel_manager_refuses_a_call_without_token(no_token_answers, evidence):
    for answer in no_token_answers:
        evidence.attach_http(answer)
    open_ = [a for a in no_token_answers if a.status not in (401, 403)]
    assert not open_, red_flag(
        f"the channel manager answered {', '.join(str(a.status) for a in open_)} without a token",
        observed="\n".join(f"{a.endpoint} -> HTTP {a.status} {a.body[:120].decode(errors='replace')}"
                           for a in open_),
        fix="authentication is not enforced: do not enable the channel manager; redeploy a build that checks JWTs",
    )
