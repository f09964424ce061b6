"""The elevated credentials of `--fix=apply`: Docker access that may change containers and a write DSN.

Separate from the read-only ones of the checks: they are read only here, only after every check has run
(`load` refuses to run while a check is running: see `pms_runbook.plugin.remediation`), from their own
variables (`PMS_FIX_DOCKER_HOST`, `PMS_FIX_DB_DSN`), or on the lab from the lab's state (its Docker engine
and its superuser DSN `db_admin_dsn`), never from the profile or the checks' settings. Every secret of them
is registered for scrubbing before anything is printed or logged.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from pms_runbook import secrets
from pms_runbook.secrets import Secret

DOCKER_VARIABLE, DSN_VARIABLE = "PMS_FIX_DOCKER_HOST", "PMS_FIX_DB_DSN"
LOADED = False  # set once the credentials were read (the plugin proves it stays False while checks run)


class NoElevatedCredentials(Exception):
    """The remedy needs a credential that was not given."""


@dataclass(frozen=True)
class Elevated:
    docker_host: str | None  # "local" (the socket / DOCKER_HOST) or an address; None: no Docker access
    write_dsn: Secret | None
    source: str

    def docker(self):
        if self.docker_host is None:
            raise NoElevatedCredentials(f"no Docker access for remedies: set {DOCKER_VARIABLE} (local, ssh://...)")
        from pms_runbook.transports.docker import connect

        return connect(self.docker_host, timeout=30)

    def dsn(self) -> str:
        if self.write_dsn is None:
            raise NoElevatedCredentials(f"no write DSN for remedies: set {DSN_VARIABLE}")
        return self.write_dsn.reveal()


def _register_dsn(dsn: str) -> None:
    secrets.register(dsn)
    password = urlsplit(dsn).password
    if password:
        secrets.register(password)
        secrets.register(unquote(password))


def load(profile: str, environ: os._Environ | dict = os.environ,
         lab_status: Callable[[], dict[str, Any]] | None = None) -> Elevated:
    """The elevated credentials: their own variables first; on the lab profile, the lab's state."""
    global LOADED
    LOADED = True
    docker_host = environ.get(DOCKER_VARIABLE) or None
    dsn = environ.get(DSN_VARIABLE) or None
    source = "environment"
    if profile == "lab" and lab_status is not None and (docker_host is None or dsn is None):
        status = lab_status() or {}
        docker_host = docker_host or "local"
        dsn = dsn or status.get("db_admin_dsn")
        source = "the lab's state"
    if dsn:
        _register_dsn(dsn)
    return Elevated(docker_host, Secret(dsn) if dsn else None, source)
