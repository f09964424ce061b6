"""pms-backend's edge middleware: CORS, the public host allowlist and the public rate limiter (contract
§1.3, §10.2; quickref Q10), configured by the documented environment variables.

- CORS (Starlette's CORSMiddleware, as the PMS uses): `CORS_ALLOWED_ORIGINS` (wins) or `ALLOWED_ORIGINS`,
  `CORS_ALLOW_METHODS` (GET,POST,PUT,DELETE,PATCH), `CORS_ALLOW_HEADERS` (an override REPLACES the defaults
  below), `CORS_ALLOW_CREDENTIALS` (true). A preflight asking for a header outside the list gets 400
  "Disallowed CORS headers". The server-error path runs outside it, so a 500 carries no ACAO (quickref Q1).
- Host allowlist (`app/core/public_host_allowlist.py`) on `/api/v1/public/*`: `ALLOWED_HOSTS`; the host is
  `X-Forwarded-Host` when `TRUST_PROXY_HEADERS` (true), else `Host`. An unknown host gets 403
  `{"detail": {"error": "host_not_allowed", ...}}`; an empty list allows (a warning in production).
- Rate limits on `/api/v1/public/*` (`PUBLIC_RATE_LIMIT_*`): counted in Redis (`PUBLIC_RATE_LIMIT_REDIS_URL`,
  else `REDIS_URL`), headers `X-RateLimit-Limit`, `-Remaining`, `-Window`, 429 with `Retry-After`; with Redis
  lost, an in-memory fallback per process that says `X-RateLimit-Fallback: memory`.
"""
from __future__ import annotations

import logging
import threading
import time

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware

from lab.services.common import Env, env_bool, env_int, env_str

log = logging.getLogger("pms.backend.edge")

DEFAULT_METHODS = "GET,POST,PUT,DELETE,PATCH"
# §10.2 and the 2026-01-31 additions of quickref Q10.
DEFAULT_HEADERS = (
    "Authorization,Content-Type,Idempotency-Key,X-Agency-Id,X-Request-Id,X-Forwarded-Host,X-Forwarded-Proto,"
    "Accept,Accept-Language,Content-Language,baggage,sentry-trace,traceparent,tracestate,x-requested-with,"
    "apikey,x-client-info,x-supabase-api-version,x-supabase-client,x-supabase-auth,x-csrf-token,x-xsrf-token,"
    "x-csrftoken,X-Session-Id,cache-control,pragma,range,prefer,x-http-method-override,if-match,if-none-match,"
    "if-modified-since,if-unmodified-since"
)
PUBLIC_PREFIX = "/api/v1/public/"


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _host_of(value: str) -> str:
    host = value.split(",")[0].strip().lower()
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class HostAllowlist:
    def __init__(self, app, *, allowed: list[str], trust_proxy: bool, environment: str):
        self.app, self.allowed, self.trust_proxy = app, [h.lower() for h in allowed], trust_proxy
        self.environment = environment
        self._warned = False

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(PUBLIC_PREFIX):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        raw = (headers.get("x-forwarded-host") if self.trust_proxy else None) or headers.get("host", "")
        host = _host_of(raw)
        if not self.allowed:
            if self.environment in ("production", "prod") and not self._warned:
                log.warning("ALLOWED_HOSTS is empty: every host is allowed on the public endpoints")
                self._warned = True
            return await self.app(scope, receive, send)
        if host in self.allowed:
            return await self.app(scope, receive, send)
        body = {"detail": {"error": "host_not_allowed",
                           "message": f"Host '{host}' not allowed. Configure ALLOWED_HOSTS environment variable.",
                           "host": host, "allowed_hosts": self.allowed}}
        await JSONResponse(status_code=403, content=body)(scope, receive, send)


class _Counter:
    """Fixed-window counts: in Redis, or (Redis lost) in this process's memory."""

    def __init__(self, redis_url: str | None, timeout: float = 0.3):
        self.redis_url, self.timeout = redis_url, timeout
        self._client = None
        self._memory: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self._fallback = False
        self._retry_at = 0.0

    def _redis(self):
        if self._client is None and self.redis_url:
            import redis

            self._client = redis.Redis.from_url(self.redis_url, socket_timeout=self.timeout,
                                                socket_connect_timeout=self.timeout)
        return self._client

    def hit(self, key: str, window: int) -> tuple[int, bool]:
        """(count in the window, from memory?)"""
        now = time.monotonic()
        if self.redis_url and (not self._fallback or now >= self._retry_at):
            try:
                client = self._redis()
                pipe = client.pipeline()
                pipe.set(key, 0, ex=window, nx=True)
                pipe.incr(key)
                count = int(pipe.execute()[1])
                if self._fallback:
                    log.info("In-memory rate limiter fallback DEACTIVATED (Redis recovered)")
                    self._fallback = False
                return count, False
            except Exception:  # noqa: BLE001 - any Redis failure: the documented fallback
                if not self._fallback:
                    log.warning("In-memory rate limiter fallback ACTIVATED (Redis unavailable)")
                self._fallback, self._retry_at = True, now + 2.0
        with self._lock:
            count, until = self._memory.get(key, (0, now + window))
            if now >= until:
                count, until = 0, now + window
            self._memory[key] = (count + 1, until)
            return count + 1, True


