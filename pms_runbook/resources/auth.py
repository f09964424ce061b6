"""The auth gateway (Supabase GoTrue): the runbook's password grant, its token, and the API's refusals.

    TOKEN=$(curl -sX POST "$SB_URL/auth/v1/token?grant_type=password" -H "apikey: $ANON_KEY" ...)
"""
from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pms_runbook import secrets
from pms_runbook.resources.answer import BadAnswer, excerpt_of, expect_object, json_type, load_json, loose_str, total
from pms_runbook.resources.errors import error_text
from pms_runbook.secrets import Secret


@dataclass(frozen=True)
class Token:
    access_token: Secret
    claims: dict
    expires_at: datetime | None
    token_type: str | None = None
    refresh_token: Secret | None = None

    def expired(self, now: datetime | None = None) -> bool:
        if self.expires_at is None:
            return False
        now = now or datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        return now >= self.expires_at

    @property
    def role(self) -> str | None:
        r = self.claims.get("role")
        return r if isinstance(r, str) else None

    def bearer(self) -> str:
        """The Authorization header value. Reveals the token: use only to send it."""
        return f"Bearer {self.access_token.reveal()}"


def _epoch(v: Any) -> datetime | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    try:
        return datetime.fromtimestamp(v, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _unverified_claims(token: str) -> dict:
    """The payload's claims, unverified (the gateway signed it; the API verifies it): JWS compact form is
    base64url(header).base64url(payload).base64url(signature), header and payload JSON objects."""
    try:
        header, payload, signature = (_base64url(part) for part in token.encode().split(b"."))
        if not isinstance(json.loads(header), dict):
            return {}
        claims = json.loads(payload)
        return claims if isinstance(claims, dict) else {}
    except (ValueError, RecursionError):  # not three parts, not base64url, not JSON: just "no claims"
        return {}


_BASE64URL = re.compile(rb"[A-Za-z0-9_-]*")


def _base64url(part: bytes) -> bytes:
    """A segment in canonical base64url (at most the padding some issuers add), else ValueError."""
    stripped = part.rstrip(b"=")
    padding = len(part) - len(stripped)
    if padding > 2 or (padding and len(part) % 4) or len(stripped) % 4 == 1 or not _BASE64URL.fullmatch(stripped):
        raise ValueError("not base64url")
    decoded = base64.urlsafe_b64decode(stripped + b"=" * (-len(stripped) % 4))
    if base64.urlsafe_b64encode(decoded).rstrip(b"=") != stripped:
        raise ValueError("not canonical base64url")
    return decoded


_PLACEHOLDERS = frozenset({"null", "none", "undefined", "bearer", "invalid", "expired"})


@total("/auth/v1/token")
def parse_token_response(body: Any, *, endpoint: str = "/auth/v1/token", max_bytes: int | None = None) -> Token:
    """GoTrue's password-grant answer. The token is registered for scrubbing before anything else."""
    data = load_json(body, endpoint=endpoint, max_bytes=max_bytes)
    if isinstance(data, dict):  # register first, so that no excerpt below can show them
        for key in ("access_token", "refresh_token", "provider_token"):
            v = data.get(key)
            # not placeholders such as "null": registering those would mask every "null" in reports
            if isinstance(v, str) and len(v.strip()) >= 8 and v.strip().lower() not in _PLACEHOLDERS:
                secrets.register(v.strip())
    data = expect_object(data, endpoint, body)
    if "access_token" not in data:
        err = data.get("error_description") or data.get("msg") or data.get("message") or data.get("error") \
            or data.get("detail")
        reason = "no access_token in the answer"
        if err is not None:
            reason += f" (server said: {loose_str(err)[:200]})"
        raise BadAnswer(endpoint, reason, excerpt_of(body))
    tok = data.get("access_token")
    if not isinstance(tok, str):
        raise BadAnswer(endpoint, f"access_token is {json_type(tok)}, expected a JWT string", excerpt_of(body))
    t = tok.strip()
    if not t:
        raise BadAnswer(endpoint, "access_token is empty", excerpt_of(body))
    if t.lower() == "null":
        raise BadAnswer(endpoint, 'access_token is the string "null" (jq -r on a missing field?)',
                        excerpt_of(body))
    parts = t.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise BadAnswer(endpoint, f"access_token is not a JWT: {len(parts)} dot-separated part(s), expected 3",
                        excerpt_of(body))
    if len(t) > 64 * 1024:
        raise BadAnswer(endpoint, "access_token is implausibly long", excerpt_of(body))
    access = Secret(t, "access_token")
    refresh = data.get("refresh_token")
    claims = _unverified_claims(t)
    expires_at = _epoch(claims.get("exp")) or _epoch(data.get("expires_at"))
    token_type = data.get("token_type")
    return Token(
        access_token=access,
        claims=claims,
        expires_at=expires_at,
        token_type=token_type if isinstance(token_type, str) else None,
        refresh_token=Secret(refresh, "refresh_token") if isinstance(refresh, str) and refresh else None,
    )


# What an API refusal says (contract §3.2, §3.3): the documented detail strings, nothing else
AUTH_REFUSALS = {  # 401 detail -> kind
    "invalid authentication token": "bad-signature",
    "token has expired": "expired",
    "not authenticated": "no-token",
}


def auth_refusal(body: Any) -> str | None:
    """The kind of a documented 401/403 auth body ("bad-signature", "expired", "no-token"), else None."""
    text = error_text(body)
    return AUTH_REFUSALS.get(text.rstrip(".").lower()) if text else None


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
        token = parse_token_response(answer.body)
    except BadAnswer as exc:
        return exc.reason
    if token.expired():
        return f"the token is already expired (exp {token.expires_at}): check the gateway's JWT expiry"
    return None
