"""The channel sync tasks, registered under the contract's task names (§1.4, §4.7).

Each task processes one channel_sync_logs row: triggered -> running -> success | failed, then
touches channel_connections.last_sync_at. Like production, it opens a short-lived DB connection
per update instead of holding a pool. A DB outage is retried with exponential backoff (1 s,
2 s, 4 s; max 3 retries), then the row is marked failed and "Max retries exceeded" is logged.

The channel platform itself is simulated: a short sleep. A connection whose platform_metadata
holds "lab_adapter_error" fails with that text, so the lab can produce real failed syncs.
"""

from __future__ import annotations

import json
import logging
import random
import time

import psycopg
from celery import Task
from psycopg import errors as pg_errors

from lab.services.common import (
    AVAILABILITY_TASK,
    BOOKINGS_TASK,
    PRICING_TASK,
    connect,
    database_url,
    describe_db_error,
    env_float,
)
from lab.services.worker.celery_app import app

log = logging.getLogger("pms.worker.sync")

MAX_RETRIES = 3
IN_FLIGHT = ("triggered", "queued", "running")
SCHEMA_DRIFT = (pg_errors.UndefinedTable, pg_errors.UndefinedColumn, pg_errors.UndefinedFunction)


class AdapterError(Exception):
    """The (simulated) channel platform refused the update."""


def _db() -> psycopg.Connection:
    return connect(database_url(), connect_timeout=5)


def _mark_running(log_id: str, attempt: int) -> dict | None:
    """Claim the row; None when it is gone or already finished (e.g. failed as stale)."""
    with _db() as conn:
        row = conn.execute(
            """UPDATE channel_sync_logs l
               SET status = 'running', updated_at = now(),
                   details = COALESCE(l.details, '{}'::jsonb) || jsonb_build_object('retry_count', %s)
               FROM channel_connections c
               WHERE l.id = %s AND l.status IN ('triggered', 'queued', 'running') AND c.id = l.connection_id
               RETURNING l.connection_id, c.platform_type, c.platform_metadata""",
            (attempt, log_id),
        ).fetchone()
    if row is None:
        return None
    return {"connection_id": row[0], "platform": row[1], "metadata": row[2] or {}}


def _finish(log_id: str, status: str, error: str | None = None, extra: dict | None = None) -> None:
    with _db() as conn, conn.transaction():
        row = conn.execute(
            """UPDATE channel_sync_logs
               SET status = %s, error = %s, updated_at = now(),
                   details = COALESCE(details, '{}'::jsonb) || %s::jsonb
               WHERE id = %s RETURNING connection_id""",
            (status, error, json.dumps(extra or {}), log_id),
        ).fetchone()
        if row is not None and status == "success":
            conn.execute("UPDATE channel_connections SET last_sync_at = now() WHERE id = %s", (row[0],))


def _simulate_adapter_call(claim: dict, operation_type: str) -> None:
    low = env_float("LAB_ADAPTER_MIN_SECONDS", 0.2)
    high = max(low, env_float("LAB_ADAPTER_MAX_SECONDS", 1.0))
    time.sleep(random.uniform(low, high))
    forced = claim["metadata"].get("lab_adapter_error")
    if forced:
        raise AdapterError(f"{claim['platform']} {operation_type} failed: {forced}")


def run_sync(task: Task, sync_log_id: str, operation_type: str) -> str:
    attempt = task.request.retries
    try:
        # DB pre-flight and claim in one step: a dead DB shows here, before any adapter call.
        claim = _mark_running(sync_log_id, attempt)
        if claim is None:
            log.warning(
                "Sync log %s not found or no longer in flight; skipping %s", sync_log_id, operation_type
            )
            return "skipped"
        log.info(
            "Sync %s started (log=%s, connection=%s, attempt=%d)",
            operation_type,
            sync_log_id,
            claim["connection_id"],
            attempt + 1,
        )
        _simulate_adapter_call(claim, operation_type)
        _finish(sync_log_id, "success")
        log.info("Sync %s succeeded (log=%s)", operation_type, sync_log_id)
        return "success"
    except AdapterError as exc:
        log.error("Sync %s failed (log=%s): %s", operation_type, sync_log_id, exc)
        _finish(sync_log_id, "failed", str(exc), {"error_type": "adapter_error"})
        return "failed"
    except SCHEMA_DRIFT as exc:
        log.error(
            "Schema drift: %s. Sync %s (log=%s) cannot be recorded; run the DB migrations.",
            exc.diag.message_primary,
            operation_type,
            sync_log_id,
        )
        return "failed"
    except psycopg.OperationalError as exc:
        reason = describe_db_error(exc)
        if attempt >= MAX_RETRIES:
            log.error(
                "Max retries exceeded for sync %s (log=%s): Database is temporarily unavailable (%s)",
                operation_type,
                sync_log_id,
                reason,
            )
            try:
                _finish(
                    sync_log_id,
                    "failed",
                    "Database is temporarily unavailable (max retries exceeded)",
                    {"retry_count": attempt, "error_type": "database_unavailable"},
                )
            except psycopg.Error as again:
                log.error("Failed to update sync log %s ... 503: %s", sync_log_id, describe_db_error(again))
            return "failed"
        delay = 2**attempt  # 1 s, 2 s, 4 s
        log.warning(
            "Database is temporarily unavailable (%s). Retrying sync %s (log=%s) in %ds (retry %d/%d)",
            reason,
            operation_type,
            sync_log_id,
            delay,
            attempt + 1,
            MAX_RETRIES,
        )
        try:
            _finish_details_only(
                sync_log_id,
                {
                    "retry_count": attempt + 1,
                    "error_type": "database_unavailable",
                    "next_retry_seconds": delay,
                },
            )
        except psycopg.Error:
            pass  # the DB is down; the retry itself will record the attempt
        raise task.retry(exc=exc, countdown=delay, max_retries=MAX_RETRIES) from exc


def _finish_details_only(log_id: str, extra: dict) -> None:
    with _db() as conn:
        conn.execute(
            "UPDATE channel_sync_logs SET details = COALESCE(details, '{}'::jsonb) || %s::jsonb, "
            "updated_at = now() WHERE id = %s",
            (json.dumps(extra), log_id),
        )


@app.task(bind=True, name=AVAILABILITY_TASK, max_retries=MAX_RETRIES)
def update_channel_availability(self: Task, sync_log_id: str, **context) -> str:
    return run_sync(self, sync_log_id, context.get("operation_type", "availability_update"))


@app.task(bind=True, name=PRICING_TASK, max_retries=MAX_RETRIES)
def update_channel_pricing(self: Task, sync_log_id: str, **context) -> str:
    return run_sync(self, sync_log_id, context.get("operation_type", "pricing_update"))


@app.task(bind=True, name=BOOKINGS_TASK, max_retries=MAX_RETRIES)
def update_channel_bookings(self: Task, sync_log_id: str, **context) -> str:
    return run_sync(self, sync_log_id, context.get("operation_type", "bookings_sync"))
