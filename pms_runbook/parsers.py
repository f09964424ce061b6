"""Turn a target's answer into typed values, or raise `BadAnswer`.

Every public parser here is total: whatever it is given (any bytes, any JSON, wrong types in the
right keys, a multi-megabyte body) it returns a frozen dataclass or raises `BadAnswer`, never
anything else. The work is bounded: bodies over `MAX_BODY_BYTES` are refused before parsing.

Where the contract documents several shapes for one answer ([CONFLICT] in pms-contract.md), every
documented shape is accepted and normalised; the `shape`/`raw` fields keep what was actually seen.
Parsers judge the *form* of an answer, never its health: an unknown batch status or a readiness
"down" is returned as data, and the check decides.
"""
from __future__ import annotations

import functools
import json
import math
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from . import secrets
from .secrets import Secret

MAX_BODY_BYTES = 5 * 1024 * 1024  # refuse bodies above this (configurable per call: max_bytes=)
EXCERPT_CHARS = 300
_MAX_STR = 100_000  # a single text field beyond this is not a plausible answer

__all__ = [
    "AUTH_REFUSALS",
    "MAX_BODY_BYTES",
    "STATUS_COUNT_KEYS",
    "BadAnswer",
    "Batch",
    "Component",
    "Connection",
    "Container",
    "ErrorBody",
    "Liveness",
    "Operation",
    "Readiness",
    "Token",
    "Version",
    "agency_error",
    "no_agency",
    "auth_refusal",
    "commit_matches",
    "format_table",
    "human_duration",
    "load_json",
    "parse_batch",
    "parse_batch_list",
    "parse_connection",
    "parse_connection_list",
    "parse_container",
    "parse_error_body",
    "parse_liveness",
    "parse_readiness",
    "parse_timestamp",
    "parse_token_response",
    "parse_version",
    "schema_drift_message",
    "validate_expected_commit",
]


# --------------------------------------------------------------------------------------------
# BadAnswer and the plumbing every parser shares
# --------------------------------------------------------------------------------------------

class BadAnswer(Exception):
    """The target answered, but not in a form the runbook documents.

    `excerpt` is the first ~300 characters of the answer, already scrubbed of every registered
    secret, so that it can go into a failure message or a report as is.
    """

    def __init__(self, endpoint: str, reason: str, excerpt: str = ""):
        self.endpoint = str(endpoint)
        self.reason = secrets.scrub(str(reason))
        self.excerpt = excerpt
        msg = f"unexpected answer from {self.endpoint}: {self.reason}"
        if excerpt:
            msg += f"\nanswer began: {excerpt}"
        super().__init__(msg)

    def __reduce__(self):  # keep it picklable (xdist) with its fields
        return (BadAnswer, (self.endpoint, self.reason, self.excerpt))


def excerpt_of(body: Any, limit: int = EXCERPT_CHARS) -> str:
    """First `limit` characters of a body, scrubbed *before* truncation so no secret is cut in half."""
    try:
        longest = max((len(v) for v in secrets.registered()), default=0)
        window = limit + longest + 16
        if isinstance(body, (bytes, bytearray, memoryview)):
            text = bytes(body[: window * 4]).decode("utf-8", errors="replace")
        elif isinstance(body, str):
            text = body[:window]
        else:
            text = _compact_repr(body, window)
        text = secrets.scrub(text[:window])
        return text[:limit]
    except Exception:  # noqa: BLE001 - an excerpt must never be the reason a parser fails
        return "<unprintable answer>"


def _compact_repr(value: Any, limit: int) -> str:
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except Exception:  # noqa: BLE001 - deep nesting, cycles ...
        import reprlib

        r = reprlib.Repr()
        r.maxstring = r.maxother = limit
        text = r.repr(value)
    return text[:limit]


F = TypeVar("F", bound=Callable[..., Any])


