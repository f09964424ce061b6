"""What the checks ask the PMS hosts over HTTP (API, admin, auth gateway), as the run's probes.

`SPECS` names each question and what it needs (fixtures, resolved by `fixtures/http.py`); the
`Probes` of the run ask each once, the ones the selection needs side by side (`pms_runbook.probes`).
The functions here return what the host answered (data); the checks judge it.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pms_runbook.probes import Spec
from pms_runbook.redflag import CouldNotCheck
from pms_runbook.resources import tenants
from pms_runbook.resources.auth import Token, gateway_refusal, parse_token_response, request_token
from pms_runbook.resources.channel_manager import parse_connection_list
from pms_runbook.resources.openapi import OpenApi, parse_openapi
from pms_runbook.resources.pms_api import CONNECTIONS, PmsApi, expect_ok, parsed
from pms_runbook.resources.version import Version, parse_version
from pms_runbook.transports.http import Answer, Target

# A connection id for the no-token probe when the list cannot be read with the token: authentication comes
# before the lookup, so any id must be refused without a token.
NO_SUCH_CONNECTION = "00000000-0000-0000-0000-000000000000"


def admin_version(admin_host: Target) -> tuple[Answer, Version]:
    """The admin's /api/ops/version, past any cache (the Next.js static-cache trap)."""
    answer = expect_ok(admin_host.get("/api/ops/version", params={"cb": int(time.time())},
                                      headers={"Cache-Control": "no-cache"}))
    return answer, parsed(answer, parse_version)


def openapi(pms: PmsApi) -> tuple[Answer, OpenApi]:
    """The API's /openapi.json, parsed (the quick-reference checks read its enums)."""
    answer = expect_ok(pms.target.get("/openapi.json"))
    return answer, parsed(answer, parse_openapi)


def wait_until_ready(pms: PmsApi, *, wait: float, poll: float, first=None) -> tuple[float, Answer | None, object]:
    """Poll /health/ready until 200 or `wait` seconds are over: (seconds waited, answer, readiness).

    `first` is the first poll's answer when it was already asked (a callable returning it)."""
    started = time.monotonic()
    ask = first or pms.readiness
    while True:
        try:
            answer, ready = ask()
            failure = None
        except CouldNotCheck as exc:
            # Right after a deploy the container may not even listen yet; keep waiting, then say so. A host that
            # took the connection and never answered is another matter: waiting longer only repeats that.
            answer, ready, failure = None, None, exc
            if pms.target.silent:
                raise
        ask = pms.readiness
        waited = time.monotonic() - started
        if (answer is not None and answer.status == 200) or waited >= wait:
            if failure is not None:
                raise failure
            return waited, answer, ready
        time.sleep(min(poll, max(0.1, wait - waited)))


@dataclass(frozen=True)
class JwtExchange:
    """The runbook's token call and the API's answer to that fresh token (None when there was no token)."""

    gateway: Answer
    token: Token | None
    api: Answer | None


def token_of(answer: Answer) -> Token:
    """The admin token of the gateway's answer, or why there is none (could not check)."""
    if answer.status != 200:
        raise CouldNotCheck(f"with the admin token ({answer.endpoint})",
                            f"{gateway_refusal(answer)} (HTTP {answer.status})")
    return parsed(answer, parse_token_response)


def jwt_exchange(pms: PmsApi, gateway_answer: Answer) -> JwtExchange:
    """A fresh gateway token tried on the channel manager: the exchange, for F3 to judge."""
    if gateway_answer.status != 200:
        return JwtExchange(gateway_answer, None, None)
    tok = parsed(gateway_answer, parse_token_response)  # a 200 without a readable token: nothing to try
    return JwtExchange(gateway_answer, tok, pms.target.get(CONNECTIONS, token=tok.access_token))


def schema_answers(pms: PmsApi, token) -> list[Answer]:
    """The answers of the endpoints that read the schema (the list, and a connection's batches and logs)."""
    answers = [pms.target.get(CONNECTIONS, token=token)]
    if answers[0].status == 200:
        connections = _listed(answers[0])
        if connections:
            for path in ("sync-batches", "sync-logs"):
                answers.append(pms.target.get(f"{CONNECTIONS}{connections[0].id}/{path}", params={"limit": 1},
                                              token=token))
    return answers


