"""The PMS API as the runbook reads it: health, version, channel connections, sync batches.

Reads only. Answers are parsed by `parsers`. An answer that itself shows the failure (a schema-drift
503, a documented token refusal, no agency) is a `RedFlagAnswer`; anything else that keeps a check
from reading the target (transport failure, an unparseable body, an undiagnosed 503) is
`CouldNotCheck` with the reason and the runbook's pointer, never a raw traceback.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from pms_runbook import parsers
from pms_runbook.http import Answer, Target
from pms_runbook.redflag import CouldNotCheck, RedFlagAnswer, see
from pms_runbook.secrets import Secret

CONNECTIONS = "/api/v1/channel-connections/"
PAGE = 200  # the documented maximum of sync-batches?limit
FIRST_PAGE = 50  # a day of batches fits: most connections need one small answer


def parsed(answer: Answer, parse: Callable):
    """Parse an answer's body or say why it could not be read."""
    try:
        return parse(answer.body)
    except parsers.BadAnswer as exc:
        raise CouldNotCheck(answer.endpoint, f"its answer is not what the PMS sends ({exc.reason}; HTTP "
                            f"{answer.status}): {exc.excerpt!r}") from None


def answered(answer: Answer) -> str:
    """"HTTP 302 (a redirect to X, not followed ...)" or "HTTP 500": the status, and where a redirect points."""
    location = answer.headers.get("location")
    if 300 <= answer.status < 400 and location:
        return (f"HTTP {answer.status} (a redirect to {location[:200]}, not followed: check the URL's scheme, "
                "host and path)")
    return f"HTTP {answer.status}"


def diagnose_unauthorized(answer: Answer, token: Secret | None, names: Mapping[str, str] | None = None) -> str:
    """Top-5 #3: tell an expired token from a signature mismatch from a missing token."""
    backend = (names or {}).get("backend", "pms-backend")
    if token is None:
        return "no token was sent (PMS_ADMIN_EMAIL / PMS_ADMIN_PASSWORD / ANON_KEY)"
    kind = parsers.auth_refusal(answer.body)
    if kind == "expired":
        return ("the token has expired: fetch a fresh one (get_fresh_token.sh); if a fresh one is expired too, "
                "the gateway's JWT expiry or a clock is wrong (compare `date -u` on the host and the gateway)")
    if kind == "no-token":
        return (f"the Authorization header did not reach {backend}: a proxy in front of it drops it; send "
                "Authorization: Bearer $TOKEN straight to the API and fix the proxy")
    cause = ("the API rejects the gateway's token signature" if kind == "bad-signature" else
             "the API refuses the token with an answer the runbook does not document (most often the signature)")
    return (f"{cause}: JWT_SECRET of {backend} does not match the auth gateway's (GoTrue) secret, or its "
            f"JWT_AUDIENCE is not the token's aud; match them and redeploy {backend}. Do not add apikey to PMS API "
            f"calls: it is only for the gateway's /auth/v1/* (see {see('03-auth.md#token-validation-apikey-header')})")


def agency_fix(names: Mapping[str, str] | None = None) -> str:
    """§3.2: the ops user's token resolves to no agency."""
    return ("give the ops user (PMS_ADMIN_EMAIL) a team membership of its agency: INSERT INTO team_members "
            "(agency_id, user_id, role) VALUES ('<agency uuid>', '<ops user id>', 'admin'), or set its "
            "profiles.last_active_agency_id; with several agencies send x-agency-id")


def _body(answer: Answer, limit: int = 300) -> str:
    return answer.body[:limit].decode(errors="replace").strip()


def failure_shown(answer: Answer, token: Secret | None = None,
                  names: Mapping[str, str] | None = None) -> RedFlagAnswer | None:
    """The red flag an answer shows by itself, else None (200, or nothing diagnosable: could not check).

    Only the documented answers (contract §3.2, §3.3, §5.1): a schema-drift 503 or a 500 naming a missing
    relation or column (F4); with a token sent, a 401 of a documented kind (F3); a 403/400 "no agency".
    """
    names = names or {}
    backend = names.get("backend", "pms-backend")
    if answer.status in (500, 503):
        drift = parsers.schema_drift_message(answer.body)
        if drift:
            migration = re.search(r"[\w./-]*\d{14}_[\w-]+\.sql", drift)
            return RedFlagAnswer(
                "F4", f"schema drift: {answer.endpoint} answers {answer.status}",
                observed=f"HTTP {answer.status}: {drift[:300]}",
                fix="CONFIRM_PROD=1 bash backend/scripts/ops/apply_supabase_migrations.sh"
                    + (f"   (the answer names {migration.group(0)})" if migration else "")
                    + f"   then re-check with --status; docker logs {backend} --tail 50 shows SCHEMA_DRIFT",
                see_also="02-database.md#schema-drift")
    if token is None:
        return None
    # 401, or 403 "Not authenticated" (FastAPI's HTTPBearer varied, §3.3)
    if answer.status in (401, 403) and parsers.auth_refusal(answer.body):
        return RedFlagAnswer(
            "F3", f"JWT {answer.status} despite a fresh token: {answer.endpoint} refuses it",
            observed=f"HTTP {answer.status}: {_body(answer)}", fix=diagnose_unauthorized(answer, token, names),
            see_also="03-auth.md#token-validation-apikey-header")
    if answer.status in (400, 403) and parsers.agency_error(answer.body):
        return RedFlagAnswer(
            "F3", f"the ops user's token has no agency: {answer.endpoint} answers {answer.status}",
            observed=f"HTTP {answer.status}: {_body(answer)}", fix=agency_fix(names),
            see_also="03-auth.md#token-validation-apikey-header")
    return None


