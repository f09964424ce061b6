"""How the runbook reaches a target: HTTP, Docker and SQL, each read-only and bounded by timeouts.

A resource (`pms_runbook.resources`) never sees which transport carries it; the transport is chosen
by the target's URL (`kind`), in one place: `connect`.
"""
from __future__ import annotations

from urllib.parse import urlsplit

_KINDS = {"http": "http", "https": "http", "unix": "docker", "tcp": "docker", "ssh": "docker",
          "npipe": "docker", "postgres": "sql", "postgresql": "sql"}


def kind(url: str) -> str:
    """"http", "docker" or "sql" for a target URL (a DOCKER_HOST-style URL, a postgresql:// DSN, http(s)://)."""
    scheme = urlsplit(str(url)).scheme.lower()
    if not scheme and "=" in str(url):
        return "sql"  # libpq's keyword form of a DSN: host=... dbname=...
    if scheme not in _KINDS:
        raise ValueError(f"no transport for {scheme + '://' if scheme else 'a URL without a scheme'} "
                         f"(expected one of {', '.join(sorted(s + '://' for s in _KINDS))})")
    return _KINDS[scheme]


def connect(url, **options):
    """Open the transport `url` names: an `http.Target`, a Docker client, or a read-only SQL session.

    `url` is an http(s):// base URL, a DOCKER_HOST-style URL (None or "local": the engine's default,
    DOCKER_HOST or the socket) or a postgresql:// DSN held as a `Secret`; `options` are that
    transport's own (timeouts). Each transport is imported when first opened: the Docker SDK and
    psycopg cost a run only if it reads Docker or SQL.
    """
    reveal = getattr(url, "reveal", None)  # a DSN stays a Secret; only its scheme is read here
    which = "docker" if url in (None, "local") else kind(reveal() if reveal else url)
    if which == "http":
        from pms_runbook.transports.http import Target
        return Target(url, **options)
    if which == "docker":
        from pms_runbook.transports.docker import connect as docker_engine
        return docker_engine(url, **options)
    from pms_runbook.transports.sql import connect_readonly
    return connect_readonly(url, **options)
