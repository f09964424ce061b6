"""The HTTP transport to a PMS host: GET/HEAD only, every call bounded, every failure turned into "could not check".

An `Answer` keeps the whole exchange (redacted when rendered) so that a check can attach it as
evidence. A transport failure never escapes as a raw httpx traceback: it becomes `CouldNotCheck`
naming the endpoint and what happened.
"""
from __future__ import annotations

import functools
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# httpx's __init__ imports its command-line client when click and rich are installed (the lab's uvicorn
# brings click): about 0.03 s of every run, for a CLI nobody calls here. A None in sys.modules makes that
# import fail as it does without them, which httpx expects (it then installs a stub `main`).
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)
import httpcore  # noqa: E402
import httpx  # noqa: E402

from pms_runbook.redflag import CouldNotCheck
from pms_runbook.render import BODY_EXCERPT, http_exchange
from pms_runbook.secrets import Secret, scrub

MAX_BODY = 5 * 1024 * 1024  # a health answer is bytes; megabytes mean something is wrong


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.0
    read: float = 10.0
    total: float = 20.0  # a trickling server must not hold a check longer than this

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.read, pool=self.connect)


@dataclass
class Answer:
    method: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: float
    request_headers: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.url}"

    def json(self) -> Any:
        import json

        return json.loads(self.body)

    def render(self, body_limit: int = BODY_EXCERPT) -> str:
        """The exchange as evidence text (`pms_runbook.render`: credentials hidden, secrets scrubbed)."""
        return http_exchange(self.method, self.url, self.status, self.headers, self.body,
                             request_headers=self.request_headers, elapsed_ms=self.elapsed_ms, body_limit=body_limit)


# ---------------------------------------------------------------- the total deadline, down to each socket call
#
# httpx bounds each socket read by the read timeout, not a whole answer: a server that trickles a
# byte every second never trips it, and while the status line and headers trickle in, nothing in
# httpx looks at the clock. So every socket operation of a request is also bounded by what is left
# of that request's total deadline (per thread: the sync client does its I/O in the calling thread).

_deadline = threading.local()


class _IdleClosed(Exception):
    """The server closed a reused connection before answering (not an error of the request)."""


class _DeadlinePassed(Exception):
    """The request's total deadline is over (not an httpcore error: httpx lets it through unmapped)."""


