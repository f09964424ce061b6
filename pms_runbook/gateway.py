"""The Supabase/GoTrue gateway as the runbook uses it: the password grant, and why it gave no token."""
from __future__ import annotations

from pms_runbook import parsers


def request_token(auth_gateway, settings):
    """The gateway's answer to the runbook's password grant (not judged here)."""
    settings.require("ANON_KEY", "PMS_ADMIN_EMAIL", "PMS_ADMIN_PASSWORD")
    return auth_gateway.post_for_token(
        "/auth/v1/token?grant_type=password",
        headers={"apikey": settings.anon_key.reveal(), "Content-Type": "application/json"},
        json={"email": settings.admin_email, "password": settings.admin_password.reveal()},
    )


def gateway_refusal(answer) -> str:
    return {400: "wrong PMS_ADMIN_EMAIL / PMS_ADMIN_PASSWORD (invalid_grant)",
            401: "the gateway refuses the apikey: ANON_KEY is missing or wrong (apikey is needed on "
                 "/auth/v1/* only)"}.get(answer.status, f"the gateway answered HTTP {answer.status}")


def token_problem(answer) -> str | None:
    """Why the gateway's answer gives no usable token (F5: empty, "null", not three parts), or None."""
    if answer.status != 200:
        return gateway_refusal(answer)
    try:
        token = parsers.parse_token_response(answer.body)
    except parsers.BadAnswer as exc:
        return exc.reason
    if token.expired():
        return f"the token is already expired (exp {token.expires_at}): check the gateway's JWT expiry"
    return None
