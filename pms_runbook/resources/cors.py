"""CORS preflights and the API's other edge answers, as the contract documents them (§10.2, quickref Q10):
what a preflight must allow, and what an answer shows (data; the checks judge it).

    curl -si -X OPTIONS "$API/api/v1/properties?limit=50" -H "Origin: https://$ADMIN" \
         -H "Access-Control-Request-Method: GET" -H "Access-Control-Request-Headers: authorization,x-session-id"
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pms_runbook.redflag import CouldNotCheck
from pms_runbook.transports.http import Answer

PREFLIGHT_PATH = "/api/v1/properties?limit=50"  # the contract's browser-realistic probe
PUBLIC_PING = "/api/v1/public/ping"  # rate limit 60 per 60 s (quickref Q9.2)
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
REQUIRED_HEADERS = (
    "Authorization", "Content-Type", "Idempotency-Key", "X-Agency-Id", "X-Request-Id", "X-Forwarded-Host",
    "X-Forwarded-Proto", "Accept", "Accept-Language", "Content-Language",
    "baggage", "sentry-trace", "traceparent", "tracestate", "x-requested-with",
    "apikey", "x-client-info", "x-supabase-api-version", "x-supabase-client", "x-supabase-auth",
    "x-csrf-token", "x-xsrf-token", "x-csrftoken", "X-Session-Id",
)
UNKNOWN_ORIGIN = "https://evil.example"
UNKNOWN_HOST = "unknown.example"  # the documented smoke's invalid host
UNDOCUMENTED_HEADER = "x-pms-runbook-undocumented"
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Window")


def preflight_headers(origin: str, headers: tuple[str, ...] = REQUIRED_HEADERS, method: str = "GET") -> dict:
    return {"Origin": origin, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": ",".join(h.lower() for h in headers)}


def _listed(value: str | None) -> set[str]:
    return {v.strip().lower() for v in (value or "").split(",") if v.strip()}


@dataclass(frozen=True)
class Preflight:
    """What one preflight answer allows."""

    status: int
    allow_origin: str | None
    allow_methods: frozenset[str]
    allow_headers: frozenset[str]
    body: str

    @property
    def ok(self) -> bool:
        return self.status in (200, 204)

    @property
    def refuses_headers(self) -> bool:
        """The documented refusal of requested headers (400 "Disallowed CORS headers"), not of the origin."""
        return self.status == 400 and "header" in self.body.lower()

    @property
    def wildcard(self) -> list[str]:
        return [name for name, v in (("Access-Control-Allow-Origin", {self.allow_origin or ""}),
                                     ("Access-Control-Allow-Headers", self.allow_headers),
                                     ("Access-Control-Allow-Methods", self.allow_methods)) if "*" in v]

    def missing_methods(self) -> list[str]:
        return [m for m in METHODS if m.lower() not in self.allow_methods]

    def missing_headers(self, wanted: tuple[str, ...] = REQUIRED_HEADERS) -> list[str]:
        return [h for h in wanted if h.lower() not in self.allow_headers]

    def problems(self, origin: str) -> list[str]:
        """What keeps a browser at `origin` from the documented calls (empty: none)."""
        if not self.ok:
            return [f"HTTP {self.status} ({self.body[:80] or 'no body'})"]
        found = []
        if self.allow_origin != origin:
            found.append(f"Access-Control-Allow-Origin is {self.allow_origin or 'absent'}, not {origin}")
        if self.missing_methods():
            found.append(f"methods missing: {', '.join(self.missing_methods())}")
        if self.missing_headers():
            found.append(f"headers missing: {', '.join(self.missing_headers())}")
        return found


def parse_preflight(answer: Answer) -> Preflight:
    h = {k.lower(): v for k, v in answer.headers.items()}
    return Preflight(answer.status, h.get("access-control-allow-origin"),
                     frozenset(_listed(h.get("access-control-allow-methods"))),
                     frozenset(_listed(h.get("access-control-allow-headers"))),
                     answer.body[:300].decode("utf-8", "replace").strip())


def host_refusal(answer: Answer) -> dict | None:
    """The documented 403 body of the host allowlist (`detail.error == "host_not_allowed"`), else None."""
    if answer.status != 403:
        return None
    try:
        detail = answer.json().get("detail")
    except (ValueError, AttributeError):
        return None
    return detail if isinstance(detail, dict) and detail.get("error") == "host_not_allowed" else None


@dataclass(frozen=True)
class ForwardedHost:
    """Whether the backend judges the X-Forwarded-Host the checks send (the documented smoke's "403 or skip (proxy
    may strip)"): True, False, or None when its answers do not tell. `seen` is what it judged, when it says."""
    reaches: bool | None
    seen: str | None
    observed: str

    def unasked(self) -> str:
        """Why the allowlist cannot be asked through this proxy (reaches is False)."""
        return (f"the API does not judge the X-Forwarded-Host this run sends ({self.observed}): the proxy replaces it "
                f"(Traefik keeps a client's X-Forwarded-Host only from forwardedHeaders.trustedIPs) or "
                f"TRUST_PROXY_HEADERS is not true on the backend")

    def require(self, what: str) -> None:
        """Could not check `what` when the header does not reach: the allowlist judges the API's own host."""
        if self.reaches is False:
            raise CouldNotCheck(what, self.unasked(), hint="run the edge checks from an address the proxy trusts, or "
                                "look at TRUST_PROXY_HEADERS on the backend (without it, the public site's tenants "
                                "resolve by the API's own host)")


