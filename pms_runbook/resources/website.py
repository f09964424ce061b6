"""The public website (`fewo.*`, contract Q3/Q4/Q9), as a guest reaches it: its same-origin API proxy, its middleware,
and how a page it rendered reads.

A Next.js page carries its React data in `<script>` tags, and that data holds the not-found page's strings
("This page could not be found.", `next-error-h1`) on every page, healthy or not: grepping the HTML for
them is wrong. `read_page` parses the document and looks only at what a browser renders: the `<title>`,
the elements and their text, never the scripts.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

NOT_FOUND_TEXT = "This page could not be found."
NOT_FOUND_CLASS = "next-error-h1"
SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript"})
VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                       "track", "wbr"})


@dataclass
class Page:
    """What a browser would show of an HTML document."""

    title: str = ""
    text: str = ""
    classes: set[str] = field(default_factory=set)
    testids: set[str] = field(default_factory=set)

    @property
    def not_found_markers(self) -> list[str]:
        """The smoke test's three markers (C27), as rendered: none on a healthy page."""
        found = []
        if NOT_FOUND_TEXT in self.text:
            found.append(f"'{NOT_FOUND_TEXT}' in the page")
        if NOT_FOUND_CLASS in self.classes:
            found.append(f"an element of class {NOT_FOUND_CLASS}")
        if "404" in self.title:
            found.append(f"'404' in the title ({self.title!r})")
        return found


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._stack: list[str] = []
        self._text: list[str] = []
        self._title: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID_TAGS:
            self._stack.append(tag)
        if self._skipping:
            return
        for name, value in attrs:
            if name == "class" and value:
                self.page.classes.update(value.split())
            elif name == "data-testid" and value:
                self.page.testids.add(value)

    def handle_endtag(self, tag):
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    @property
    def _skipping(self) -> bool:
        return any(t in SKIPPED_TAGS for t in self._stack)

    def handle_data(self, data):
        if self._skipping:
            return
        (self._title if "title" in self._stack else self._text).append(data)

    def close(self):
        super().close()
        self.page.title = " ".join("".join(self._title).split())
        self.page.text = " ".join(" ".join(self._text).split())


def read_page(body: bytes) -> Page:
    reader = _Reader()
    reader.feed(body.decode("utf-8", "replace"))
    reader.close()
    return reader.page


def json_answer(answer) -> bool:
    """200 with a JSON content type and a body that parses: what the proxy smoke expects."""
    if answer.status != 200 or "json" not in answer.headers.get("content-type", "").lower():
        return False
    try:
        json.loads(answer.body)
    except ValueError:
        return False
    return True


def refused_host(answer) -> bool:
    """403 with the host allowlist's documented body (detail.error = host_not_allowed, contract §9 #31)."""
    if answer.status != 403:
        return False
    body = answer.body.decode(errors="replace") if isinstance(answer.body, bytes) else str(answer.body)
    return "host_not_allowed" in body


def describe(answer) -> str:
    """`404 text/html` style: status and content type of an answer."""
    return f"{answer.status} {answer.headers.get('content-type', '(no content-type)').split(';')[0]}"


def public_host(public_url: str) -> str:
    """The host the public site is reached by: the tenant the API must resolve (`?public_host=`)."""
    return urlsplit(public_url).hostname or ""
