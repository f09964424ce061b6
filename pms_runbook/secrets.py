"""Secrets: masked from the moment they are read, and scrubbed from everything the run writes.

Every value wrapped in `Secret` (and every token the suite acquires) is registered here; `scrub`
replaces each registered value, and the usual encodings of it, with a mask.
"""
from __future__ import annotations

import base64
import threading
import urllib.parse

MASK = "***"
_MIN_LEN = 4  # shorter values would mask ordinary words; such secrets are refused by config
_lock = threading.Lock()
_values: set[str] = set()


def _forms(value: str) -> set[str]:
    """The value and the encodings in which it travels: URL-encoded (DSN, query), base64."""
    forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}
    raw = value.encode()
    forms.add(base64.b64encode(raw).decode().rstrip("="))
    forms.add(base64.urlsafe_b64encode(raw).decode().rstrip("="))
    return {f for f in forms if len(f) >= _MIN_LEN}


def register(value: str | None) -> None:
    if value and len(value) >= _MIN_LEN:
        with _lock:
            _values.update(_forms(value))


def registered() -> frozenset[str]:
    with _lock:
        return frozenset(_values)


def scrub(text: str) -> str:
    if not text:
        return text
    # Longest first, so that a secret containing another is masked whole.
    for value in sorted(registered(), key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


def scrub_bytes(data: bytes) -> bytes:
    try:
        return scrub(data.decode("utf-8")).encode("utf-8")
    except UnicodeDecodeError:
        for value in sorted(registered(), key=len, reverse=True):
            data = data.replace(value.encode(), MASK.encode())
        return data


class Secret:
    """A secret value whose repr and str are masked; `reveal()` is the only way to the value."""

    __slots__ = ("_value", "name")

    def __init__(self, value: str, name: str = "secret"):
        self._value = value
        self.name = name
        register(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.name}={MASK})"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):  # pickling (xdist) keeps it a Secret, and registered on the other side
        return (Secret, (self._value, self.name))
