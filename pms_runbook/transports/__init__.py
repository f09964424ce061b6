"""How the runbook reaches a target: HTTP, Docker and SQL, each read-only and bounded by timeouts.

A resource (`pms_runbook.resources`) never sees which transport carries it; the transport is chosen
by the target's URL (`kind`).
"""
from __future__ import annotations

from urllib.parse import urlsplit

_KINDS = {"http": "http", "https": "http", "unix": "docker", "tcp": "docker", "ssh": "docker",
          "npipe": "docker", "postgres": "sql", "postgresql": "sql"}


def kind(url: str) -> str:
    """"http", "docker" or "sql" for a target URL (a DOCKER_HOST-style URL, a postgresql:// DSN, http(s)://)."""
    scheme = urlsplit(str(url)).scheme.lower()
    if scheme not in _KINDS:
        raise ValueError(f"no transport for {scheme + '://' if scheme else 'a URL without a scheme'} "
                         f"(expected one of {', '.join(sorted(s + '://' for s in _KINDS))})")
    return _KINDS[scheme]
