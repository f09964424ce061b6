"""Channel manager API under /api/v1/channel-connections (contract §4.1-§4.5).

Batch views are computed in SQL (GROUP BY batch_id with FILTERed counts), so they stay fast on a
channel_sync_logs with millions of rows; operations are fetched only for the page's batches.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from uuid import UUID

from celery import Celery
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from psycopg import sql
from psycopg.rows import dict_row
from pydantic import BaseModel

from lab.services.backend.auth import Principal, current_principal
from lab.services.backend.errors import service_unavailable
from lab.services.common import FULL_SYNC_OPERATIONS, TASK_FOR_OPERATION

log = logging.getLogger("pms.channel_manager")

router = APIRouter(prefix="/api/v1/channel-connections", tags=["channel-manager"])

SYNC_TYPES = ["full", "availability", "pricing", "bookings"]
OPERATIONS_FOR_SYNC_TYPE = {
    "full": list(FULL_SYNC_OPERATIONS),
    "availability": ["availability_update"],
    "pricing": ["pricing_update"],
    "bookings": ["bookings_sync"],
}
BATCH_STATUS_FILTERS = ["any", "running", "failed", "success"]
LOG_COLUMNS = (
    "id, connection_id, operation_type, direction, status, details, error, task_id, batch_id, "
    "created_at, updated_at"
)
CONNECTION_COLUMNS = (
    "id, agency_id AS tenant_id, property_id, platform_type, platform_listing_id, status, "
    "platform_metadata, last_sync_at, created_at, updated_at"
)

# One row per batch: the contract's counting rules (queued counts as triggered; anything outside
# the five known statuses is "other") and batch_status precedence (failed > running > success).
_BATCH_AGGREGATE = """
    SELECT batch_id, connection_id, triggered, running, success, failed, other, total,
           created_at_min, updated_at_max,
           CASE WHEN failed > 0 THEN 'failed'
                WHEN running + triggered > 0 THEN 'running'
                WHEN total > 0 AND success = total THEN 'success'
                ELSE 'unknown' END AS batch_status
    FROM (
        SELECT batch_id, connection_id,
               count(*) FILTER (WHERE status IN ('triggered', 'queued')) AS triggered,
               count(*) FILTER (WHERE status = 'running') AS running,
               count(*) FILTER (WHERE status = 'success') AS success,
               count(*) FILTER (WHERE status = 'failed') AS failed,
               count(*) FILTER (WHERE status IS NULL OR status NOT IN
                                ('triggered', 'queued', 'running', 'success', 'failed')) AS other,
               count(*) AS total,
               min(created_at) AS created_at_min,
               max(updated_at) AS updated_at_max
        FROM channel_sync_logs
        WHERE connection_id = %(cid)s AND batch_id IS NOT NULL {batch_filter}
        GROUP BY batch_id, connection_id
    ) counts
"""

_BATCH_OPERATIONS = """
    SELECT batch_id, id AS log_id, operation_type, status, direction, task_id, error, created_at, updated_at,
           CASE WHEN status IN ('success', 'failed', 'cancelled') AND updated_at IS NOT NULL
                THEN round(extract(epoch FROM updated_at - created_at) * 1000)::bigint END AS duration_ms
    FROM channel_sync_logs
    WHERE connection_id = %(cid)s AND batch_id = ANY(%(batch_ids)s)
    ORDER BY created_at, operation_type
