"""Rows of the channel manager, written one at a time (faults, tests) or in bulk (benchmarks).

Faults add and remove their own rows with `insert_batch` / `add_connection` and a `tag`, which
lands in `details->>'lab_fault'` (sync logs) or `platform_metadata->>'lab_fault'` (connections),
so `delete_tagged` removes exactly what a fault added.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from uuid import UUID

import psycopg

from lab.services.common import FULL_SYNC_OPERATIONS

# Fixed namespace: the seed's ids are the same on every machine, so tests and faults can name them.
LAB_NAMESPACE = UUID("6f1c8e2a-4b7d-5e90-a1b2-c3d4e5f60718")
TERMINAL = {"success", "failed", "cancelled"}


def lab_uuid(*parts: object) -> UUID:
    """A stable id for a named seed object (agency, connection, user)."""
    return uuid.uuid5(LAB_NAMESPACE, ":".join(str(p) for p in parts))


def add_connection(
    conn: psycopg.Connection,
    agency_id: UUID | str,
    *,
    status: str = "active",
    platform_type: str = "airbnb",
    tag: str | None = None,
    connection_id: UUID | str | None = None,
    property_id: UUID | str | None = None,
    platform_listing_id: str | None = None,
) -> UUID:
    """Insert one channel connection; `tag` goes into platform_metadata->>'lab_fault'.

    The pre-2026 columns (channel, is_active) are kept consistent with the new ones, as the
    upgrade migration's backfill would have left them.
    """
    cid = UUID(str(connection_id)) if connection_id else uuid.uuid4()
    metadata = {"lab_fault": tag} if tag else {}
    listing = platform_listing_id or f"lab-{platform_type}-{cid.hex[:8]}"
    prop = UUID(str(property_id)) if property_id else uuid.uuid5(LAB_NAMESPACE, f"property:{listing}")
    with conn.transaction():
        conn.execute(
            """INSERT INTO channel_connections
                   (id, agency_id, channel, is_active, platform_type, status, platform_metadata,
                    property_id, platform_listing_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)""",
            (
                cid,
                UUID(str(agency_id)),
                platform_type,
                status == "active",
                platform_type,
                status,
                json.dumps(metadata),
                prop,
                listing,
            ),
        )
    return cid


def insert_batch(
    conn: psycopg.Connection,
    connection_id: UUID | str,
    statuses: list[str],
    created_at: datetime,
    *,
    tag: str | None = None,
    operation_types: list[str] | None = None,
    updated_at: datetime | None = None,
    error: str | None = None,
    batch_id: UUID | str | None = None,
) -> UUID:
    """Insert one sync batch: one row per status, all sharing a new batch_id; returns it.

    operation_types: defaults to the full-sync trio, repeated as needed.
    updated_at: defaults to created_at + 5 s for finished rows and created_at for triggered,
      queued or running ones; pass an old value to make a row stale.
    error: the error of failed rows (a generic adapter error by default).
    tag: stored in details->>'lab_fault' so `delete_tagged(conn, tag)` removes exactly these rows.
    """
    cid = UUID(str(connection_id))
    ops = (
        list(operation_types)
        if operation_types
        else [FULL_SYNC_OPERATIONS[i % len(FULL_SYNC_OPERATIONS)] for i in range(len(statuses))]
    )
    if len(ops) != len(statuses):
        raise ValueError("operation_types and statuses must have the same length")
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    bid = UUID(str(batch_id)) if batch_id else uuid.uuid4()
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT agency_id, platform_type FROM channel_connections WHERE id = %s", (cid,))
        found = cur.fetchone()
        if found is None:
            raise LookupError(f"channel connection {cid} does not exist")
        tenant_id, platform = found
        details: dict[str, object] = {"platform": platform, "manual_trigger": False}
        if tag:
            details["lab_fault"] = tag
        for op, status in zip(ops, statuses, strict=True):
            touched = updated_at or (created_at + timedelta(seconds=5) if status in TERMINAL else created_at)
            cur.execute(
                """INSERT INTO channel_sync_logs
                       (tenant_id, connection_id, operation_type, direction, status, details, error,
                        task_id, created_at, updated_at, batch_id)
                   VALUES (%s, %s, %s, 'outbound', %s, %s::jsonb, %s, %s, %s, %s, %s)""",
                (
                    tenant_id,
                    cid,
                    op,
                    status,
                    json.dumps(details),
                    (error or "Channel API error: 502 Bad Gateway (simulated)")
                    if status == "failed"
                    else None,
                    str(uuid.uuid4()),
                    created_at,
                    touched,
                    bid,
                ),
            )
    return bid


def delete_tagged(conn: psycopg.Connection, tag: str) -> dict[str, int]:
    """Remove the sync logs and connections a fault added under `tag`; returns the counts."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("DELETE FROM channel_sync_logs WHERE details->>'lab_fault' = %s", (tag,))
        logs = cur.rowcount
        cur.execute(
            """DELETE FROM channel_sync_logs WHERE connection_id IN
                       (SELECT id FROM channel_connections WHERE platform_metadata->>'lab_fault' = %s)""",
            (tag,),
        )
        logs += cur.rowcount
        cur.execute("DELETE FROM channel_connections WHERE platform_metadata->>'lab_fault' = %s", (tag,))
        return {"sync_logs": logs, "connections": cur.rowcount}


