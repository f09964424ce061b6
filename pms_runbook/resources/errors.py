"""Error bodies (503 schema drift, 401/403, 404 ...): their shape, and what a refusal says (contract §3.2, §5.1)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pms_runbook.resources.answer import MAX_STR, BadAnswer, compact_repr, expect_object, load_json, loose_str, total

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
            return compact_repr(self.detail, 300)
        return self.error or ""


@total("error body")
def parse_error_body(body: Any, *, endpoint: str = "error body", max_bytes: int | None = None) -> ErrorBody:
    """`{error, message}`, `{detail: "…"}`, `{detail: {error, message, …}}` or FastAPI's `{detail: [...]}`."""
    data = expect_object(load_json(body, endpoint=endpoint, max_bytes=max_bytes), endpoint, body)
    detail = data.get("detail")
    if detail is not None and not isinstance(detail, (str, dict, list)):
        detail = loose_str(detail)
    if isinstance(detail, str):
        detail = detail[:MAX_STR]
    error = data.get("error")
    if isinstance(error, dict) and detail is None:  # {"error": {"message": …}} style
        detail = error
    return ErrorBody(
        error=error if isinstance(error, str) else None,
        message=loose_str(data.get("message") if data.get("message") is not None else data.get("msg")),
        detail=detail,
        raw=data,
    )


def _strings(v: Any, depth: int = 0, budget: list[int] | None = None) -> Iterable[str]:
    budget = budget if budget is not None else [500]
    if budget[0] <= 0 or depth > 5:
        return
    budget[0] -= 1
    if isinstance(v, str):
        yield v[:MAX_STR]
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


_AGENCY = re.compile(r"^(?:missing agency_id in token claims|agency context not available in token"
                     r"|cannot resolve agency\b.*)", re.IGNORECASE | re.DOTALL)


def error_text(body: Any) -> str | None:
    """The one human line of an error body, or None; never raises (it serves judgements)."""
    try:
        return parse_error_body(body).text.strip() or None
    except BadAnswer:
        return None
    except Exception:  # noqa: BLE001 - used inside checks' judgement: never raises
        return None


def agency_error(body: Any) -> str | None:
    """The documented "no agency context" text of a 403/400 (§3.2), else None."""
    text = error_text(body)
    return text if text and _AGENCY.match(text) else None


# §3.2: "with no membership at all, 404" (the body is not documented: it must name the missing membership).
_NO_MEMBERSHIP = re.compile(r"\bagency\b.*\bmember|\bmember\w*\b.*\bagenc", re.IGNORECASE | re.DOTALL)


def no_agency(status: int, body: Any) -> str | None:
    """The ops user's token resolves to no agency: a 403/400 "no agency context" (§3.2) or a 404 that names
    the missing agency membership; else None."""
    if status in (400, 403):
        return agency_error(body)
    if status == 404:
        text = error_text(body)
        return text if text and _NO_MEMBERSHIP.search(text) else None
    return None