def _bounded(timeout: float | None) -> float | None:
    until = getattr(_deadline, "until", None)
    if until is None:
        return timeout
    left = until - time.monotonic()
    if left <= 0:
        raise _DeadlinePassed()
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend):
        self._backend = backend

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_tcp(host, port, _bounded(timeout), local_address,
                                                         socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _PinnedBackend(httpcore.NetworkBackend):
    """Pinned resolution (curl's --resolve): a connection to host:port goes to the address given for it, and
    everything else about the request stays the host's: the URL, the Host header, the TLS SNI and the name the
    certificate is verified against (httpcore takes those from the URL, not from the socket)."""

    def __init__(self, backend: httpcore.NetworkBackend, pins: dict[str, tuple[str, int]]):
        self._backend, self.pins = backend, pins

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        address, to_port = self.pins.get(f"{host}:{port}".lower(), (host, port))
        return self._backend.connect_tcp(address, to_port, timeout, local_address, socket_options)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return self._backend.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def parse_pins(text: str | None) -> dict[str, tuple[str, int]]:
    """`host:port=address:port,...` (what `pms-lab status --json` gives as edge_resolve) as a mapping; a bad
    entry is a ValueError naming it."""
    pins: dict[str, tuple[str, int]] = {}
    for entry in (e.strip() for e in (text or "").split(",")):
        if not entry:
            continue
        name, sep, to = entry.partition("=")
        address, _, port = to.rpartition(":")
        if not sep or ":" not in name or not address or not port.isdigit():
            raise ValueError(f"{entry!r} is not host:port=address:port")
        pins[name.strip().lower()] = (address.strip(), int(port))
    return pins


def _pin(client: httpx.Client, pins: dict[str, tuple[str, int]]) -> None:
    for transport in (client._transport, *client._mounts.values()):
        pool = getattr(transport, "_pool", None)
        if pool is not None:
            pool._network_backend = _PinnedBackend(pool._network_backend, pins)


def _bound_by_deadline(client: httpx.Client) -> None:
    """Wrap the network backend of each of the client's connection pools (httpx offers no public hook).
    Should a future httpx lay them out differently, the body loop's own deadline check still holds,
    and the self-tests (tests/unit/test_hostile_targets.py, a trickled status line) fail loudly."""
    for transport in (client._transport, *client._mounts.values()):
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every Target of the run, as httpx would build each (CA bundle, SSL_CERT_FILE /
    SSL_CERT_DIR): building one reads the CA bundle, 0.02-0.04 s per client otherwise."""
    return httpx.create_ssl_context()


@functools.cache
def tls_context_for(ca_file: str | None) -> ssl.SSLContext:
    """The system's trust store, or only `ca_file` (a lab CA, a private one) when it is given."""
    if not ca_file:
        return _tls_context()
    return ssl.create_default_context(cafile=ca_file)


class Target:
    """One PMS host (API, admin or auth gateway) reached over HTTP with bounded timeouts."""

    def __init__(self, base_url: str, timeouts: Timeouts, *, name: str = "API", follow_redirects: bool = False,
                 silent_hosts: dict[str, str] | None = None, pins: dict[str, tuple[str, int]] | None = None,
                 ca_file: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.pins = dict(pins or {})
        self.name = name
        self.timeouts = timeouts
        self._client = httpx.Client(
            base_url=self.base_url, timeout=timeouts.httpx(), follow_redirects=follow_redirects,
            headers={"User-Agent": "pms-runbook"}, max_redirects=5, verify=tls_context_for(ca_file),
        )
        if self.pins:
            _pin(self._client, self.pins)
        _bound_by_deadline(self._client)
        # Once the host has let a request time out, later checks say so at once instead of each
        # waiting out its own timeout: a black-holed target costs one timeout, not one per check.
        # The memory is per host (scheme://host:port), shared by the run's Targets when given.
        self._silent_hosts = {} if silent_hosts is None else silent_hosts
        parts = urlsplit(self.base_url)
        self._host = f"{parts.scheme}://{parts.netloc}"

    @property
    def silent(self) -> str | None:
        """Why this target's host is known silent (a request of the run timed out), else None."""
        return self._silent_hosts.get(self._host)

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, *, token: Secret | None = None, **kwargs) -> Answer:
        return self.request("GET", path, token=token, **kwargs)

    def head(self, path: str, **kwargs) -> Answer:
        return self.request("HEAD", path, **kwargs)

    def preflight(self, path: str, **kwargs) -> Answer:
        """A CORS preflight (OPTIONS): what a browser asks before a cross-origin call; it changes nothing."""
        return self.request("OPTIONS", path, **kwargs)

    def post_for_token(self, path: str, **kwargs) -> Answer:
        """The one POST the suite makes: asking the auth gateway for a token (it changes nothing)."""
        return self.request("POST", path, **kwargs)

    def request(self, method: str, path: str, *, token: Secret | None = None, headers: dict | None = None,
                **kwargs) -> Answer:
        # OPTIONS is safe too (RFC 9110): it proves a middleware's 405 without a method that could write.
        if method not in ("GET", "HEAD", "OPTIONS") and not path.startswith("/auth/v1/token"):
            raise ValueError(f"checks are read-only: {method} {path} refused")
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token.reveal()}"
        url = f"{self.base_url}{path}"
        if self.silent:
            raise CouldNotCheck(f"{method} {url}", f"{self.name} did not answer an earlier request "
                                f"({self.silent}); not waiting for it again")
        try:
            try:
                return self._exchange(method, path, url, hdrs, **kwargs)
            except _IdleClosed:
                # The server closed a kept-alive connection after its last answer (uvicorn does after an unhandled
                # 500): a GET/HEAD goes again once, on a fresh connection, as browsers and curl do.
                return self._exchange(method, path, url, hdrs, retried=True, **kwargs)
        except CouldNotCheck as exc:
            if exc.because.startswith(("no answer within", "no connection within")):  # silence, not a refusal
                self._silent_hosts.setdefault(self._host, exc.because)
            raise

    def _exchange(self, method: str, path: str, url: str, hdrs: dict, *, retried: bool = False, **kwargs) -> Answer:
        trickle = CouldNotCheck(f"{method} {url}", f"the answer did not complete within "
                                f"{self.timeouts.total:g}s (slow trickle)")
        started = time.monotonic()
        _deadline.until = started + self.timeouts.total
        try:
            with self._client.stream(method, path, headers=hdrs, **kwargs) as resp:
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_BODY:
                        raise CouldNotCheck(f"{method} {url}", f"the answer is larger than {MAX_BODY} bytes")
                    # Each chunk is bounded by the read timeout; a slow trickle is bounded here.
                    if time.monotonic() - started > self.timeouts.total:
                        raise trickle
                answer = Answer(method, url, resp.status_code, dict(resp.headers), bytes(body),
                                (time.monotonic() - started) * 1000, dict(resp.request.headers))
        except _DeadlinePassed:
            raise trickle from None
        except httpx.TooManyRedirects:
            raise CouldNotCheck(f"{method} {url}", "it redirects in a loop") from None
        except httpx.TimeoutException as exc:
            if time.monotonic() >= _deadline.until - 0.01:
                raise trickle from None  # a read or connect cut short by the total deadline
            if isinstance(exc, httpx.ConnectTimeout):
                raise CouldNotCheck(f"{method} {url}", f"no connection within {self.timeouts.connect:g}s "
                                    f"({self.name} unreachable)") from None
            if isinstance(exc, httpx.ReadTimeout):
                raise CouldNotCheck(f"{method} {url}", f"no answer within {self.timeouts.read:g}s "
                                    f"({self.name} accepts connections but does not answer)") from None
            raise CouldNotCheck(f"{method} {url}", f"{type(exc).__name__}: {_reason(exc)}") from None
        except httpx.ConnectError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                raise CouldNotCheck(f"{method} {url}", f"its TLS certificate does not verify: {_reason(exc)} "
                                    f"(the certificate checks, E1/E2, say which)") from None
            raise CouldNotCheck(f"{method} {url}", f"the connection failed: {_reason(exc)} "
                                f"({self.name} down or wrong URL)") from None
        except httpx.RemoteProtocolError as exc:
            if not retried and "without sending a response" in str(exc):
                raise _IdleClosed from None
            raise CouldNotCheck(f"{method} {url}", f"{type(exc).__name__}: {_reason(exc)}") from None
        except (httpx.ReadError, httpx.WriteError) as exc:
            # A kept-alive connection the server closed can also answer the next request with a reset (the
            # request raced the server's close): as "without sending a response", once more on a fresh one.
            if not retried:
                raise _IdleClosed from None
            raise CouldNotCheck(f"{method} {url}", f"{type(exc).__name__}: {_reason(exc)}") from None
        except httpx.HTTPError as exc:
            raise CouldNotCheck(f"{method} {url}", f"{type(exc).__name__}: {_reason(exc)}") from None
        finally:
            _deadline.until = None
        return answer


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return scrub(text.split("\n")[0][:200])