def seed_bulk_logs(
    conn: psycopg.Connection,
    rows: int,
    *,
    max_age_days: float = 89,
    min_age_days: float = 1,
    failed_ratio: float = 0.02,
    connection_ids: list[UUID] | None = None,
    tag: str | None = None,
    chunk_rows: int = 600_000,
) -> int:
    """Insert `rows` finished sync logs server-side (generate_series), for benchmarks.

    Rows come in batches of 3 (the full-sync trio sharing a batch_id), spread over active
    connections and over created_at in (now - max_age_days, now - min_age_days]. The default
    window keeps them out of the last 24 h, so the daily batch checks still see the seed's data,
    and under 89 days, so a 90-day retention check stays clean. Returns the rows inserted.
    """
    if rows <= 0:
        return 0
    if not 0 <= min_age_days < max_age_days:
        raise ValueError("need 0 <= min_age_days < max_age_days")
    with conn.cursor() as cur:
        if connection_ids is None:
            cur.execute("""SELECT id, agency_id FROM channel_connections
                           WHERE deleted_at IS NULL AND status = 'active' ORDER BY id""")
        else:
            cur.execute(
                "SELECT id, agency_id FROM channel_connections WHERE id = ANY(%s) ORDER BY id",
                ([UUID(str(c)) for c in connection_ids],),
            )
        found = cur.fetchall()
    if not found:
        raise LookupError("no channel connection to attach bulk sync logs to")
    ids = [r[0] for r in found]
    agencies = [r[1] for r in found]
    details = {"source": "lab_bulk", "manual_trigger": False}
    if tag:
        details["lab_fault"] = tag
    salt = uuid.uuid4().hex  # keeps batch ids of separate calls apart

    # Three rows per batch: chunk boundaries are multiples of 3 so no batch is split.
    chunk_rows = max(3, chunk_rows - chunk_rows % 3)
    inserted = 0
    start = 0
    while start < rows:
        end = min(rows, start + chunk_rows) - 1
        with conn.transaction():
            cur = conn.execute(
                """
                INSERT INTO channel_sync_logs
                    (tenant_id, connection_id, operation_type, direction, status, details, error,
                     task_id, created_at, updated_at, batch_id)
                SELECT (%(agencies)s::uuid[])[(b.n %% %(nconn)s) + 1],
                       (%(ids)s::uuid[])[(b.n %% %(nconn)s) + 1],
                       (ARRAY['availability_update', 'pricing_update', 'bookings_sync'])[(g %% 3) + 1],
                       'outbound',
                       CASE WHEN g %% 3 = 1 AND b.r2 < %(failed)s THEN 'failed' ELSE 'success' END,
                       %(details)s::jsonb,
                       CASE WHEN g %% 3 = 1 AND b.r2 < %(failed)s
                            THEN 'Channel API error: 502 Bad Gateway (simulated)' END,
                       md5(%(salt)s || ':t:' || g)::uuid::text,
                       b.created_at,
                       b.created_at + make_interval(secs => 2 + (g %% 3) * 1.5),
                       md5(%(salt)s || ':b:' || b.n)::uuid
                FROM generate_series(%(start)s::bigint, %(end)s::bigint) AS g
                CROSS JOIN LATERAL (
                    SELECT g / 3 AS n,
                           -- Oldest first, evenly spread: the time-ordered indexes are
                           -- appended to rather than split at random (several times faster).
                           now() - make_interval(secs => %(min_secs)s
                                 + (1.0 - (g / 3)::float8 / %(nbatches)s) * %(span_secs)s)
                               AS created_at,
                           (hashint8(g / 3 + 7919) & 2147483647)::float8 / 2147483647.0 AS r2
                ) AS b
                """,
                {
                    "agencies": agencies,
                    "ids": ids,
                    "nconn": len(ids),
                    "failed": failed_ratio,
                    "nbatches": float(max(1, (rows + 2) // 3)),
                    "details": json.dumps(details),
                    "salt": salt,
                    "start": start,
                    "end": end,
                    "min_secs": min_age_days * 86400.0,
                    # an hour short of max_age_days: still "newer than max_age_days" when a check runs later
                    "span_secs": max(0.0, (max_age_days - min_age_days) * 86400.0 - 3600.0),
                },
            )
            inserted += cur.rowcount
        start = end + 1
    conn.execute("ANALYZE channel_sync_logs")
    return inserted
