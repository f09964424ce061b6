"""The elevated credentials of `--fix=apply`: Docker access that may change containers, a write DSN and an
API token that may trigger syncs.

Separate from the read-only ones of the checks: they are read only here, only after every check has run
(`load` refuses to run while a check is running: see `pms_runbook.plugin.remediation`), from their own
variables (`PMS_FIX_DOCKER_HOST`, `PMS_FIX_DB_DSN`, `PMS_FIX_API_TOKEN` or `PMS_FIX_API_EMAIL` +
`PMS_FIX_API_PASSWORD` logged in at the profile's auth gateway as the checks' token is fetched), or on the lab
from the lab's state (its Docker engine, its superuser DSN `db_admin_dsn`, its ops/admin user), never from the
profile or the checks' settings. Every secret of them is registered for scrubbing before anything is printed
or logged.
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
TOKEN_VARIABLE, EMAIL_VARIABLE, PASSWORD_VARIABLE = "PMS_FIX_API_TOKEN", "PMS_FIX_API_EMAIL", "PMS_FIX_API_PASSWORD"
LOADED = False  # set once the credentials were read (the plugin proves it stays False while checks run)


class NoElevatedCredentials(Exception):
    """The remedy needs a credential that was not given."""


@dataclass(frozen=True)
class Elevated:
    docker_host: str | None  # "local" (the socket / DOCKER_HOST) or an address; None: no Docker access
    write_dsn: Secret | None
    source: str
    api_token: Secret | None = None
    api_login: tuple[str, Secret] | None = None  # (email, password) for the auth gateway's password grant

    def docker(self):
        if self.docker_host is None:
            raise NoElevatedCredentials(f"no Docker access for remedies: set {DOCKER_VARIABLE} (local, ssh://...)")
        from pms_runbook.transports.docker import connect

        return connect(self.docker_host, timeout=30)

    def dsn(self) -> str:
        if self.write_dsn is None:
            raise NoElevatedCredentials(f"no write DSN for remedies: set {DSN_VARIABLE}")
        return self.write_dsn.reveal()

    def token(self, settings) -> str:
        """The elevated API token: given, or fetched with the elevated login at the profile's auth gateway
        (the checks' own code: pms_runbook.resources.auth.request_token), registered for scrubbing."""
        if self.api_token is not None:
            return self.api_token.reveal()
        if self.api_login is None:
            raise NoElevatedCredentials(f"no API token for remedies: set {TOKEN_VARIABLE}, or {EMAIL_VARIABLE} "
                                        f"and {PASSWORD_VARIABLE}")
        from pms_runbook import transports
        from pms_runbook.resources.auth import parse_token_response, request_token, token_problem
        from pms_runbook.transports.http import Timeouts

        email, password = self.api_login
        login = _Login(settings.anon_key, email, password)
        gateway = transports.connect(settings.sb_url, timeouts=Timeouts(
            connect=settings.http_connect_timeout, read=settings.http_read_timeout,
            total=settings.http_total_deadline), name="auth gateway (elevated login)")
        try:
            answer = request_token(gateway, login)
        finally:
            gateway.close()
        problem = token_problem(answer)
        if problem:
            raise NoElevatedCredentials(f"the elevated login got no token: {problem}")
        token = parse_token_response(answer.body).access_token.reveal()
        secrets.register(token)
        return token


@dataclass(frozen=True)
class _Login:  # what request_token reads of the settings, with the elevated login instead of the checks' one
    anon_key: Secret | None
    admin_email: str
    admin_password: Secret

    def require(self, *names: str) -> None:
        if self.anon_key is None:
            raise NoElevatedCredentials("the elevated login needs the profile's ANON_KEY (the gateway's apikey)")


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
    token = environ.get(TOKEN_VARIABLE) or None
    email, password = environ.get(EMAIL_VARIABLE) or None, environ.get(PASSWORD_VARIABLE) or None
    source = "environment"
    if profile == "lab" and lab_status is not None and (docker_host is None or dsn is None
                                                         or not (token or (email and password))):
        status = lab_status() or {}
        docker_host = docker_host or "local"
        dsn = dsn or status.get("db_admin_dsn")
        if not (token or (email and password)):
            email, password = status.get("admin_email"), status.get("admin_password")
        source = "the lab's state"
    if dsn:
        _register_dsn(dsn)
    for value in (token, password):
        if value:
            secrets.register(value)
    login = (email, Secret(password)) if email and password else None
    return Elevated(docker_host, Secret(dsn) if dsn else None, source, Secret(token) if token else None, login)
