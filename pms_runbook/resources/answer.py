"""What every resource's parser shares: `BadAnswer`, bounded JSON decoding, scrubbed excerpts, `total`.

Every public parser of `pms_runbook.resources` is total: whatever it is given (any bytes, any JSON, wrong
types in the right keys, a multi-megabyte body) it returns a frozen dataclass or raises `BadAnswer`, never
anything else. The work is bounded: bodies over `MAX_BODY_BYTES` are refused before parsing.

Where the contract documents several shapes for one answer ([CONFLICT] in pms-contract.md), every
documented shape is accepted and normalised; the `shape`/`raw` fields keep what was actually seen.
Parsers judge the *form* of an answer, never its health: an unknown batch status or a readiness
"down" is returned as data, and the check decides.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from pms_runbook import secrets

MAX_BODY_BYTES = 5 * 1024 * 1024  # refuse bodies above this (configurable per call: max_bytes=)
EXCERPT_CHARS = 300
MAX_STR = 100_000  # a single text field beyond this is not a plausible answer


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
            text = compact_repr(body, window)
        text = secrets.scrub(text[:window])
        return text[:limit]
    except Exception:  # noqa: BLE001 - an excerpt must never be the reason a parser fails
        return "<unprintable answer>"


def compact_repr(value: Any, limit: int) -> str:
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except Exception:  # noqa: BLE001 - deep nesting, cycles ...
        import reprlib

        r = reprlib.Repr()
        r.maxstring = r.maxother = limit
        text = r.repr(value)
    return text[:limit]


F = TypeVar("F", bound=Callable[..., Any])


def total(default_endpoint: str) -> Callable[[F], F]:
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


def expect_object(data: Any, endpoint: str, body: Any, what: str = "answer") -> dict:
    if not isinstance(data, dict):
        raise BadAnswer(endpoint, f"{what} is {json_type(data)}, expected an object", excerpt_of(body))
    return data


def json_type(v: Any) -> str:
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


def opt_str(d: Mapping, key: str, endpoint: str, body: Any, *, path: str = "") -> str | None:
    """A string field that may be absent or null; any other type is a BadAnswer."""
    v = d.get(key)
    if v is None:
        return None
    if isinstance(v, str):
        if len(v) > MAX_STR:
            raise BadAnswer(endpoint, f"{path}{key} is implausibly long ({len(v)} chars)", excerpt_of(body))
        return v
    raise BadAnswer(endpoint, f"{path}{key} is {json_type(v)}, expected a string or null", excerpt_of(body))


def loose_str(v: Any) -> str | None:
    """A free-text field (errors, messages): keep strings, render other JSON compactly."""
    if v is None:
        return None
    if isinstance(v, str):
        return v[:MAX_STR]
    return compact_repr(v, 2000)


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_timestamp(value: Any) -> datetime | None:
    """ISO-8601 (with Z, offset, nanoseconds, or naive = UTC) to an aware datetime; None for null.

    Raises ValueError for anything else (the caller turns it into a BadAnswer or ignores it).
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"timestamp is {json_type(value)}, expected an ISO-8601 string")  # noqa: TRY004
    s = value.strip()
    if not s or len(s) > 64:
        raise ValueError("timestamp is empty or too long")
    s = _FRACTION.sub(r"\1", s)  # Docker and Go print nanoseconds
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def timestamp_field(d: Mapping, key: str, endpoint: str, body: Any, *, strict: bool, path: str = "") -> datetime | None:
    try:
        return parse_timestamp(d.get(key))
    except (ValueError, OverflowError) as exc:
        if strict:
            raise BadAnswer(endpoint, f"{path}{key}: {exc}", excerpt_of(body)) from None
        return None