class PublicRateLimit:
    def __init__(self, app, *, env: Env | None, trust_proxy: bool):
        self.app, self.trust_proxy = app, trust_proxy
        self.enabled = env_bool("PUBLIC_RATE_LIMIT_ENABLED", True, env) and env_bool("PUBLIC_ANTI_ABUSE_ENABLED",
                                                                                     True, env)
        self.window = env_int("PUBLIC_RATE_LIMIT_WINDOW_SECONDS", 60, env)
        self.limits = {"ping": env_int("PUBLIC_RATE_LIMIT_PING_MAX", 60, env),
                       "availability": env_int("PUBLIC_RATE_LIMIT_AVAIL_MAX", 30, env),
                       "booking-requests": env_int("PUBLIC_RATE_LIMIT_BOOKING_MAX", 10, env),
                       # the rest of /public/* (lab's own: the site's pages read several endpoints per view)
                       "other": env_int("PUBLIC_RATE_LIMIT_OTHER_MAX", 600, env)}
        url = env_str("PUBLIC_RATE_LIMIT_REDIS_URL", None, env) or env_str("REDIS_URL", None, env)
        self.counter = _Counter(url)

    def _bucket(self, path: str) -> str:
        first = path[len(PUBLIC_PREFIX):].split("/")[0]
        return first if first in self.limits else "other"

    async def __call__(self, scope, receive, send):
        if not self.enabled or scope["type"] != "http" or not scope["path"].startswith(PUBLIC_PREFIX):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        client = (headers.get("x-forwarded-for", "").split(",")[0].strip() if self.trust_proxy else "") or (
            (scope.get("client") or ("?", 0))[0])
        bucket = self._bucket(scope["path"])
        limit = self.limits[bucket]
        from starlette.concurrency import run_in_threadpool

        count, memory = await run_in_threadpool(self.counter.hit, f"rl:public:{bucket}:{client}", self.window)
        extra = [(b"x-ratelimit-limit", str(limit).encode()),
                 (b"x-ratelimit-remaining", str(max(0, limit - count)).encode()),
                 (b"x-ratelimit-window", str(self.window).encode())]
        if memory:
            extra.append((b"x-ratelimit-fallback", b"memory"))
        if count > limit:
            resp = JSONResponse(status_code=429, content={"detail": "Rate limit exceeded"},
                                headers={"Retry-After": str(self.window)})
            resp.raw_headers.extend(extra)
            return await resp(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


router = APIRouter()


@router.api_route("/api/v1/public/ping", methods=["GET", "HEAD"])
def public_ping() -> dict:
    return {"status": "ok"}


def install(app: FastAPI, env: Env | None = None) -> None:
    """The middleware in the PMS's order: CORS outermost of the app's own, then the allowlist, then limits."""
    trust = env_bool("TRUST_PROXY_HEADERS", True, env)
    environment = env_str("ENVIRONMENT", "development", env)
    if not any(getattr(r, "path", None) == "/api/v1/public/ping" for r in app.router.routes):
        app.include_router(router)
    app.add_middleware(PublicRateLimit, env=env, trust_proxy=trust)
    app.add_middleware(HostAllowlist, allowed=_csv(env_str("ALLOWED_HOSTS", None, env)), trust_proxy=trust,
                       environment=environment)
    origins = _csv(env_str("CORS_ALLOWED_ORIGINS", None, env) or env_str("ALLOWED_ORIGINS", None, env))
    app.add_middleware(
        CORSMiddleware, allow_origins=origins,
        allow_methods=_csv(env_str("CORS_ALLOW_METHODS", DEFAULT_METHODS, env)),
        allow_headers=_csv(env_str("CORS_ALLOW_HEADERS", DEFAULT_HEADERS, env)),
        allow_credentials=env_bool("CORS_ALLOW_CREDENTIALS", True, env),
    )
