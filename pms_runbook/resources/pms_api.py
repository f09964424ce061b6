"""The PMS API as the runbook reads it: health, version, channel connections, sync batches.

Reads only. Answers are parsed by the resources (`pms_runbook.resources`). An answer that itself shows the failure (a schema-drift
503, a documented token refusal, no agency) is a `RedFlagAnswer`; anything else that keeps a check
from reading the target (transport failure, an unparseable body, an undiagnosed 503) is
`CouldNotCheck` with the reason and the runbook's pointer, never a raw traceback.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from pms_runbook.redflag import CouldNotCheck, RedFlagAnswer, see
from pms_runbook.resources.answer import BadAnswer, load_json
from pms_runbook.resources.auth import auth_refusal
from pms_runbook.resources.channel_manager import Batch, Connection, parse_batch, parse_batch_list, parse_connection_list
from pms_runbook.resources.errors import no_agency, schema_drift_message
from pms_runbook.resources.health import Liveness, Readiness, parse_liveness, parse_readiness
from pms_runbook.resources.version import Version, parse_version
from pms_runbook.secrets import Secret
from pms_runbook.transports.http import Answer, Target

CONNECTIONS = "/api/v1/channel-connections/"
PAGE = 200  # the documented maximum of sync-batches?limit
FIRST_PAGE = 50  # a day of batches fits: most connections need one small answer
MAX_PAGES = 50  # default cap of pages per connection and window (batch_pages_max): 50 x 200 batches


def parsed(answer: Answer, parse: Callable):
    """Parse an answer's body or say why it could not be read."""
    try:
        return parse(answer.body)
    except BadAnswer as exc:
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
    kind = auth_refusal(answer.body)
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


def _body(answer: Answer, limit: int = 300) -> str:
    return answer.body[:limit].decode(errors="replace").strip()


def failure_shown(answer: Answer, token: Secret | None = None,
                  names: Mapping[str, str] | None = None) -> RedFlagAnswer | None:
    """The red flag an answer shows by itself, else None (200, or nothing diagnosable: could not check).

    Only the documented answers (contract §3.2, §3.3, §5.1): a schema-drift 503 or a 500 naming a missing
    relation or column (F4); with a token sent, a 401 of a documented kind (F3); a 403/400 "no agency".
    """
    if answer.status in (500, 503):
        drift = schema_drift_message(answer.body)
        if drift:
            migration = re.search(r"[\w./-]*\d{14}_[\w-]+\.sql", drift)
            return RedFlagAnswer(
                "F4", case="answer", observed=f"HTTP {answer.status}: {drift[:300]}", names=names,
                endpoint=answer.endpoint, status=answer.status,
                named=f"   (the answer names {migration.group(0)})" if migration else "")
    if token is None:
        return None
    # 401, or 403 "Not authenticated" (FastAPI's HTTPBearer varied, §3.3)
    if answer.status in (401, 403) and auth_refusal(answer.body):
        return RedFlagAnswer(
            "F3", case="answer", observed=f"HTTP {answer.status}: {_body(answer)}", endpoint=answer.endpoint,
            status=answer.status, diagnosis=diagnose_unauthorized(answer, token, names))
    if no_agency(answer.status, answer.body):
        return RedFlagAnswer("F3", case="answer-no-agency", observed=f"HTTP {answer.status}: {_body(answer)}",
                             endpoint=answer.endpoint, status=answer.status)
    return None


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

    def readiness(self) -> tuple[Answer, Readiness]:
        answer = self.target.get("/health/ready")
        if answer.status not in (200, 503):
            raise CouldNotCheck(answer.endpoint, f"it answered {answered(answer)}, neither 200 nor 503")
        return answer, parsed(answer, parse_readiness)

    def liveness(self) -> tuple[Answer, Liveness]:
        answer = self.target.get("/health")
        return answer, (parsed(answer, parse_liveness) if answer.status == 200 else None)

    def version(self) -> tuple[Answer, Version]:
        answer = expect_ok(self.target.get("/api/v1/ops/version"), names=self.names)
        return answer, parsed(answer, parse_version)

    # --- channel manager (Step 4) ---
    def connections(self, token: Secret, agency_id: str | None = None, *,
                    max_pages: int = MAX_PAGES) -> list[Connection]:
        """Every connection of the agency (`x-agency-id`, else the token's default agency).

        The deployed list is a bare array; an `{items, limit, offset[, total]}` envelope is paged to its end.
        """
        found: list[Connection] = []
        offset = 0
        for _ in range(max_pages):
            params = {"limit": PAGE, "offset": offset} if offset else None
            answer = expect_ok(self.target.get(CONNECTIONS, token=token, headers=agency_header(agency_id),
                                               params=params), token, self.names)
            page = parsed(answer, parse_connection_list)
            found.extend(page)
            more = _more_pages(answer, len(page), offset)
            if not more:
                return found
            offset += len(page)
        raise CouldNotCheck(f"the channel connection list of agency {agency_id or '(default)'}",
                            f"it has more than {max_pages} pages (the batch_pages_max cap)",
                            hint="raise batch_pages_max in environments.toml")

    def batches_since(self, token: Secret, connection_id: str, since: datetime, *, agency_id: str | None = None,
                      max_pages: int = MAX_PAGES) -> list[Batch]:
        """Every batch that can be in the window `[since, now]`, newest version of each, page by page.

        The API sorts by COALESCE(updated_at_max, created_at_min) DESC (contract §4.4), and a batch in the
        window has its sort key in the window too (updated_at_max >= created_at_min), so once a page ends
        with a batch whose newest timestamp is before the window, no later page holds one. That holds for a
        created_at_min order as well; a page in neither order means reading to the end. A batch updated
        while we page (the stale sweep of a trigger) jumps to the top, above the offset already read: the
        top is read again until it shows only batches untouched since paging began. More than `max_pages`
        pages is "could not check", never a silent cut.
        """
        seen: dict[str, Batch] = {}
        order = _Order()
        started = datetime.now(UTC)
        pages = offset = 0
        limit = FIRST_PAGE
        while True:
            page = self._batch_page(token, connection_id, agency_id, limit, offset)
            pages += 1
            for b in page:
                order.add(b)
                seen.setdefault(b.batch_id, b)
            if len(page) < limit or order.past(since):
                break
            if pages >= max_pages:
                raise _capped(connection_id, max_pages, len(seen))
            offset, limit = offset + len(page), PAGE
        if pages > 1:
            # Re-read the top: what moved there while we paged (a clock skew margin for the server's time).
            moved_since, offset = started - timedelta(minutes=5), 0
            while True:
                page = self._batch_page(token, connection_id, agency_id, PAGE, offset)
                pages += 1
                for b in page:
                    seen[b.batch_id] = b  # the later read is the newer state
                tail = _newest(page[-1]) if page else None
                if len(page) < PAGE or tail is None or tail < moved_since:
                    break
                if pages >= max_pages:
                    raise _capped(connection_id, max_pages, len(seen))
                offset += len(page)
        return list(seen.values())

    def _batch_page(self, token: Secret, connection_id: str, agency_id: str | None, limit: int,
                    offset: int) -> list[Batch]:
        answer = expect_ok(self.target.get(
            f"/api/v1/channel-connections/{connection_id}/sync-batches",
            params={"limit": limit, "offset": offset, "status": "any"}, token=token,
            headers=agency_header(agency_id)), token, self.names)
        return parsed(answer, parse_batch_list)

    def batch_detail(self, token: Secret, connection_id: str, batch_id: str,
                     agency_id: str | None = None) -> tuple[Answer, Batch]:
        answer = expect_ok(self.target.get(
            f"/api/v1/channel-connections/{connection_id}/sync-batches/{batch_id}", token=token,
            headers=agency_header(agency_id)), token, self.names)
        return answer, parsed(answer, parse_batch)

    def sync_history(self, token: Secret, connection_ids: list[str], *, hours: float, now: datetime,
                     agency_id: str | None = None, max_pages: int = MAX_PAGES,
                     errors: dict[str, CouldNotCheck] | None = None) -> dict[str, list[Batch]]:
        """Every connection's batches of the window, fetched concurrently (hundreds of connections).

        errors: when given, a connection that cannot be read lands there (id -> why) instead of failing all.
        """
        since = now - timedelta(hours=hours)

        def one(cid: str):
            try:
                return cid, self.batches_since(token, cid, since, agency_id=agency_id, max_pages=max_pages)
            except CouldNotCheck as exc:
                if errors is None:
                    raise
                return cid, exc

        with ThreadPoolExecutor(max_workers=max(1, min(self.concurrency, len(connection_ids) or 1))) as pool:
            results = dict(pool.map(one, connection_ids))
        if errors is not None:
            errors.update({cid: r for cid, r in results.items() if isinstance(r, CouldNotCheck)})
        return {cid: r for cid, r in results.items() if not isinstance(r, CouldNotCheck)}