def _agency(answer: Answer) -> str | None:
    if answer.status != 200:
        return None
    try:
        body = answer.json()
    except ValueError:
        return None
    return str(body.get("agency_id")) if isinstance(body, dict) and body.get("agency_id") else None


def forwarded_host(unknown: Answer, by_header: Callable[[], Answer], by_override: Callable[[], Answer],
                   public_host: str) -> ForwardedHost:
    """From the unknown host's answer: its 403 names the host judged. When it is let through, the tenant the
    public site settings resolve for `public_host` by X-Forwarded-Host is compared with the one `?public_host=`
    (honoured whatever the proxy does) resolves: the same agency, the header reached the backend."""
    refusal = host_refusal(unknown)
    if refusal is not None:
        seen = str(refusal.get("host") or "").lower() or None
        return ForwardedHost(seen in (None, UNKNOWN_HOST), seen,
                             f"{UNKNOWN_HOST} sent, the 403 names {seen or 'no host'}")
    if unknown.status not in (200, 204):
        return ForwardedHost(None, None, f"{UNKNOWN_HOST} sent: HTTP {unknown.status}")
    header, override = by_header(), by_override()
    want, got = _agency(override), _agency(header)
    if want is None:
        return ForwardedHost(None, None, f"{UNKNOWN_HOST} sent: HTTP {unknown.status}; ?public_host={public_host} "
                                         f"resolves no agency (HTTP {override.status})")
    what = (f"{UNKNOWN_HOST} sent: HTTP {unknown.status}; site settings with X-Forwarded-Host: {public_host} -> "
            f"{'agency ' + got if got else f'HTTP {header.status}'}, with ?public_host={public_host} -> agency {want}")
    return ForwardedHost(got == want, None, what)


@dataclass(frozen=True)
class HostSurvey:
    """The allowlist's answer for each of many hosts: the refused ones, the list it says it has, and those not
    asked because the public ping's rate limit answered 429 first."""
    refused: dict[str, Answer]
    allowed_hosts: tuple[str, ...] | None
    unasked: tuple[str, ...]

    def refusal(self, host: str) -> str:
        """The 403 body's message for a refused host."""
        detail = host_refusal(self.refused[host]) or {}
        return str(detail.get("message") or "host_not_allowed")

    def allowlist_with_refused(self) -> str:
        """The ALLOWED_HOSTS value that lets every refused host in, from the list a 403 body names."""
        return ",".join(dict.fromkeys([*(self.allowed_hosts or ()), *self.refused]))


def survey_hosts(ask: Callable[[str], Answer], hosts: Iterable[str]) -> HostSurvey:
    """Ask the allowlist for each host (`ask(host)` sends it as X-Forwarded-Host), until a 429."""
    hosts = list(hosts)
    refused: dict[str, Answer] = {}
    allowed: tuple[str, ...] | None = None
    for i, host in enumerate(hosts):
        answer = ask(host)
        if answer.status == 429:
            return HostSurvey(refused, allowed, tuple(hosts[i:]))
        refusal = host_refusal(answer)
        if refusal is not None:
            refused[host] = answer
            listed = refusal.get("allowed_hosts")
            if isinstance(listed, list) and allowed is None:
                allowed = tuple(str(h) for h in listed)
    return HostSurvey(refused, allowed, ())


def rate_limit_headers(answer: Answer) -> dict[str, str | None]:
    h = {k.lower(): v for k, v in answer.headers.items()}
    return {name: h.get(name.lower()) for name in (*RATE_LIMIT_HEADERS, "X-RateLimit-Fallback")}


NO_SERVER_TEXTS = ("no available server", "no upstreams available")  # Traefik's words, Caddy's


def proxy_has_no_server(answer: Answer) -> bool:
    """A 503 the proxy wrote because no healthy server is behind the host (Traefik: "no available server")."""
    text = answer.body[:500].decode("utf-8", "replace").lower()
    return answer.status == 503 and any(t in text for t in NO_SERVER_TEXTS)


# The documented HEALTHCHECK of the container behind each host (contract §1.4): its path and port.
HEALTH_PATH = {"api": "/health", "admin": "/api/ops/version"}
HEALTH_PORT = {"api": 8000, "admin": 3000}


def host_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or url


def refused_headers(ask_one, headers: tuple[str, ...] = REQUIRED_HEADERS) -> list[str]:
    """The required headers a preflight refuses one by one (`ask_one(header)` -> its Answer): which ones a
    "400 Disallowed CORS headers" to the whole list is about."""
    refused = []
    for h in headers:
        got = parse_preflight(ask_one(h))
        if not got.ok or h.lower() not in got.allow_headers:
            refused.append(h)
    return refused


@dataclass(frozen=True)
class ProxyView:
    """A proxy 503 "no available server" while the container behind the host runs: what Docker says of it."""

    container: str
    health: str
    test: str
    port: int
    observed: str


def proxy_view(host: str, answer: Answer, container) -> ProxyView | None:
    """None unless the proxy has no server for `host` while its `container` (resources.containers.Container,
    or None when Docker could not be read) runs."""
    if not proxy_has_no_server(answer):
        return None
    if container is None:
        return ProxyView("(the container: not read, no Docker access)", "not read", "not read", HEALTH_PORT[host],
                         "docker: not read")
    if not container.up:
        return None  # not running: Step 1 says so (D1.x), the proxy has nothing to route to
    test = " ".join(container.healthcheck or ()) or "none (no HEALTHCHECK)"
    return ProxyView(container.name, container.health or "none", test, HEALTH_PORT[host],
                     f"docker: {container.name} {container.status}, health {container.health or '-'}; "
                     f"HEALTHCHECK {test}; last check: {container.health_output or '-'}")