def down_summary(ready: parsers.Readiness | None) -> str:
    """The components /health/ready reports down, with their errors: 'db: connection refused, ...'."""
    if ready is None:
        return "-"
    return ", ".join(f"{n}: {ready.components[n].error or ready.components[n].status}"
                     for n in ready.down_components) or "-"


def expect_ok(answer: Answer, token: Secret | None = None, names: Mapping[str, str] | None = None) -> Answer:
    """200; else the red flag the answer shows (`failure_shown`), else the reason it cannot be read."""
    if answer.status == 200:
        return answer
    shown = failure_shown(answer, token, names)
    if shown is not None:
        raise shown
    if answer.status in (401, 403):
        raise CouldNotCheck(answer.endpoint, f"it answered {answer.status}: {diagnose_unauthorized(answer, token, names)}"
                            if token is None else f"it answered {answer.status}, a refusal the runbook does not "
                            f"document: {_body(answer, 200)}", hint="check the ops user's token and role")
    if answer.status == 503:
        raise CouldNotCheck(answer.endpoint, f"it answered 503 (service unavailable): {_body(answer, 200)}",
                            hint=f"check /health/ready and Step 2 ({see('02-database.md#db-dns--degraded-mode')})")
    if answer.status == 404 and token is not None:
        raise CouldNotCheck(answer.endpoint, f"it answered 404: {_body(answer, 200)}",
                            hint="a wrong API URL, or an ops user without any agency membership (contract §3.2)")
    raise CouldNotCheck(answer.endpoint, f"it answered {answered(answer)}: {_body(answer, 200)}")


class PmsApi:
    def __init__(self, target: Target, *, concurrency: int = 16, names: Mapping[str, str] | None = None):
        self.target = target
        self.concurrency = concurrency
        self.names = dict(names or {})  # container names for the fixes of the red flags answers show

    # --- health (Step 2) ---
    def head(self, path: str) -> Answer:
        return self.target.head(path)

    def readiness(self) -> tuple[Answer, parsers.Readiness]:
        answer = self.target.get("/health/ready")
        if answer.status not in (200, 503):
            raise CouldNotCheck(answer.endpoint, f"it answered {answered(answer)}, neither 200 nor 503")
        return answer, parsed(answer, parsers.parse_readiness)

    def liveness(self) -> tuple[Answer, parsers.Liveness]:
        answer = self.target.get("/health")
        return answer, (parsed(answer, parsers.parse_liveness) if answer.status == 200 else None)

    def version(self) -> tuple[Answer, parsers.Version]:
        answer = expect_ok(self.target.get("/api/v1/ops/version"), names=self.names)
        return answer, parsed(answer, parsers.parse_version)

    # --- channel manager (Step 4) ---
    def connections(self, token: Secret) -> list[parsers.Connection]:
        answer = expect_ok(self.target.get(CONNECTIONS, token=token), token)
        return parsed(answer, parsers.parse_connection_list)

    def batches_since(self, token: Secret, connection_id: str, since: datetime) -> list[parsers.Batch]:
        """Newest first, page by page, until the window is covered."""
        batches: list[parsers.Batch] = []
        offset, limit = 0, FIRST_PAGE
        while True:
            answer = expect_ok(self.target.get(
                f"/api/v1/channel-connections/{connection_id}/sync-batches",
                params={"limit": limit, "offset": offset, "status": "any"}, token=token), token)
            page = parsed(answer, parsers.parse_batch_list)
            batches.extend(page)
            oldest = min((b.when for b in page if b.when), default=None)
            if len(page) < limit or oldest is None or oldest < since or offset > 50 * PAGE:
                return batches
            offset, limit = offset + limit, PAGE

    def batch_detail(self, token: Secret, connection_id: str, batch_id: str) -> tuple[Answer, parsers.Batch]:
        answer = expect_ok(self.target.get(
            f"/api/v1/channel-connections/{connection_id}/sync-batches/{batch_id}", token=token), token)
        return answer, parsed(answer, parsers.parse_batch)

    def sync_history(self, token: Secret, connection_ids: list[str], *, hours: int,
                     now: datetime) -> dict[str, list[parsers.Batch]]:
        """Every connection's batches of the window, fetched concurrently (hundreds of connections)."""
        since = now - timedelta(hours=hours)
        with ThreadPoolExecutor(max_workers=max(1, min(self.concurrency, len(connection_ids) or 1))) as pool:
            results = pool.map(lambda cid: (cid, self.batches_since(token, cid, since)), connection_ids)
            return dict(results)
