"""Evidence as text: one table helper and one HTTP-exchange renderer, with one masking rule.

Every rendering of an exchange (a check's evidence, a fixture's, a failed batch's detail) goes
through `http_exchange`, so a credential hidden in one place is hidden everywhere: the headers in
`HIDDEN_HEADERS` and the query parameters in `HIDDEN_QUERY` are masked, then every registered
secret is scrubbed from the whole text.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pms_runbook.secrets import MASK, scrub

HIDDEN = "<hidden>"
HIDDEN_HEADERS = frozenset({
    "authorization", "proxy-authorization", "apikey", "x-api-key", "cookie", "set-cookie",
})
HIDDEN_QUERY = frozenset({"apikey", "api_key", "token", "access_token", "refresh_token", "password", "key"})
BODY_EXCERPT = 4000  # characters of a response body kept as evidence


def table(rows: Iterable[Sequence[Any]], *, gap: int = 2) -> str:
    """Rows (the first one the header, if any) as left-aligned columns, scrubbed."""
    cells = [[str(c) for c in row] for row in rows]
    if not cells:
        return ""
    widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(max(map(len, cells)))]
    lines = [(" " * gap).join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in cells]
    return scrub("\n".join(lines))


def header_value(name: Any, value: Any) -> str:
    return HIDDEN if str(name).lower() in HIDDEN_HEADERS else str(value)


def hide_query(url: str) -> str:
    """The URL with the values of credential-bearing query parameters masked."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, MASK if k.lower() in HIDDEN_QUERY else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def http_exchange(method: str, url: str, status: Any, headers: Mapping, body: Any, *,
                  request_headers: Mapping | None = None, elapsed_ms: float | None = None,
                  body_limit: int = BODY_EXCERPT) -> str:
    """An HTTP exchange as evidence text: request line, request headers (`> `), status, response headers,
    an excerpt of the body; credentials hidden, secrets scrubbed."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body).decode("utf-8", errors="replace")
    body = str(body or "")
    more = f"\n... ({len(body) - body_limit} more characters)" if len(body) > body_limit else ""
    lines = [f"{method} {hide_query(str(url))}"]
    lines += [f"> {k}: {header_value(k, v)}" for k, v in (request_headers or {}).items()]
    lines.append(f"HTTP {status}" + (f" ({elapsed_ms:.0f} ms)" if elapsed_ms is not None else ""))
    lines += [f"{k}: {header_value(k, v)}" for k, v in headers.items()]
    lines += ["", body[:body_limit] + more]
    return scrub("\n".join(lines))
