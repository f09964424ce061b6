"""Golden path 4: smoke. A token is acquired; the channel manager works with the Bearer token alone,
and refuses a call without one (401 or 403, never 200)."""
import pytest

from pms_runbook.gateway import token_problem
from pms_runbook.pms_api import CONNECTIONS, diagnose_unauthorized
from pms_runbook.redflag import red_flag

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
def test_channel_manager_accepts_the_bearer_token_alone(pms, token, evidence):
    answer = pms.target.get(CONNECTIONS, token=token)
    evidence.attach_http(answer)
    assert answer.status == 200, red_flag(
        f"the channel manager answered {answer.status} to a fresh token",
        observed=answer.render(400),
        fix=diagnose_unauthorized(answer, token) if answer.status == 401 else "see the body above",
        see_also="03-auth.md#token-validation-apikey-header",
    )


@pytest.mark.blocker
@pytest.mark.redflag("G4")
def test_channel_manager_refuses_a_call_without_token(pms, evidence):
    answer = pms.target.get(CONNECTIONS)
    evidence.attach_http(answer)
    assert answer.status in (401, 403), red_flag(
        f"the channel manager answered {answer.status} without a token",
        observed=answer.render(400),
        fix="authentication is not enforced: do not enable the channel manager; redeploy a build that checks JWTs",
    )
