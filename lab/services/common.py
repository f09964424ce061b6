"""Shared plumbing for the lab services: env parsing, logging, DB connections, Celery settings.

Every service is configured only through environment variables, so that the orchestration can
reproduce production drift (a wrong secret, a missing URL) by changing a container's env.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import psycopg

Env = Mapping[str, str]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

# Celery task names as the contract spells them (§1.4, §4.7). The backend sends tasks by name,
# so backend and worker share nothing but these strings, as in production.
AVAILABILITY_TASK = "app.channel_manager.core.sync_engine.update_channel_availability"
PRICING_TASK = "app.channel_manager.core.sync_engine.update_channel_pricing"
BOOKINGS_TASK = "app.channel_manager.core.sync_engine.update_channel_bookings"

# operation_type written to channel_sync_logs -> the task that processes it.
TASK_FOR_OPERATION = {
    "availability_update": AVAILABILITY_TASK,
    "pricing_update": PRICING_TASK,
    "bookings_sync": BOOKINGS_TASK,
}
# A full sync is these three operations sharing one batch_id (§4.2), in this order.
FULL_SYNC_OPERATIONS = ("availability_update", "pricing_update", "bookings_sync")


# --- environment -------------------------------------------------------------------------------


def env_str(name: str, default: str | None = None, env: Env | None = None) -> str | None:
    """The variable's value, or default when unset or blank (Coolify leaves blanks behind)."""
    value = (os.environ if env is None else env).get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool, env: Env | None = None) -> bool:
    value = env_str(name, None, env)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{name}={value!r} is not a boolean (use true/false)")


def env_int(name: str, default: int, env: Env | None = None) -> int:
    value = env_str(name, None, env)
    return default if value is None else int(value)


def env_float(name: str, default: float, env: Env | None = None) -> float:
    value = env_str(name, None, env)
    return default if value is None else float(value)


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_z(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and a Z, the way Node prints Date.toISOString()."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- logging -----------------------------------------------------------------------------------

LOG_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"
LOG_DATEFMT = "%Y-%m-%dT%H:%M:%S%z"


def setup_logging(level: str | None = None) -> None:
    """Log to stdout with timestamps: `docker logs` is where the runbook reads them."""
    level = (level or env_str("LOG_LEVEL", "INFO")).upper()
    root = logging.getLogger()
    # uvicorn_log_config() may have configured the root logger already: one handler, one line.
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATEFMT))
        root.addHandler(handler)
    root.setLevel(level)


def uvicorn_log_config(level: str | None = None) -> dict[str, Any]:
    """uvicorn's own loggers (startup lines, access log) with timestamps, all to stdout."""
    level = (level or env_str("LOG_LEVEL", "INFO")).upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {"format": LOG_FORMAT, "datefmt": LOG_DATEFMT},
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": ACCESS_FORMAT,
                "datefmt": LOG_DATEFMT,
                "use_colors": False,
            },
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stdout",
            },
            "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "": {"handlers": ["default"], "level": level},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }


ACCESS_FORMAT = '%(asctime)s INFO [access] %(client_addr)s - "%(request_line)s" %(status_code)s'


def adopt_uvicorn_logging() -> None:
    """Timestamps on uvicorn's own lines ("Started server process [1]", the access log) when the
    app is served by a plain `uvicorn module:app` command, whose default format has none.

    Called at import of each service's main module. uvicorn configures its loggers before it
    imports the app, so their handlers exist only when uvicorn is the importer; any other
    importer (tests, the runbook) is left untouched.
    """
    server = logging.getLogger("uvicorn")
    if not server.handlers:
        return
    from uvicorn.logging import AccessFormatter

    for handler in server.handlers:
        handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATEFMT))
    for handler in logging.getLogger("uvicorn.access").handlers:
        handler.setFormatter(AccessFormatter(ACCESS_FORMAT, LOG_DATEFMT, use_colors=False))
    setup_logging()