def _total(default_endpoint: str) -> Callable[[F], F]:
    """Make a parser total: anything but BadAnswer escaping it becomes a BadAnswer."""

    def deco(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except BadAnswer:
                raise
            except Exception as exc:  # noqa: BLE001 - the guarantee of this module
                endpoint = kwargs.get("endpoint") or default_endpoint
                body = args[0] if args else next((v for k, v in kwargs.items()
                                                  if k not in ("endpoint", "max_bytes", "now")), None)
                raise BadAnswer(endpoint, f"unparseable answer ({type(exc).__name__})",
                                excerpt_of(body)) from None

        return wrapper  # type: ignore[return-value]

    return deco


def load_json(body: Any, *, endpoint: str, max_bytes: int | None = None) -> Any:
    """Decode a body (bytes, str, or already-decoded JSON) into JSON values, within the size bound."""
    limit = MAX_BODY_BYTES if max_bytes is None else max_bytes
    if body is None:
        raise BadAnswer(endpoint, "no body")
    if isinstance(body, (dict, list)):
        return body
    if isinstance(body, (bytes, bytearray, memoryview)):
        size = len(body) if not isinstance(body, memoryview) else body.nbytes
        if size > limit:
            raise BadAnswer(endpoint, f"body of {size} bytes is over the {limit}-byte limit", excerpt_of(body))
        try:
            text = bytes(body).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadAnswer(endpoint, "body is not UTF-8 text", excerpt_of(body)) from None
    elif isinstance(body, str):
        # len(str) <= bytes; the encoded size can be 4x, bound on a cheap upper estimate first
        if len(body) > limit or len(body.encode("utf-8", errors="replace")) > limit:
            raise BadAnswer(endpoint, f"body over the {limit}-byte limit", excerpt_of(body))
        text = body
    else:
        raise BadAnswer(endpoint, f"expected a JSON body, got {type(body).__name__}", excerpt_of(body))
    if not text.strip():
        raise BadAnswer(endpoint, "empty body (a HEAD answer, or a proxy page?)")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise BadAnswer(endpoint, "JSON nested too deeply", excerpt_of(text)) from None
    except ValueError as exc:
        what = "body is not JSON"
        if text.lstrip()[:1] == "<":
            what = "body is HTML, not JSON (proxy error page or misrouted request?)"
        raise BadAnswer(endpoint, f"{what}: {str(exc)[:80]}", excerpt_of(text)) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _object(data: Any, endpoint: str, body: Any, what: str = "answer") -> dict:
    if not isinstance(data, dict):
        raise BadAnswer(endpoint, f"{what} is {_jtype(data)}, expected an object", excerpt_of(body))
    return data


def _jtype(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _opt_str(d: Mapping, key: str, endpoint: str, body: Any, *, path: str = "") -> str | None:
    """A string field that may be absent or null; any other type is a BadAnswer."""
    v = d.get(key)
    if v is None:
        return None
    if isinstance(v, str):
        if len(v) > _MAX_STR:
            raise BadAnswer(endpoint, f"{path}{key} is implausibly long ({len(v)} chars)", excerpt_of(body))
        return v
    raise BadAnswer(endpoint, f"{path}{key} is {_jtype(v)}, expected a string or null", excerpt_of(body))


def _loose_str(v: Any) -> str | None:
    """A free-text field (errors, messages): keep strings, render other JSON compactly."""
    if v is None:
        return None
    if isinstance(v, str):
        return v[:_MAX_STR]
    return _compact_repr(v, 2000)


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_timestamp(value: Any) -> datetime | None:
    """ISO-8601 (with Z, offset, nanoseconds, or naive = UTC) to an aware datetime; None for null.

    Raises ValueError for anything else (the caller turns it into a BadAnswer or ignores it).
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"timestamp is {_jtype(value)}, expected an ISO-8601 string")  # noqa: TRY004
    s = value.strip()
    if not s or len(s) > 64:
        raise ValueError("timestamp is empty or too long")
    s = _FRACTION.sub(r"\1", s)  # Docker and Go print nanoseconds
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def _ts(d: Mapping, key: str, endpoint: str, body: Any, *, strict: bool, path: str = "") -> datetime | None:
    try:
        return parse_timestamp(d.get(key))
    except (ValueError, OverflowError) as exc:
        if strict:
            raise BadAnswer(endpoint, f"{path}{key}: {exc}", excerpt_of(body)) from None
        return None


# --------------------------------------------------------------------------------------------
# GET /health
# --------------------------------------------------------------------------------------------

LIVE_STATUSES = frozenset({"up", "healthy", "ok"})


@dataclass(frozen=True)
class Liveness:
    status: str
    checked_at: datetime | None = None
    service: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def alive(self) -> bool:
        return self.status.strip().lower() in LIVE_STATUSES


@_total("/health")
def parse_liveness(body: Any, *, endpoint: str = "/health", max_bytes: int | None = None) -> Liveness:
    """`{"status":"up","checked_at":…}` (PROD) or the older `healthy` / `ok` (+`service`) bodies."""
    data = _object(load_json(body, endpoint=endpoint, max_bytes=max_bytes), endpoint, body)
    status = _opt_str(data, "status", endpoint, body)
    if status is None:
        raise BadAnswer(endpoint, "no `status` field", excerpt_of(body))
    return Liveness(
        status=status,
        checked_at=_ts(data, "checked_at", endpoint, body, strict=False),
        service=_loose_str(data.get("service")),
        raw=data,
    )


# --------------------------------------------------------------------------------------------
# GET /health/ready
# --------------------------------------------------------------------------------------------

_UP_WORDS = frozenset({"up", "ok", "healthy", "ready", "pass", "passing", "true"})
_DOWN_WORDS = frozenset({"down", "unhealthy", "degraded", "error", "fail", "failed", "failing",
                         "not_ready", "unavailable", "false"})
_SKIPPED_WORDS = frozenset({"skipped", "disabled"})
_COMPONENT_ALIASES = {"database": "db", "postgres": "db", "postgresql": "db", "broker": "redis",
                      "worker": "celery", "workers": "celery"}
_READY_META_KEYS = frozenset({"status", "checked_at", "components", "checks", "celery_workers",
                              "timestamp", "version", "service", "message", "detail", "error"})


def _norm_status(v: Any) -> str:
    """Normalise a status word: up / down / skipped, or the lowercased unknown word as is."""
    if isinstance(v, bool):
        return "up" if v else "down"
    s = str(v).strip().lower()[:64]
    if s in _UP_WORDS:
        return "up"
    if s in _DOWN_WORDS:
        return "down"
    if s in _SKIPPED_WORDS:
        return "skipped"
    return s or "unknown"


@dataclass(frozen=True)
class Component:
    name: str
    status: str  # "up" | "down" | "skipped" | an unknown word, lowercased
    details: dict | None = None
    error: str | None = None
    checked_at: datetime | None = None

    @property
    def up(self) -> bool:
        return self.status == "up"

    @property
    def skipped(self) -> bool:
        return self.status == "skipped" or bool(self.details and self.details.get("skipped") is True)

    @property
    def down(self) -> bool:
        return not self.up and not self.skipped


@dataclass(frozen=True)
class Readiness:
    status: str  # "up" | "down"
    components: dict[str, Component]
    shape: str  # "components" (PROD) | "checks" (legacy ready/degraded) | "flat"
    raw_status: str = ""
    checked_at: datetime | None = None
    celery_workers: tuple[str, ...] | None = None  # legacy top-level list, if present
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def up(self) -> bool:
        return self.status == "up"

    @property
    def down_components(self) -> list[str]:
        return [name for name, c in self.components.items() if c.down]

    @property
    def workers(self) -> list[str] | None:
        """Celery worker names: `components.celery.details.workers`, else legacy `celery_workers`."""
        celery = self.components.get("celery")
        if celery is not None and celery.details is not None and "workers" in celery.details:
            found = _workers(celery.details.get("workers"))
            if found is not None:
                return found
        if self.celery_workers is not None:
            return list(self.celery_workers)
        return None

    def component(self, name: str) -> Component | None:
        return self.components.get(_COMPONENT_ALIASES.get(name, name))


def _workers(v: Any) -> list[str] | None:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list):
        return [w if isinstance(w, str) else _compact_repr(w, 200) for w in v[:1000]]
    if isinstance(v, dict):  # celery inspect style {"celery@x": {...}}
        return [str(k) for k in list(v)[:1000]]
    return None


def _component(name: str, value: Any, endpoint: str, body: Any, default_checked: datetime | None) -> Component:
    name = _COMPONENT_ALIASES.get(name, name)
    if isinstance(value, dict):
        if "status" not in value:
            raise BadAnswer(endpoint, f"component {name!r} has no status", excerpt_of(body))
        st = value.get("status")
        if not isinstance(st, (str, bool)):
            raise BadAnswer(endpoint, f"component {name!r} status is {_jtype(st)}", excerpt_of(body))
        details = value.get("details")
        if details is not None and not isinstance(details, dict):
            details = {"value": details}
        checked = _ts(value, "checked_at", endpoint, body, strict=False) or default_checked
        return Component(name, _norm_status(st), details, _loose_str(value.get("error")), checked)
    if isinstance(value, (str, bool)):
        return Component(name, _norm_status(value), None, None, default_checked)
    raise BadAnswer(endpoint, f"component {name!r} is {_jtype(value)}", excerpt_of(body))


@_total("/health/ready")
def parse_readiness(body: Any, *, endpoint: str = "/health/ready", max_bytes: int | None = None) -> Readiness:
    """The three documented readiness shapes, normalised.

    - PROD: `{"status":"up|down","components":{"db":{status,details,error,checked_at},…},"checked_at"}`
    - legacy: `{"status":"ready|degraded","checks":{"database":"up",…},"celery_workers":[…]}`
    - flat: `{"status":"healthy|unhealthy","db":"up","redis":"up","celery":"up"}`
    """
    data = _object(load_json(body, endpoint=endpoint, max_bytes=max_bytes), endpoint, body)
    raw_status = data.get("status")
    if raw_status is None:
        raise BadAnswer(endpoint, "no `status` field (an error body instead of a readiness answer?)",
                        excerpt_of(body))
    if not isinstance(raw_status, (str, bool)):
        raise BadAnswer(endpoint, f"`status` is {_jtype(raw_status)}, expected a string", excerpt_of(body))
    checked_at = _ts(data, "checked_at", endpoint, body, strict=False)

    components: dict[str, Component] = {}
    if "components" in data and data["components"] is not None:
        shape = "components"
        comps = data["components"]
        if not isinstance(comps, dict):
            raise BadAnswer(endpoint, f"`components` is {_jtype(comps)}, expected an object", excerpt_of(body))
        items = comps.items()
    elif "checks" in data and data["checks"] is not None:
        shape = "checks"
        comps = data["checks"]
        if not isinstance(comps, dict):
            raise BadAnswer(endpoint, f"`checks` is {_jtype(comps)}, expected an object", excerpt_of(body))
        items = comps.items()
    else:
        shape = "flat"
        items = [(k, v) for k, v in data.items()
                 if k not in _READY_META_KEYS and (isinstance(v, (str, bool)) or
                                                   (isinstance(v, dict) and "status" in v))]
    for name, value in list(items)[:200]:
        comp = _component(str(name)[:100], value, endpoint, body, checked_at)
        components[comp.name] = comp

    celery_workers = None
    if "celery_workers" in data:
        w = _workers(data.get("celery_workers"))
        celery_workers = tuple(w) if w is not None else None

    status = _norm_status(raw_status)
    if status != "up":
        status = "down"  # not positively up is not ready; raw_status keeps the word
    return Readiness(status=status, components=components, shape=shape, raw_status=str(raw_status),
                     checked_at=checked_at, celery_workers=celery_workers, raw=data)


# --------------------------------------------------------------------------------------------
# GET /api/v1/ops/version (backend) and /api/ops/version (admin)
# --------------------------------------------------------------------------------------------

_UNSET_COMMITS = frozenset({"", "null", "none", "(not set)", "not set", "unknown", "undefined"})
_HEX = re.compile(r"[0-9a-fA-F]+")


@dataclass(frozen=True)
class Version:
    service: str | None
    source_commit: str | None  # None when unset ("(not set)", "", null)
    environment: str | None
    api_version: str | None  # `api_version`, or `version` in the March-era field set
    started_at: datetime | None
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    python_version: str | None = None
    uptime_seconds: float | None = None
    shape: str = "runbook"  # "runbook" (service/api_version/started_at) | "march" (version/uptime)

    @property
    def commit_set(self) -> bool:
        return self.source_commit is not None


@_total("/api/v1/ops/version")
def parse_version(body: Any, *, endpoint: str = "/api/v1/ops/version", max_bytes: int | None = None) -> Version:
    """Both documented field sets: service/source_commit/environment/api_version/started_at (PROD)
    and version/source_commit/python_version/uptime_seconds (2026-03); admin has no api_version."""
    data = _object(load_json(body, endpoint=endpoint, max_bytes=max_bytes), endpoint, body)
    known = {"service", "source_commit", "version", "api_version", "environment", "started_at"}
    if not known & data.keys():
        raise BadAnswer(endpoint, "none of the version fields (service, source_commit, version) present",
                        excerpt_of(body))
    commit = _opt_str(data, "source_commit", endpoint, body)
    if commit is not None:
        commit = commit.strip()
        if commit.lower() in _UNSET_COMMITS:
            commit = None
    api_version = data.get("api_version", data.get("version"))
    if api_version is not None and not isinstance(api_version, str):
        if isinstance(api_version, (int, float)) and not isinstance(api_version, bool):
            api_version = str(api_version)
        else:
            raise BadAnswer(endpoint, f"api_version is {_jtype(api_version)}", excerpt_of(body))
    uptime = data.get("uptime_seconds")
    if isinstance(uptime, bool) or not isinstance(uptime, (int, float)) or not math.isfinite(uptime):
        uptime = None
    return Version(
        service=_opt_str(data, "service", endpoint, body),
        source_commit=commit,
        environment=_opt_str(data, "environment", endpoint, body),
        api_version=api_version,
        started_at=_ts(data, "started_at", endpoint, body, strict=False),
        raw=data,
        python_version=_loose_str(data.get("python_version")),
        uptime_seconds=float(uptime) if uptime is not None else None,
        shape="march" if ("uptime_seconds" in data or "python_version" in data) and "service" not in data
        else "runbook",
    )


def commit_matches(deployed: str | None, expected: str) -> bool:
    """The verify-deploy rule: the deployed commit starts with the expected one, case-insensitively.

    None (SOURCE_COMMIT unset) never matches. A deployed *short* SHA (>= 7 hex) that is a prefix of
    the expected full SHA also matches, since both name the same commit.
    """
    if not isinstance(deployed, str) or not isinstance(expected, str):
        return False
    d, e = deployed.strip().lower(), expected.strip().lower()
    if not d or not e or not _HEX.fullmatch(d) or not _HEX.fullmatch(e):
        return False
    return d.startswith(e) or (len(d) >= 7 and e.startswith(d))


def validate_expected_commit(s: Any) -> str:
    """A git SHA given as the expected deploy: hex, at least 7 characters. Returns it lowercased."""
    if not isinstance(s, str):
        raise ValueError(f"expected commit must be a git SHA string, got {type(s).__name__}")  # noqa: TRY004
    v = s.strip()
    if not v:
        raise ValueError("expected commit is empty: pass --expected-commit <sha> or set EXPECTED_COMMIT")
    if not _HEX.fullmatch(v):
        raise ValueError(f"expected commit {v[:50]!r} is not a hex git SHA (did you pass a branch or tag name? "
                         "use `git rev-parse HEAD`)")
    if len(v) < 7:
        raise ValueError(f"expected commit {v!r} is too short: give at least 7 hex characters")
    if len(v) > 64:
        raise ValueError(f"expected commit is {len(v)} characters long; a git SHA has 40 (or 64)")
    return v.lower()


# --------------------------------------------------------------------------------------------
# GET /api/v1/channel-connections/
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Connection:
    id: str
    status: str | None
    platform_type: str | None
    property_id: str | None
    platform_listing_id: str | None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.status == "active"


def _items(data: Any, endpoint: str, body: Any) -> list:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        items = data.get("items")
        if isinstance(items, list):
            return items
        if "items" in data:
            raise BadAnswer(endpoint, f"`items` is {_jtype(items)}, expected an array", excerpt_of(body))
        raise BadAnswer(endpoint, "expected an array or an object with `items`", excerpt_of(body))
    raise BadAnswer(endpoint, f"answer is {_jtype(data)}, expected an array or {{items:[…]}}", excerpt_of(body))


def _id(d: Mapping, key: str, endpoint: str, body: Any, path: str) -> str:
    v = d.get(key)
    if isinstance(v, bool) or v is None:
        raise BadAnswer(endpoint, f"{path}{key} missing", excerpt_of(body))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str) and v.strip() and len(v) <= 200:
        return v
    raise BadAnswer(endpoint, f"{path}{key} is {_jtype(v)}, expected an id string", excerpt_of(body))


def _opt_id(d: Mapping, key: str, endpoint: str, body: Any, path: str) -> str | None:
    if d.get(key) is None:
        return None
    return _id(d, key, endpoint, body, path)


def _connection(item: Any, i: int, endpoint: str, body: Any) -> Connection:
    path = f"items[{i}]."
    if not isinstance(item, dict):
        raise BadAnswer(endpoint, f"items[{i}] is {_jtype(item)}, expected an object", excerpt_of(body))
    return Connection(
        id=_id(item, "id", endpoint, body, path),
        status=_opt_str(item, "status", endpoint, body, path=path),
        platform_type=_opt_str(item, "platform_type", endpoint, body, path=path),
        property_id=_opt_id(item, "property_id", endpoint, body, path),
        platform_listing_id=_opt_id(item, "platform_listing_id", endpoint, body, path),
        raw=item,
    )


@_total("/api/v1/channel-connections/")
def parse_connection_list(body: Any, *, endpoint: str = "/api/v1/channel-connections/",
                          max_bytes: int | None = None) -> list[Connection]:
    """A bare array (deployed) or `{items:[…]}` (accepted by the scripts)."""
    data = load_json(body, endpoint=endpoint, max_bytes=max_bytes)
    return [_connection(item, i, endpoint, body) for i, item in enumerate(_items(data, endpoint, body))]


@_total("/api/v1/channel-connections/{id}")
def parse_connection(body: Any, *, endpoint: str = "/api/v1/channel-connections/{id}",
                     max_bytes: int | None = None) -> Connection:
    data = _object(load_json(body, endpoint=endpoint, max_bytes=max_bytes), endpoint, body)
    return _connection(data, 0, endpoint, body)


# --------------------------------------------------------------------------------------------
# GET …/sync-batches and …/sync-batches/{batch_id}
# --------------------------------------------------------------------------------------------

STATUS_COUNT_KEYS = ("triggered", "running", "success", "failed", "other")
_COUNT_FOLD = {"queued": "triggered"}  # the server counts queued as triggered


@dataclass(frozen=True)
class Operation:
    operation_type: str | None
    status: str | None
    updated_at: datetime | None
    error: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Batch:
    batch_id: str
    connection_id: str | None
    batch_status: str  # success | failed | running | unknown | anything else, kept as is
    status_counts: dict[str, int]
    created_at_min: datetime | None
    updated_at_max: datetime | None
    operations: tuple[Operation, ...] = ()
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def when(self) -> datetime | None:
        """The time that places the batch in a window: created_at_min, else updated_at_max."""
        return self.created_at_min or self.updated_at_max

    @property
    def total_ops(self) -> int:
        return sum(self.status_counts.values())


def _count(v: Any, key: str, endpoint: str, body: Any) -> int:
    if isinstance(v, bool):
        raise BadAnswer(endpoint, f"status_counts.{key} is a boolean", excerpt_of(body))
    if isinstance(v, int):
        if v < 0 or v > 10**12:
            raise BadAnswer(endpoint, f"status_counts.{key} = {v} is out of range", excerpt_of(body))
        return v
    if isinstance(v, float) and math.isfinite(v) and v.is_integer() and 0 <= v <= 1e12:
        return int(v)
    if v is None:
        return 0
    raise BadAnswer(endpoint, f"status_counts.{key} is {_jtype(v)}, expected a count", excerpt_of(body))


def _counts_from_ops(ops: Iterable[Operation]) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_COUNT_KEYS, 0)
    for op in ops:
        s = _COUNT_FOLD.get(op.status or "", op.status or "")
        counts[s if s in counts and s != "other" else "other"] += 1
    return counts


def _batch(item: Any, i: int | None, endpoint: str, body: Any) -> Batch:
    path = f"items[{i}]." if i is not None else ""
    if not isinstance(item, dict):
        raise BadAnswer(endpoint, f"{path or 'answer '}is {_jtype(item)}, expected a batch object",
                        excerpt_of(body))
    status = _opt_str(item, "batch_status", endpoint, body, path=path)
    if status is None:
        raise BadAnswer(endpoint, f"{path}batch_status missing", excerpt_of(body))

    ops_raw = item.get("operations")
    ops: list[Operation] = []
    if ops_raw is not None:
        if not isinstance(ops_raw, list):
            raise BadAnswer(endpoint, f"{path}operations is {_jtype(ops_raw)}, expected an array",
                            excerpt_of(body))
        for j, op in enumerate(ops_raw[:10_000]):
            opath = f"{path}operations[{j}]."
            if not isinstance(op, dict):
                raise BadAnswer(endpoint, f"{opath[:-1]} is {_jtype(op)}, expected an object", excerpt_of(body))
            ops.append(Operation(
                operation_type=_opt_str(op, "operation_type", endpoint, body, path=opath),
                status=_opt_str(op, "status", endpoint, body, path=opath),
                updated_at=_ts(op, "updated_at", endpoint, body, strict=False),
                error=_loose_str(op.get("error")),
                raw=op,
            ))

    sc = item.get("status_counts")
    if sc is None:
        counts = _counts_from_ops(ops) if ops else dict.fromkeys(STATUS_COUNT_KEYS, 0)
    elif isinstance(sc, dict):
        counts = dict.fromkeys(STATUS_COUNT_KEYS, 0)
        for key, v in list(sc.items())[:100]:
            n = _count(v, str(key)[:40], endpoint, body)
            k = _COUNT_FOLD.get(key, key)
            counts[k if k in counts else "other"] += n
    else:
        raise BadAnswer(endpoint, f"{path}status_counts is {_jtype(sc)}, expected an object", excerpt_of(body))

    return Batch(
        batch_id=_id(item, "batch_id", endpoint, body, path),
        connection_id=_opt_id(item, "connection_id", endpoint, body, path),
        batch_status=status,
        status_counts=counts,
        created_at_min=_ts(item, "created_at_min", endpoint, body, strict=True, path=path),
        updated_at_max=_ts(item, "updated_at_max", endpoint, body, strict=True, path=path),
        operations=tuple(ops),
        raw=item,
    )


@_total("/api/v1/channel-connections/{id}/sync-batches")
def parse_batch_list(body: Any, *, endpoint: str = "/api/v1/channel-connections/{id}/sync-batches",
                     max_bytes: int | None = None) -> list[Batch]:
    """`{items, limit, offset}` (checklist) or a bare array (LEG API reference)."""
    data = load_json(body, endpoint=endpoint, max_bytes=max_bytes)
    return [_batch(item, i, endpoint, body) for i, item in enumerate(_items(data, endpoint, body))]


@_total("/api/v1/channel-connections/{id}/sync-batches/{batch_id}")
def parse_batch(body: Any, *, endpoint: str = "/api/v1/channel-connections/{id}/sync-batches/{batch_id}",
                max_bytes: int | None = None) -> Batch:
    data = load_json(body, endpoint=endpoint, max_bytes=max_bytes)
    return _batch(data, None, endpoint, body)


# --------------------------------------------------------------------------------------------
# POST {SB_URL}/auth/v1/token?grant_type=password
# --------------------------------------------------------------------------------------------

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
    try:
        import jwt  # pyjwt

        claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False,
                                            "verify_aud": False, "verify_iat": False, "verify_nbf": False})
        return claims if isinstance(claims, dict) else {}
    except Exception:  # noqa: BLE001 - undecodable payload is just "no claims"
        return {}


_PLACEHOLDERS = frozenset({"null", "none", "undefined", "bearer", "invalid", "expired"})


@_total("/auth/v1/token")
def parse_token_response(body: Any, *, endpoint: str = "/auth/v1/token", max_bytes: int | None = None) -> Token:
    """GoTrue's password-grant answer. The token is registered for scrubbing before anything else."""
    data = load_json(body, endpoint=endpoint, max_bytes=max_bytes)
    if isinstance(data, dict):  # register first, so that no excerpt below can show them
        for key in ("access_token", "refresh_token", "provider_token"):
            v = data.get(key)
            # not placeholders such as "null": registering those would mask every "null" in reports
            if isinstance(v, str) and len(v.strip()) >= 8 and v.strip().lower() not in _PLACEHOLDERS:
                secrets.register(v.strip())
    data = _object(data, endpoint, body)
    if "access_token" not in data:
        err = data.get("error_description") or data.get("msg") or data.get("message") or data.get("error") \
            or data.get("detail")
        reason = "no access_token in the answer"
        if err is not None:
            reason += f" (server said: {_loose_str(err)[:200]})"
        raise BadAnswer(endpoint, reason, excerpt_of(body))
    tok = data.get("access_token")
    if not isinstance(tok, str):
        raise BadAnswer(endpoint, f"access_token is {_jtype(tok)}, expected a JWT string", excerpt_of(body))
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


# --------------------------------------------------------------------------------------------
# Error bodies (503 schema drift, 401/403, 404 …)
# --------------------------------------------------------------------------------------------

# What a schema-drift answer says (contract §5.1, §11 item 24): the 503's actionable message, or the
# database error a build lets through as a 500.
_DRIFT = re.compile(
    r"schema not installed|out of date"
    r"|relation \"[^\"]{1,200}\" does not exist"
    r"|column (?:\"[^\"]{1,200}\"|[\w.]{1,200})(?: of relation \"[^\"]{1,200}\")? does not exist"
    r"|Undefined(?:Table|Column)",
    re.IGNORECASE)


@dataclass(frozen=True)
class ErrorBody:
    error: str | None
    message: str | None
    detail: str | dict | list | None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def code(self) -> str | None:
        """`error`, or `detail.error` (e.g. host_not_allowed)."""
        if self.error:
            return self.error
        if isinstance(self.detail, dict) and isinstance(self.detail.get("error"), str):
            return self.detail["error"]
        return None

    @property
    def text(self) -> str:
        """One human line: message, else detail, else error."""
        for v in (self.message, self.detail if isinstance(self.detail, str) else None):
            if v:
                return v
        if isinstance(self.detail, dict):
            for k in ("message", "detail", "error"):
                if isinstance(self.detail.get(k), str):
                    return self.detail[k]
        if self.detail is not None:
            return _compact_repr(self.detail, 300)
        return self.error or ""


@_total("error body")
def parse_error_body(body: Any, *, endpoint: str = "error body", max_bytes: int | None = None) -> ErrorBody:
    """`{error, message}`, `{detail: "…"}`, `{detail: {error, message, …}}` or FastAPI's `{detail: [...]}`."""
    data = _object(load_json(body, endpoint=endpoint, max_bytes=max_bytes), endpoint, body)
    detail = data.get("detail")
    if detail is not None and not isinstance(detail, (str, dict, list)):
        detail = _loose_str(detail)
    if isinstance(detail, str):
        detail = detail[:_MAX_STR]
    error = data.get("error")
    if isinstance(error, dict) and detail is None:  # {"error": {"message": …}} style
        detail = error
    return ErrorBody(
        error=error if isinstance(error, str) else None,
        message=_loose_str(data.get("message") if data.get("message") is not None else data.get("msg")),
        detail=detail,
        raw=data,
    )


def _strings(v: Any, depth: int = 0, budget: list[int] | None = None) -> Iterable[str]:
    budget = budget if budget is not None else [500]
    if budget[0] <= 0 or depth > 5:
        return
    budget[0] -= 1
    if isinstance(v, str):
        yield v[:_MAX_STR]
    elif isinstance(v, dict):
        for key in ("message", "detail", "error", "msg", "hint"):
            if key in v:
                yield from _strings(v[key], depth + 1, budget)
    elif isinstance(v, list):
        for item in v[:50]:
            yield from _strings(item, depth + 1, budget)


def schema_drift_message(body: Any, *, max_bytes: int | None = None) -> str | None:
    """The message of a schema-drift answer, else None: "schema not installed" / "out of date" (the 503),
    or `relation "…" does not exist` / `column … does not exist` / UndefinedTable / UndefinedColumn (a 500
    that lets the database error through). Which status codes count is the caller's to decide.

    Looks in `message`, `detail` (string or object) and `error`; never raises.
    """
    try:
        eb = parse_error_body(body, max_bytes=max_bytes)
    except BadAnswer:
        return None
    except Exception:  # noqa: BLE001 - belt and braces: this helper is used inside assertions
        return None
    for v in (eb.message, eb.detail, eb.error, eb.raw.get("error")):
        for s in _strings(v):
            if _DRIFT.search(s):
                return s
    return None


# --------------------------------------------------------------------------------------------
# docker inspect (Docker SDK container.attrs)
# --------------------------------------------------------------------------------------------

_SECRET_KEY = re.compile(r"PASSWORD|PASSWD|SECRET|KEY|TOKEN|DSN|DATABASE_URL|CREDENTIAL|PRIVATE",
                         re.IGNORECASE)
_NOT_SECRET_VALUES = frozenset({"", "true", "false", "yes", "no", "on", "off", "none", "null"})
_ZERO_TIME_PREFIX = "0001-01-01"


def _looks_secret(key: str, value: str) -> bool:
    if value.strip().lower() in _NOT_SECRET_VALUES or value.strip().isdigit():
        return False
    if _SECRET_KEY.search(key):
        return True
    if key.upper().endswith("_URL") or "://" in value:
        return _url_password(value) is not None
    return False


def _url_password(value: str) -> str | None:
    try:
        parts = urllib.parse.urlsplit(value.strip())
        pw = parts.password
    except ValueError:
        return None
    return pw or None


def _env(entries: Any) -> dict[str, str | Secret]:
    env: dict[str, str | Secret] = {}
    if not isinstance(entries, list):
        return env
    for entry in entries[:5000]:
        if not isinstance(entry, str):
            continue
        key, _, value = entry.partition("=")
        if not key:
            continue
        if _looks_secret(key, value):
            pw = _url_password(value)
            if pw:  # the password alone also travels (decoded, in logs): scrub that too
                secrets.register(pw)
                secrets.register(urllib.parse.unquote(pw))
            env[key] = Secret(value, key)
        else:
            env[key] = value
    return env


def _docker_time(v: Any) -> datetime | None:
    if not isinstance(v, str) or not v or v.startswith(_ZERO_TIME_PREFIX):
        return None
    try:
        return parse_timestamp(v)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class Container:
    name: str
    id: str
    status: str  # running | restarting | exited | created | paused | dead | removing
    restart_count: int
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    image: str | None
    env: dict[str, str | Secret]
    networks: tuple[str, ...]
    health: str | None  # healthy | unhealthy | starting | None (no HEALTHCHECK)
    observed_at: datetime
    cmd: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    hostname: str | None = None
    user: str | None = None
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    oom_killed: bool = False
    error: str | None = None  # State.Error
    created_at: datetime | None = None  # Created: a rename's new container is the younger one
    memory_limit: int | None = None  # HostConfig.Memory in bytes; None = no limit

    @property
    def restarting(self) -> bool:
        return self.status == "restarting"

    @property
    def up(self) -> bool:
        return self.status == "running" and not self.restarting

    def env_value(self, key: str) -> str | None:
        """An env value in clear (reveals secrets: only for comparisons, never for reports)."""
        v = self.env.get(key)
        if isinstance(v, Secret):
            return v.reveal()
        return v

    def status_text_at(self, now: datetime) -> str:
        """What `docker ps` prints in STATUS, as of `now`."""
        if self.status in ("dead", "removing"):
            return "Dead" if self.status == "dead" else "Removal In Progress"
        if self.status == "restarting":
            since = self.finished_at or self.started_at
            ago = human_duration(now - since) + " ago" if since else ""
            return f"Restarting ({self.exit_code or 0}) {ago}".rstrip()
        if self.status in ("running", "paused"):
            up = "Up " + human_duration(now - self.started_at) if self.started_at else "Up"
            if self.status == "paused":
                return up + " (Paused)"
            if self.health == "starting":
                return up + " (health: starting)"
            if self.health in ("healthy", "unhealthy"):
                return f"{up} ({self.health})"
            return up
        if self.status == "created" or self.started_at is None:
            return "Created"
        if self.finished_at is None:
            return self.status.capitalize()
        return f"Exited ({self.exit_code or 0}) {human_duration(now - self.finished_at)} ago"

    @property
    def status_text(self) -> str:
        return self.status_text_at(self.observed_at)


def human_duration(d: timedelta) -> str:
    """go-units HumanDuration, as used by `docker ps`."""
    seconds = int(d.total_seconds())
    if seconds < 1:
        return "Less than a second"
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(d.total_seconds() / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(d.total_seconds() // 3600) // 24 // 365} years"


def _strlist(v: Any) -> tuple[str, ...] | None:
    if isinstance(v, str):
        return (v,)
    if isinstance(v, list):
        return tuple(str(x) for x in v[:200])
    return None


@_total("docker inspect")
def parse_container(attrs: Any, *, now: datetime | None = None, endpoint: str = "docker inspect") -> Container:
    """A `container.attrs` dict (the `docker inspect` JSON of one container)."""
    if isinstance(attrs, (bytes, str)):
        attrs = load_json(attrs, endpoint=endpoint)
        if isinstance(attrs, list) and len(attrs) == 1:  # `docker inspect` prints an array
            attrs = attrs[0]
    a = _object(attrs, endpoint, attrs, "container attrs")
    name = a.get("Name")
    if not isinstance(name, str) or not name.strip("/"):
        raise BadAnswer(endpoint, "container has no Name", excerpt_of(a))
    state = a.get("State")
    if not isinstance(state, dict):
        raise BadAnswer(endpoint, f"{name}: State is {_jtype(state)}, expected an object", excerpt_of(a))
    status = state.get("Status")
    if not isinstance(status, str) or not status:
        # very old engines: derive from the booleans
        if state.get("Restarting") is True:
            status = "restarting"
        elif state.get("Paused") is True:
            status = "paused"
        elif state.get("Running") is True:
            status = "running"
        elif state.get("Dead") is True:
            status = "dead"
        else:
            raise BadAnswer(endpoint, f"{name}: no State.Status", excerpt_of(a))
    status = status.lower()
    if state.get("Restarting") is True:
        status = "restarting"  # Running is true while restarting; Restarting is the truth

    cfg = a.get("Config") if isinstance(a.get("Config"), dict) else {}
    ns = a.get("NetworkSettings") if isinstance(a.get("NetworkSettings"), dict) else {}
    nets = ns.get("Networks") if isinstance(ns.get("Networks"), dict) else {}
    aliases: dict[str, tuple[str, ...]] = {}
    for net, info in list(nets.items())[:100]:
        names: list[str] = []
        if isinstance(info, dict):
            for key in ("Aliases", "DNSNames"):
                for x in info.get(key) or []:
                    if isinstance(x, str) and x not in names:
                        names.append(x)
        aliases[str(net)] = tuple(names)
    health = state.get("Health")
    health_status = health.get("Status") if isinstance(health, dict) else None
    rc = a.get("RestartCount")
    exit_code = state.get("ExitCode")
    cid = a.get("Id")
    hostname = cfg.get("Hostname")
    user = cfg.get("User")
    error = state.get("Error")
    host_cfg = a.get("HostConfig") if isinstance(a.get("HostConfig"), dict) else {}
    mem = host_cfg.get("Memory")
    return Container(
        name=name.lstrip("/"),
        id=cid[:12] if isinstance(cid, str) else "",
        status=status,
        restart_count=rc if isinstance(rc, int) and not isinstance(rc, bool) and rc >= 0 else 0,
        started_at=_docker_time(state.get("StartedAt")),
        finished_at=_docker_time(state.get("FinishedAt")),
        exit_code=exit_code if isinstance(exit_code, int) and not isinstance(exit_code, bool) else None,
        image=cfg.get("Image") if isinstance(cfg.get("Image"), str) else None,
        env=_env(cfg.get("Env")),
        networks=tuple(sorted(aliases)),
        health=health_status.lower() if isinstance(health_status, str) and health_status else None,
        observed_at=now or datetime.now(UTC),
        cmd=_strlist(cfg.get("Cmd")),
        entrypoint=_strlist(cfg.get("Entrypoint")),
        hostname=hostname if isinstance(hostname, str) else None,
        user=user if isinstance(user, str) else None,
        aliases=aliases,
        oom_killed=state.get("OOMKilled") is True,
        error=error if isinstance(error, str) and error else None,
        created_at=_docker_time(a.get("Created")),
        memory_limit=mem if isinstance(mem, int) and not isinstance(mem, bool) and mem > 0 else None,
    )


def format_table(containers: Iterable[Container], *, now: datetime | None = None) -> str:
    """A `docker ps`-like table: NAMES, STATUS, IMAGE, RESTARTS, NETWORKS."""
    header = ("NAMES", "STATUS", "IMAGE", "RESTARTS", "NETWORKS")
    rows = [header]
    for c in containers:
        rows.append((
            c.name,
            c.status_text_at(now) if now is not None else c.status_text,
            c.image or "",
            str(c.restart_count),
            ",".join(c.networks),
        ))
    if len(rows) == 1:
        return "\t".join(header) + "\n(no containers)"
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["   ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]
    return secrets.scrub("\n".join(lines))


# --------------------------------------------------------------------------------------------
# What an API refusal says (contract §3.2, §3.3): the documented detail strings, nothing else
# --------------------------------------------------------------------------------------------

AUTH_REFUSALS = {  # 401 detail -> kind
    "invalid authentication token": "bad-signature",
    "token has expired": "expired",
    "not authenticated": "no-token",
}
_AGENCY = re.compile(r"^(?:missing agency_id in token claims|agency context not available in token"
                     r"|cannot resolve agency\b.*)", re.IGNORECASE | re.DOTALL)


def _error_text(body: Any) -> str | None:
    try:
        return parse_error_body(body).text.strip() or None
    except BadAnswer:
        return None
    except Exception:  # noqa: BLE001 - used inside checks' judgement: never raises
        return None


def auth_refusal(body: Any) -> str | None:
    """The kind of a documented 401/403 auth body ("bad-signature", "expired", "no-token"), else None."""
    text = _error_text(body)
    return AUTH_REFUSALS.get(text.rstrip(".").lower()) if text else None


def agency_error(body: Any) -> str | None:
    """The documented "no agency context" text of a 403/400 (§3.2), else None."""
    text = _error_text(body)
    return text if text and _AGENCY.match(text) else None


# §3.2: "with no membership at all, 404" (the body is not documented: it must name the missing membership).
_NO_MEMBERSHIP = re.compile(r"\bagency\b.*\bmember|\bmember\w*\b.*\bagenc", re.IGNORECASE | re.DOTALL)


def no_agency(status: int, body: Any) -> str | None:
    """The ops user's token resolves to no agency: a 403/400 "no agency context" (§3.2) or a 404 that names
    the missing agency membership; else None."""
    if status in (400, 403):
        return agency_error(body)
    if status == 404:
        text = _error_text(body)
        return text if text and _NO_MEMBERSHIP.search(text) else None
    return None