def no_token_answers(pms: PmsApi, connection_id: Callable[[], str]) -> list[Answer]:
    """The channel manager's list, then a connection's sync-batches and sync-logs (`connection_id()`), asked
    without a token; it stops at the first endpoint that does not refuse (that one answer is the finding)."""
    answers = [pms.target.get(CONNECTIONS)]
    if answers[0].status not in (401, 403):
        return answers
    cid = connection_id()
    for path in ("sync-batches", "sync-logs"):
        answers.append(pms.target.get(f"{CONNECTIONS}{cid}/{path}", params={"limit": 1}))
        if answers[-1].status not in (401, 403):
            break
    return answers


def first_connection(pms: PmsApi, token) -> str:
    """A real connection id (an open endpoint then shows its data), else NO_SUCH_CONNECTION."""
    listed = _listed(pms.target.get(CONNECTIONS, token=token))
    return listed[0].id if listed else NO_SUCH_CONNECTION


def step4_coverage(pms: PmsApi, token, step4_db, settings, thresholds) -> tenants.Coverage:
    """Step 4 once per run: member agencies through the API (x-agency-id), the others through SQL (`step4_db`:
    the session, None without a DSN, or why it could not open)."""
    cov = tenants.gather(pms, token, step4_db, hours=thresholds.window_hours, now=datetime.now(UTC),
                         max_pages=settings.batch_pages_max)
    if not cov.checked and not cov.unread:
        raise CouldNotCheck("the channel manager (Step 4)", "no active channel connection is visible to this user "
                            "(PMS_ADMIN_EMAIL) or the database: check its agency memberships",
                            hint=None if step4_db is not None else tenants.GRANT_HINT)
    return cov


def _listed(answer: Answer) -> list:
    from pms_runbook.resources.answer import BadAnswer

    try:
        return parse_connection_list(answer.body)
    except BadAnswer:
        return []  # the list itself is the answer the check reads then


# The questions, by the fixture name that gives each answer. Versions wait for the rollout to settle
# (`rollout_settled`) in a run that selects it, so they are not asked up front there.
SPECS = {
    "health_head": Spec(lambda pms: pms.head("/health"), ("pms",)),
    "liveness": Spec(lambda pms: pms.liveness(), ("pms",)),
    "ready_head": Spec(lambda pms: pms.head("/health/ready"), ("pms",)),
    "readiness": Spec(lambda pms: pms.readiness(), ("pms",)),
    "api_version": Spec(lambda pms: pms.version(), ("pms",), after="rollout_settled"),
    "admin_version": Spec(admin_version, ("admin_host",), after="rollout_settled"),
    "token_answer": Spec(request_token, ("auth_gateway", "settings")),
    "openapi": Spec(openapi, ("pms",)),
    "bearer_answer": Spec(lambda pms, token: pms.target.get(CONNECTIONS, token=token), ("pms", "token"),
                          prefetch=False),
    # Last: its needs wait for the token and the database session, which go out before it.
    "step4_coverage": Spec(step4_coverage, ("pms", "token", "step4_db", "settings", "thresholds")),
}


@dataclass(frozen=True)
class AdminCommit:
    """The admin's version answer; when it could not be read, what is known of the admin (`missing`)."""

    answer: Answer | None
    version: Version | None
    missing: str | None = None  # the admin container is known missing or not Up: how that is known
    failure: CouldNotCheck | None = None


def admin_seen_in_docker(failure: CouldNotCheck, containers, name: str) -> AdminCommit:
    """No version answer, and Docker's word on the admin container: missing, not Up, or Up."""
    admin = containers.named(name)
    missing = f"{name} is missing from docker ps -a" if admin is None else None if admin.up else \
        f"{name} is {admin.status_text}"
    return AdminCommit(None, None, missing and f"{missing}; {failure.what}: {failure.because}", failure)


NO_SERVER = re.compile(r"no available server|no upstreams available|404 page not found|"
                       r"HTTP 502: 502 Bad Gateway|lookup \S+ on \S+: no such host", re.IGNORECASE)


def admin_seen_over_http(failure: CouldNotCheck, pms: PmsApi) -> AdminCommit:
    """No version answer and no Docker: the admin host refusing connections, or the proxy in front of it having
    no server for it (Traefik's 503 "no available server" or 404 "404 page not found" for a host without a router,
    Caddy's "no upstreams available" or its 502 for a container name that no longer resolves), while the API
    answers, is the admin missing or not Up; anything else is the failure itself."""
    if "Connection refused" in failure.because or NO_SERVER.search(failure.because):
        try:
            api = pms.target.get("/health")
        except CouldNotCheck:
            api = None
        if api is not None and api.status == 200:
            seen = f"{failure.what}: {failure.because}; the API answers {api.endpoint} 200 meanwhile"
            return AdminCommit(None, None, seen, failure)
    return AdminCommit(None, None, None, failure)