def run_uvicorn(app_path: str, default_port: int) -> None:
    """Entry point of `python -m lab.services.<svc>`: uvicorn with timestamped logs.

    HOST/PORT come from the env so the orchestration can publish the port it wants.
    """
    import uvicorn

    uvicorn.run(
        app_path,
        host=env_str("HOST", "0.0.0.0"),
        port=env_int("PORT", default_port),
        log_config=uvicorn_log_config(),
        proxy_headers=True,
        forwarded_allow_ips="*",
    )


# --- database ----------------------------------------------------------------------------------


def normalize_database_url(url: str) -> str:
    """libpq does not know SQLAlchemy driver suffixes; the docs' worker example uses +asyncpg."""
    return re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", url)


def database_url(env: Env | None = None) -> str:
    url = env_str("DATABASE_URL", None, env)
    if not url:
        raise RuntimeError("DATABASE_URL is not set")
    return normalize_database_url(url)


def db_host_port(url: str) -> tuple[str, int]:
    """Host and port a DSN points at (for log lines and the worker's wait-for-deps)."""
    params = psycopg.conninfo.conninfo_to_dict(normalize_database_url(url))
    host = str(params.get("host") or "localhost").split(",")[0]
    port = int(str(params.get("port") or 5432).split(",")[0])
    return host, port


TCP_LIVENESS = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 3,
    "keepalives_count": 3,
    "tcp_user_timeout": 5000,  # ms
}


def connect(
    url: str, *, connect_timeout: float = 5, autocommit: bool = True, **kwargs: Any
) -> psycopg.Connection:
    """Open one psycopg connection with a bounded connect time and UTC timestamps.

    prepare_threshold=None: server-side prepared statements survive an ALTER TABLE on the
    connection and then fail with "cached plan must not change result type"; the lab drops and
    re-adds columns on purpose, so it never prepares.

    tcp_user_timeout + keepalives: when a container's network is disconnected, an established
    connection gets no RST, and a query on it would wait for the kernel's TCP retry limit
    (many minutes). Unacknowledged data now aborts the connection after 5 s.
    """
    # libpq rounds connect_timeout down to whole seconds and treats < 2 as 2.
    timeout = max(2, int(round(connect_timeout)))
    conn = psycopg.connect(
        normalize_database_url(url),
        connect_timeout=timeout,
        autocommit=autocommit,
        prepare_threshold=None,
        **{**TCP_LIVENESS, **kwargs},
    )
    conn.execute("SET TIME ZONE 'UTC'")
    if not autocommit:
        conn.commit()
    return conn


def describe_db_error(exc: BaseException) -> str:
    """A short, greppable error for readiness output: kind first, then libpq's first line.

    The runbook's examples name the kind ("name resolution failed", "connection refused").
    """
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    lowered = str(exc).lower()
    if (
        "translate host name" in lowered
        or "name or service not known" in lowered
        or "name resolution" in lowered
    ):
        kind = "name resolution failed"
    elif "connection refused" in lowered:
        kind = "connection refused"
    elif "timeout" in lowered or "timed out" in lowered:
        kind = "timeout"
    elif "password authentication failed" in lowered:
        kind = "authentication failed"
    else:
        kind = "connection failed"
    return f"{kind}: {text}"


# --- redis / celery ----------------------------------------------------------------------------


def redis_host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "localhost", parts.port or 6379


def celery_settings(env: Env | None = None) -> dict[str, Any]:
    """Celery settings shared by the backend (producer, inspect) and the worker.

    Short socket timeouts everywhere: a black-holed Redis must make calls fail, not hang.
    """
    broker = env_str("CELERY_BROKER_URL", None, env) or env_str("REDIS_URL", "redis://localhost:6379/0", env)
    backend = env_str("CELERY_RESULT_BACKEND", None, env) or broker
    transport = {"socket_timeout": 5, "socket_connect_timeout": 2, "visibility_timeout": 3600}
    return {
        "broker_url": broker,
        "result_backend": backend,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 2,
        "broker_transport_options": transport,
        "result_backend_transport_options": dict(transport),
        "redis_socket_timeout": 5,
        "redis_socket_connect_timeout": 2,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "timezone": "UTC",
        "enable_utc": True,
        # Sync tasks report through channel_sync_logs, never through the result backend.
        "task_ignore_result": True,
        "worker_prefetch_multiplier": 1,
    }