def agency_header(agency_id: str | None) -> dict[str, str] | None:
    """contract §3.2: the agency a request acts for; without it, the token's default agency."""
    return {"x-agency-id": str(agency_id)} if agency_id else None


def _newest(b: Batch) -> datetime | None:
    """A batch's newest timestamp: it bounds its sort key in either documented order."""
    stamps = [t for t in (b.created_at_min, b.updated_at_max) if t is not None]
    return max(stamps) if stamps else None


class _Order:
    """Is what was read so far in the documented order (COALESCE(updated_at_max, created_at_min) DESC), or in
    created_at_min DESC, and has it passed the window's start in that order?"""

    def __init__(self):
        self.by_key = self.by_created = True
        self.last_key = self.last_created = None

    def add(self, b: Batch) -> None:
        key = b.updated_at_max or b.created_at_min
        if key is None:
            self.by_key = False
        elif self.last_key is not None and key > self.last_key:
            self.by_key = False
        if b.created_at_min is None:
            self.by_created = False
        elif self.last_created is not None and b.created_at_min > self.last_created:
            self.by_created = False
        self.last_key, self.last_created = key or self.last_key, b.created_at_min or self.last_created

    def past(self, since: datetime) -> bool:
        return bool((self.by_key and self.last_key is not None and self.last_key < since)
                    or (self.by_created and self.last_created is not None and self.last_created < since))


def _capped(connection_id: str, max_pages: int, read: int) -> CouldNotCheck:
    return CouldNotCheck(f"the sync batches of connection {connection_id}",
                         f"its window needs more than {max_pages} pages (batch_pages_max; {read} batches read): "
                         "the rest was not read", hint="raise batch_pages_max in environments.toml (or "
                         "PMS_BATCH_PAGES_MAX) for this busy connection")


def _more_pages(answer: Answer, got: int, offset: int) -> bool:
    """An `{items, limit, offset[, total]}` envelope with more behind this page; a bare array is the whole list."""
    try:
        data = load_json(answer.body, endpoint=answer.endpoint)
    except BadAnswer:
        return False
    if not isinstance(data, dict) or got == 0:
        return False
    total, limit = data.get("total"), data.get("limit")
    if isinstance(total, int) and not isinstance(total, bool):
        return offset + got < total
    return isinstance(limit, int) and not isinstance(limit, bool) and got >= limit