"""


class SyncRequest(BaseModel):
    sync_type: str


def _connection_row(cur, connection_id: UUID, principal: Principal) -> dict[str, Any] | None:
    cur.execute(
        f"""SELECT {CONNECTION_COLUMNS} FROM channel_connections
                    WHERE id = %s AND agency_id = %s AND deleted_at IS NULL""",
        (connection_id, principal.agency_id),
    )
    return cur.fetchone()


def _not_found() -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": "Connection not found"})


@router.get("/")
def list_connections(request: Request, principal: Principal = Depends(current_principal)):
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"""SELECT {CONNECTION_COLUMNS} FROM channel_connections
                        WHERE agency_id = %s AND deleted_at IS NULL ORDER BY created_at, id""",
            (principal.agency_id,),
        )
        return cur.fetchall()


@router.get("/{connection_id}")
def get_connection(connection_id: UUID, request: Request, principal: Principal = Depends(current_principal)):
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        row = _connection_row(cur, connection_id, principal)
    return row if row is not None else _not_found()


@router.post("/{connection_id}/sync")
def trigger_sync(
    connection_id: UUID,
    body: SyncRequest,
    request: Request,
    principal: Principal = Depends(current_principal),
):
    if body.sync_type not in SYNC_TYPES:
        return JSONResponse(
            status_code=400,
            content={"detail": f"Invalid sync_type. Must be one of: {SYNC_TYPES} (got {body.sync_type!r})"},
        )
    settings = request.app.state.settings
    celery_app: Celery = request.app.state.celery
    operations = OPERATIONS_FOR_SYNC_TYPE[body.sync_type]
    batch_id = uuid.uuid4() if body.sync_type == "full" else None
    # Task ids are chosen here and written with the rows before anything is published, so the
    # worker always finds its row (it may start before this request returns).
    planned = [(uuid.uuid4(), op, str(uuid.uuid4())) for op in operations]

    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        found = _connection_row(cur, connection_id, principal)
        if found is None:
            return JSONResponse(
                status_code=404,
                content={"status": "error", "message": "Connection not found", "task_ids": []},
            )
        with conn.transaction():
            # Contract §4.2: each trigger first fails this connection's stale in-flight logs.
            cur.execute(
                """UPDATE channel_sync_logs
                   SET status = 'failed', updated_at = now(),
                       error = format('Marked stale (no update for %%s minutes). Likely worker restart '
                                      'or lost DB connection.',
                                      floor(extract(epoch FROM now() - COALESCE(updated_at, created_at))
                                            / 60)::int)
                   WHERE connection_id = %s AND status IN ('triggered', 'queued', 'running')
                     AND COALESCE(updated_at, created_at) < now() - make_interval(mins => %s)""",
                (connection_id, settings.sync_log_stale_minutes),
            )
            if cur.rowcount:
                log.warning(
                    "Marked %d stale sync log(s) failed for connection %s", cur.rowcount, connection_id
                )
            details = json.dumps(
                {
                    "platform": found["platform_type"],
                    "property_id": _str(found["property_id"]),
                    "manual_trigger": True,
                    "sync_type": body.sync_type,
                    "retry_count": 0,
                }
            )
            for log_id, op, task_id in planned:
                cur.execute(
                    """INSERT INTO channel_sync_logs
                           (id, tenant_id, connection_id, operation_type, direction, status, details,
                            task_id, batch_id, created_at, updated_at)
                       VALUES (%s, %s, %s, %s, 'outbound', 'triggered', %s::jsonb, %s, %s, now(), now())""",
                    (log_id, principal.agency_id, connection_id, op, details, task_id, batch_id),
                )

        try:
            for log_id, op, task_id in planned:
                celery_app.send_task(
                    TASK_FOR_OPERATION[op],
                    args=[str(log_id)],
                    kwargs={
                        "connection_id": str(connection_id),
                        "operation_type": op,
                        "batch_id": _str(batch_id),
                    },
                    task_id=task_id,
                    retry=True,
                    retry_policy={
                        "max_retries": 1,
                        "interval_start": 0,
                        "interval_step": 0.5,
                        "interval_max": 0.5,
                    },
                )
        except Exception as exc:  # noqa: BLE001 - the broker is down: say so, leave no orphan rows
            log.error("Failed to enqueue sync tasks for connection %s: %s", connection_id, exc)
            with conn.transaction():
                cur.execute(
                    """UPDATE channel_sync_logs SET status = 'failed', updated_at = now(), error = %s
                               WHERE id = ANY(%s) AND status = 'triggered'""",
                    (
                        f"Failed to enqueue sync task (broker unavailable): {exc}",
                        [log_id for log_id, _op, _t in planned],
                    ),
                )
            return service_unavailable("Task queue (Redis) is temporarily unavailable.")

    log.info(
        "Manual %s sync triggered for connection %s (batch_id=%s, tasks=%d)",
        body.sync_type,
        connection_id,
        batch_id,
        len(planned),
    )
    return {
        "status": "triggered",
        "message": f"Manual {body.sync_type} sync triggered successfully",
        "task_ids": [task_id for _l, _o, task_id in planned],
        "batch_id": _str(batch_id),
    }


@router.get("/{connection_id}/sync-logs")
def list_sync_logs(
    connection_id: UUID,
    request: Request,
    limit: int = Query(50, ge=1, le=100),
    offset: int = Query(0, ge=0),
    task_id: str | None = None,
    batch_id: UUID | None = None,
    status: str | None = None,
    operation_type: str | None = None,
    direction: str | None = None,
    principal: Principal = Depends(current_principal),
):
    filters = [sql.SQL("connection_id = %(cid)s")]
    params: dict[str, Any] = {"cid": connection_id, "limit": limit, "offset": offset}
    for name, value in (
        ("task_id", task_id),
        ("batch_id", batch_id),
        ("status", status),
        ("operation_type", operation_type),
        ("direction", direction),
    ):
        if value is not None:
            filters.append(sql.SQL("{} = %({})s").format(sql.Identifier(name), sql.SQL(name)))
            params[name] = value
    query = sql.SQL(
        "SELECT {cols} FROM channel_sync_logs WHERE {where} "
        "ORDER BY created_at DESC, id LIMIT %(limit)s OFFSET %(offset)s"
    ).format(cols=sql.SQL(LOG_COLUMNS), where=sql.SQL(" AND ").join(filters))
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        if _connection_row(cur, connection_id, principal) is None:
            return _not_found()
        cur.execute(query, params)
        logs = cur.fetchall()
    return {"connection_id": connection_id, "logs": logs, "limit": limit, "offset": offset}


def _batch_item(row: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "batch_id": row["batch_id"],
        "connection_id": row["connection_id"],
        "batch_status": row["batch_status"],
        "status_counts": {k: row[k] for k in ("triggered", "running", "success", "failed", "other")},
        "created_at_min": row["created_at_min"],
        "updated_at_max": row["updated_at_max"],
        "operations": [{k: v for k, v in op.items() if k != "batch_id"} for op in operations],
    }


def _with_operations(cur, connection_id: UUID, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return []
    cur.execute(_BATCH_OPERATIONS, {"cid": connection_id, "batch_ids": [r["batch_id"] for r in rows]})
    by_batch: dict[UUID, list[dict[str, Any]]] = {}
    for op in cur.fetchall():
        by_batch.setdefault(op["batch_id"], []).append(op)
    return [_batch_item(r, by_batch.get(r["batch_id"], [])) for r in rows]


@router.get("/{connection_id}/sync-batches")
def list_sync_batches(
    connection_id: UUID,
    request: Request,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
    status: str = "any",
    principal: Principal = Depends(current_principal),
):
    if status not in BATCH_STATUS_FILTERS:
        return JSONResponse(
            status_code=400,
            content={
                "error": "invalid_status",
                "message": f"Invalid status filter. Must be one of: {', '.join(BATCH_STATUS_FILTERS)} "
                f"(got {status!r})",
            },
        )
    query = (
        f"SELECT * FROM ({_BATCH_AGGREGATE.format(batch_filter='')}) b "
        + ("" if status == "any" else "WHERE batch_status = %(status)s ")
        + "ORDER BY COALESCE(updated_at_max, created_at_min) DESC, created_at_min DESC, batch_id "
        "LIMIT %(limit)s OFFSET %(offset)s"
    )
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        if _connection_row(cur, connection_id, principal) is None:
            return _not_found()
        cur.execute(query, {"cid": connection_id, "status": status, "limit": limit, "offset": offset})
        items = _with_operations(cur, connection_id, cur.fetchall())
    return {"items": items, "limit": limit, "offset": offset}


@router.get("/{connection_id}/sync-batches/{batch_id}")
def get_sync_batch(
    connection_id: UUID, batch_id: UUID, request: Request, principal: Principal = Depends(current_principal)
):
    query = _BATCH_AGGREGATE.format(batch_filter="AND batch_id = %(batch_id)s")
    with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        row = None
        if _connection_row(cur, connection_id, principal) is not None:
            cur.execute(query, {"cid": connection_id, "batch_id": batch_id})
            row = cur.fetchone()
        if row is None:
            return JSONResponse(
                status_code=404,
                content={
                    "error": "batch_not_found",
                    "message": f"No sync operations found for batch_id={batch_id} "
                    f"and connection_id={connection_id}",
                },
            )
        return _with_operations(cur, connection_id, [row])[0]


def _str(value: object) -> str | None:
    return None if value is None else str(value)
