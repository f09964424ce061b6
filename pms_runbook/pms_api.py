"""The PMS API as the runbook reads it: health, version, channel connections, sync batches.

Reads only. Answers are parsed by `parsers`; anything that keeps a check from reading the target
(transport failure, an unparseable body, a rejected token, schema drift) is `CouldNotCheck` with
the reason and the runbook's pointer, never a raw traceback.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from pms_runbook import parsers
from pms_runbook.http import Answer, Target
from pms_runbook.redflag import CouldNotCheck, see
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


def diagnose_unauthorized(answer: Answer, token: Secret | None) -> str:
    """Top-5 #3: tell an expired token from a signature mismatch from a missing token."""
    detail = ""
    try:
        detail = parsers.parse_error_body(answer.body).detail or ""
    except parsers.BadAnswer:
        pass
    if token is None:
        return "no token was sent (PMS_ADMIN_EMAIL / PMS_ADMIN_PASSWORD / ANON_KEY)"
    if "expired" in str(detail).lower():
        return "the token has expired: fetch a fresh one (get_fresh_token.sh)"
    return ("the API rejects the gateway's token signature: JWT_SECRET of pms-backend does not match the auth "
            "gateway's (GoTrue) secret; match them and redeploy. Do not add apikey to PMS API calls: it is only "
            f"for the gateway's /auth/v1/* (see {see('03-auth.md#token-validation-apikey-header')})")


def down_summary(ready: parsers.Readiness | None) -> str:
    """The components /health/ready reports down, with their errors: 'db: connection refused, ...'."""
    if ready is None:
        return "-"
    return ", ".join(f"{n}: {ready.components[n].error or ready.components[n].status}"
                     for n in ready.down_components) or "-"


def expect_ok(answer: Answer, token: Secret | None = None) -> Answer:
    """200, or the reason this endpoint cannot be read, in the runbook's terms."""
    if answer.status == 200:
        return answer
    if answer.status in (401, 403):
        raise CouldNotCheck(answer.endpoint, f"it answered {answer.status}: {diagnose_unauthorized(answer, token)}")
    if answer.status == 503:
        drift = parsers.schema_drift_message(answer.body)
        if drift:
            raise CouldNotCheck(answer.endpoint, f"it answered 503, schema not installed or out of date: {drift}",
                                hint="apply the pending migrations: CONFIRM_PROD=1 bash "
                                     "backend/scripts/ops/apply_supabase_migrations.sh "
                                     f"(see {see('02-database.md#schema-drift')})")
        raise CouldNotCheck(answer.endpoint, f"it answered 503 (service unavailable): "
                            f"{answer.body[:200].decode(errors='replace')}",
                            hint=f"check /health/ready and Step 2 ({see('02-database.md#db-dns--degraded-mode')})")
    raise CouldNotCheck(answer.endpoint, f"it answered {answered(answer)}: "
                        f"{answer.body[:200].decode(errors='replace')}")


class PmsApi:
    def __init__(self, target: Target, *, concurrency: int = 16):
        self.target = target
        self.concurrency = concurrency

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
        answer = expect_ok(self.target.get("/api/v1/ops/version"))
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
