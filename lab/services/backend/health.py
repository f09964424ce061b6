"""Readiness: real DB, Redis and Celery checks, run concurrently under one deadline.

Shape (contract §2.2, the PROD capture): top-level `status` up/down and `checked_at`, and
`components.{db,redis,celery}` each with `status`, `details`, `error`, `checked_at`.
Any enabled component down -> HTTP 503 (the lab's answer to the contract's open question).

Every check has its own timeout, and the whole call has a deadline on top, so a black-holed
DB or Redis makes readiness answer "down" in about 2-3 s instead of hanging the probe.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import threading
from typing import Any

import redis
from celery import Celery

from lab.services.backend.settings import Settings
from lab.services.common import connect, describe_db_error, iso_z, utc_now

log = logging.getLogger("pms.health")

Component = dict[str, Any]

BROKER_UNREACHABLE = "Celery inspect timeout (broker may be unreachable)"
NO_WORKERS = "No active Celery workers detected"


def component(up: bool, details: dict[str, Any] | None = None, error: str | None = None) -> Component:
    return {
        "status": "up" if up else "down",
        "details": details,
        "error": error,
        "checked_at": iso_z(utc_now()),
    }


def check_db(settings: Settings) -> Component:
    """A fresh connection and SELECT 1: the pool may hold a connection the DB no longer answers."""
    if not settings.database_url:
        return component(False, error="DATABASE_URL is not set")
    try:
        with connect(settings.database_url, connect_timeout=settings.ready_db_timeout_seconds) as conn:
            conn.execute("SELECT 1")
        return component(True)
    except Exception as exc:  # noqa: BLE001 - any failure means "down", with its reason
        return component(False, error=describe_db_error(exc))


def _redis_ping(url: str, timeout: float) -> None:
    client = redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
    )
    try:
        client.ping()
    finally:
        client.close()


def check_redis(settings: Settings) -> Component:
    if not settings.enable_redis_healthcheck:
        return component(True, {"skipped": True})
    if not settings.redis_url:
        return component(False, {"ping": False}, "REDIS_URL is not set")
    try:
        _redis_ping(settings.redis_url, settings.ready_redis_timeout_seconds)
        return component(True, {"ping": True})
    except Exception as exc:  # noqa: BLE001
        # redis-py's own text, e.g. "Authentication required." (contract §2.2)
        return component(False, {"ping": False}, str(exc) or type(exc).__name__)


class _SingleFlight:
    """Concurrent probes share one Celery inspect: two broadcasts in flight from one process steal each
    other's replies (uptime monitors and the runbook send HEAD and GET side by side)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: cf.Future | None = None

    def run(self, fn):
        with self._lock:
            future, leader = self._current, False
            if future is None:
                future, leader = cf.Future(), True
                self._current = future
        if leader:
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter
                future.set_exception(exc)
            finally:
                with self._lock:
                    self._current = None
        return future.result()


_celery_flight = _SingleFlight()


def check_celery(settings: Settings, celery_app: Celery) -> Component:
    return _celery_flight.run(lambda: _check_celery(settings, celery_app))


def _check_celery(settings: Settings, celery_app: Celery) -> Component:
    if not settings.enable_celery_healthcheck:
        return component(True, {"skipped": True})
    if not settings.celery_broker_url:
        return component(False, {"workers": []}, "CELERY_BROKER_URL is not set")
    # Ping the broker first: kombu retries a dead broker for a long time, a ping fails in 1 s.
    try:
        _redis_ping(settings.celery_broker_url, settings.ready_redis_timeout_seconds)
    except Exception as exc:  # noqa: BLE001
        log.warning("Celery broker ping failed: %s", exc)
        return component(False, {"workers": []}, BROKER_UNREACHABLE)
    try:
        replies = celery_app.control.inspect(timeout=settings.celery_inspect_timeout_seconds).ping() or {}
        if not replies:
            # A busy worker can miss one broadcast; no reply twice in a row is no worker.
            replies = celery_app.control.inspect(timeout=settings.celery_inspect_timeout_seconds).ping() or {}
    except Exception as exc:  # noqa: BLE001
        log.warning("Celery inspect failed: %s", exc)
        return component(False, {"workers": []}, BROKER_UNREACHABLE)
    workers = sorted(replies)
    if not workers:
        return component(False, {"workers": []}, NO_WORKERS)
    if len(workers) != 1:
        return component(
            False,
            {"workers": workers},
            (
                f"Expected exactly 1 worker, found {len(workers)}: {', '.join(workers)}. "
                "Fix: stop the old worker (docker stop pms-worker) so only pms-worker-v2 consumes tasks."
            ),
        )
    return component(True, {"workers": workers})


def readiness(settings: Settings, celery_app: Celery, executor: cf.Executor) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of /health/ready."""
    checks = {
        "db": executor.submit(check_db, settings),
        "redis": executor.submit(check_redis, settings),
        "celery": executor.submit(check_celery, settings, celery_app),
    }
    cf.wait(checks.values(), timeout=settings.ready_deadline_seconds)
    components: dict[str, Component] = {}
    for name, future in checks.items():
        if future.done() and future.exception() is None:
            components[name] = future.result()
        elif future.done():
            components[name] = component(False, error=f"check failed: {future.exception()!r}")
        else:
            # The thread finishes on its own timeout; the answer does not wait for it.
            components[name] = component(
                False, error=f"check timed out after {settings.ready_deadline_seconds}s"
            )
    up = all(c["status"] == "up" for c in components.values())
    return (200 if up else 503), {
        "status": "up" if up else "down",
        "components": components,
        "checked_at": iso_z(utc_now()),
    }
