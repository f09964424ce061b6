"""Evidence attached to a check: what was seen, scrubbed, in the HTML report and in Allure.

A check (through the `evidence` fixture) or any fixture (through `attach(request, ...)`) attaches
text, JSON, a table or an HTTP exchange. Each attachment is scrubbed of registered secrets first,
then added to the Allure results at once (`allure.attach`) and queued on the test item; the
report plugin (`pms_runbook.plugin`) moves the queue onto the report of the phase that is ending
(setup, call or teardown) as pytest-html `extras`.

    def test_health(evidence, api):
        answer = api.head("/health")
        evidence.attach_http(answer)
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from pms_runbook.render import BODY_EXCERPT, http_exchange
from pms_runbook.secrets import MASK, Secret, scrub

try:  # both are dependencies of the project; keep the runbook importable without them
    import allure
except ImportError:  # pragma: no cover
    allure = None
try:
    from pytest_html import extras as html_extras
except ImportError:  # pragma: no cover
    html_extras = None

PENDING = pytest.StashKey[list]()  # html extras not yet on a report, per item (or per session)

_KINDS = {"text": "TEXT", "table": "TEXT", "http": "TEXT", "json": "JSON"}  # -> Allure attachment type


def _node(item_or_request: Any) -> pytest.Item | pytest.Session:
    """The test item (or, for a session/module fixture, the node) behind a request or an item."""
    return getattr(item_or_request, "node", item_or_request)


def pending(node: Any) -> list:
    """The html extras queued on a node (created empty on first use)."""
    return node.stash.setdefault(PENDING, [])


def attach(item_or_request: Any, name: str, content: Any, *, kind: str = "text") -> str:
    """Attach `content` to the running test: scrubbed, to pytest-html extras and to Allure.

    `kind` is "text", "table", "json" (any JSON-able object) or "http" (an exchange, see
    `render_http`). Returns the scrubbed text that was attached.
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown evidence kind {kind!r}; one of {sorted(_KINDS)}")
    if kind == "json":
        text = scrub(json.dumps(content, indent=2, default=_jsonable, ensure_ascii=False))
    elif kind == "http":
        text = render_http(content)
    else:
        text = scrub(content if isinstance(content, str) else str(content))
    name = scrub(name)

    if allure is not None:
        allure.attach(text, name=name, attachment_type=getattr(allure.attachment_type, _KINDS[kind]))
    if html_extras is not None:
        extra = None
        if kind == "json":
            try:
                extra = html_extras.json(json.loads(text), name=name)
            except ValueError:  # a masked secret made it invalid JSON: keep it as text
                extra = None
        if extra is None:
            extra = html_extras.text(text, name=name)
        pending(_node(item_or_request)).append(extra)
    return text


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Secret):
        return MASK
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def _exchange_fields(exchange: Any) -> tuple[str, str, Any, dict, str]:
    """(method, url, status, response headers, body) from a dict, an `Answer` or an httpx.Response."""
    if isinstance(exchange, dict):
        get = exchange.get
        body = get("body", get("text", ""))
        return get("method", "?"), str(get("url", "?")), get("status", get("status_code", "?")), \
            dict(get("headers") or {}), body
    try:
        request = getattr(exchange, "request", None)  # httpx.Response
    except RuntimeError:  # an httpx.Response built without a request
        request = None
    method = getattr(exchange, "method", None) or getattr(request, "method", "?")
    url = getattr(exchange, "url", None) or getattr(request, "url", "?")
    status = getattr(exchange, "status", None) or getattr(exchange, "status_code", "?")
    body = getattr(exchange, "body", None)
    if body is None:
        body = getattr(exchange, "content", None)
    if body is None:
        body = getattr(exchange, "text", "")
    return method, str(url), status, dict(getattr(exchange, "headers", {}) or {}), body


def render_http(exchange: Any, *, body_limit: int = BODY_EXCERPT) -> str:
    """An HTTP exchange (a dict, an `Answer` or an httpx.Response) as evidence text (`render.http_exchange`)."""
    method, url, status, headers, body = _exchange_fields(exchange)
    return http_exchange(method, url, status, headers, body, body_limit=body_limit,
                         request_headers=getattr(exchange, "request_headers", None),
                         elapsed_ms=getattr(exchange, "elapsed_ms", None))


class Evidence:
    """What the `evidence` fixture gives a check: attach_text / attach_json / attach_table / attach_http."""

    def __init__(self, item_or_request: Any):
        self._target = item_or_request

    def attach_text(self, name: str, text: str) -> str:
        return attach(self._target, name, text, kind="text")

    def attach_json(self, name: str, obj: Any) -> str:
        return attach(self._target, name, obj, kind="json")

    def attach_table(self, name: str, text: str) -> str:
        """A preformatted table (`docker ps`, SQL rows) kept as text."""
        return attach(self._target, name, text, kind="table")

    def attach_http(self, exchange: Any, name: str | None = None) -> str:
        """An HTTP exchange: a dict (method, url, status, headers, body), an `Answer` or an httpx.Response."""
        method, url, status, _, _ = _exchange_fields(exchange)
        label = name or f"HTTP {method} {urlsplit(url).path or url} -> {status}"
        return attach(self._target, label, exchange, kind="http")
