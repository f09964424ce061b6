"""The database as Step 4, Step 6 and the nightly checks read it: retention, stale logs, failure trend,
migrations, and Step 4's view of every tenant (agencies, memberships, active connections, their batches).

The SQL is index-friendly (channel_sync_logs may hold millions of rows) and goes through
`pms_runbook.transports.sql.query` (read-only session, statement timeout, row-level security proved).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pms_runbook import render, transports
from pms_runbook.probes import Spec
from pms_runbook.resources.channel_manager import Batch
from pms_runbook.transports.sql import query

if TYPE_CHECKING:  # psycopg is imported when the session opens (pms_runbook.transports.sql)
    import psycopg


def open_session(settings) -> psycopg.Connection:
    """The run's read-only session on PMS_DB_DSN (statement timeout, connect timeout of the profile)."""
    settings.require("PMS_DB_DSN")
    return transports.connect(settings.db_dsn, statement_timeout_ms=settings.db_statement_timeout_ms,
                              connect_timeout=settings.http_connect_timeout)


SPECS = {"db": Spec(open_session, ("settings",))}  # the session opens with the run's other first questions


@dataclass(frozen=True)
class Retention:
    days: int
    older: int
    oldest: datetime | None
    newest: datetime | None
    total: int  # estimate from the planner's statistics: count(*) would scan millions of rows
    size: str

    def render(self) -> str:
        return render.table([("total_logs (estimate)", self.total), ("oldest_log", self.oldest),
                             ("newest_log", self.newest), (f"logs_older_than_{self.days}d", self.older),
                             ("table size", self.size)], gap=3)


RETENTION_SQL = """
SELECT (SELECT count(*) FROM public.channel_sync_logs WHERE created_at < now() - make_interval(days => %s::int)),
       (SELECT min(created_at) FROM public.channel_sync_logs),
       (SELECT max(created_at) FROM public.channel_sync_logs),
       (SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = 'public.channel_sync_logs'::regclass),
       pg_size_pretty(pg_total_relation_size('public.channel_sync_logs'))
"""


def retention(conn: psycopg.Connection, days: int) -> Retention:
    older, oldest, newest, total, size = query(conn, RETENTION_SQL, (days,))[0]
    return Retention(days, older, oldest, newest, total, size)


STALE_SQL = """
SELECT id, connection_id, operation_type, status, COALESCE(updated_at, created_at) AS last_update
FROM public.channel_sync_logs
WHERE status IN ('triggered', 'queued', 'running')
  AND COALESCE(updated_at, created_at) < now() - make_interval(mins => %s::int)
ORDER BY last_update
LIMIT 50
"""


def stale_logs(conn: psycopg.Connection, minutes: int) -> list[tuple]:
    return query(conn, STALE_SQL, (minutes,))


def applied_migrations(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in query(conn, "SELECT filename FROM public.pms_schema_migrations ORDER BY filename")]


@dataclass(frozen=True)
class FailureTrend:
    rows: tuple  # (connection, failed, total) over the window; connection = "id (channel, agency id)"

    def above(self, share: float) -> list[tuple]:
        return [r for r in self.rows if r[2] and r[1] / r[2] > share]

    def render(self) -> str:
        return "\n".join(f"{cid}  {failed:5}/{total:<5} {failed / total:6.1%}" for cid, failed, total in self.rows
                         if total) or "no sync log in the last 24 h"


# Aggregated first (one index range scan), then each connection named with its channel and agency:
# a fix starts from the agency, and a connection the role cannot see must not pass unnoticed.
FAILURE_TREND_SQL = """
WITH trend AS (
    SELECT connection_id, count(*) FILTER (WHERE status = 'failed') AS failed, count(*) AS total
    FROM public.channel_sync_logs
    WHERE created_at > now() - %s * interval '1 hour'
    GROUP BY connection_id
)
SELECT t.connection_id, c.channel, c.agency_id, t.failed, t.total
FROM trend t LEFT JOIN public.channel_connections c ON c.id = t.connection_id
ORDER BY t.failed DESC, t.connection_id
"""


def failure_trend(conn: psycopg.Connection, hours: float = 24) -> FailureTrend:
    rows = query(conn, FAILURE_TREND_SQL, (hours,))
    return FailureTrend(tuple((f"{cid} ({channel or 'no connection row'}, agency {agency or '?'})", failed, total)
                              for cid, channel, agency, failed, total in rows))


# Step 4 through the read-only database.
# For the agencies the ops user is not a member of, the API shows nothing; the database shows all. The batch
# figures are computed here the way the API computes them (contract §4.4/§4.5): rows grouped by batch_id
# (rows without one are not batches), `queued` counted as triggered, anything outside the five lifecycle
# statuses as other, batch_status by precedence failed > running > success > unknown, and a batch in the
# window by its created_at_min. One query for all connections, driven by the (connection_id, created_at)
# index: it never scans the table's history.


@dataclass(frozen=True)
class DbConnection:
    id: str
    agency_id: str
    agency_name: str | None
    status: str | None


MEMBERSHIPS_SQL = """
SELECT tm.agency_id, a.name, tm.role
FROM public.team_members tm LEFT JOIN public.agencies a ON a.id = tm.agency_id
WHERE tm.user_id = %s::uuid
ORDER BY tm.created_at, tm.agency_id
"""

CONNECTIONS_SQL = """
SELECT c.id, c.agency_id, a.name, c.status
FROM public.channel_connections c LEFT JOIN public.agencies a ON a.id = c.agency_id
WHERE c.deleted_at IS NULL
ORDER BY a.name, c.agency_id, c.created_at, c.id
"""

# Candidate batches are those with a row created in the window; a batch that began before the window is
# dropped by the HAVING (its created_at_min is older), exactly as the API's window leaves it out.
BATCHES_SQL = """
WITH recent AS (
    SELECT DISTINCT l.connection_id, l.batch_id
    FROM public.channel_sync_logs l
    WHERE l.connection_id = ANY(%(cids)s::uuid[]) AND l.created_at >= %(since)s AND l.batch_id IS NOT NULL
), counts AS (
    SELECT l.connection_id, l.batch_id,
           count(*) FILTER (WHERE l.status IN ('triggered', 'queued')) AS triggered,
           count(*) FILTER (WHERE l.status = 'running') AS running,
           count(*) FILTER (WHERE l.status = 'success') AS success,
           count(*) FILTER (WHERE l.status = 'failed') AS failed,
           count(*) FILTER (WHERE l.status IS NULL OR l.status NOT IN
                            ('triggered', 'queued', 'running', 'success', 'failed')) AS other,
           count(*) AS total, min(l.created_at) AS created_at_min, max(l.updated_at) AS updated_at_max
    FROM public.channel_sync_logs l JOIN recent r ON r.connection_id = l.connection_id AND r.batch_id = l.batch_id
    GROUP BY l.connection_id, l.batch_id
    HAVING min(l.created_at) >= %(since)s
)
SELECT connection_id, batch_id, triggered, running, success, failed, other, created_at_min, updated_at_max,
       CASE WHEN failed > 0 THEN 'failed'
            WHEN running + triggered > 0 THEN 'running'
            WHEN total > 0 AND success = total THEN 'success'
            ELSE 'unknown' END
FROM counts
"""

FAILED_OPERATIONS_SQL = """
SELECT batch_id, operation_type, status, updated_at, error
FROM public.channel_sync_logs
WHERE connection_id = %s::uuid AND batch_id = ANY(%s::uuid[])
ORDER BY created_at, operation_type
"""


def memberships(conn: psycopg.Connection, user_id: str) -> list[tuple[str, str | None, str]]:
    """The user's agencies, first membership first: (agency_id, name, role)."""
    return [(str(a), name, role) for a, name, role in query(conn, MEMBERSHIPS_SQL, (user_id,))]


def connections(conn: psycopg.Connection) -> list[DbConnection]:
    """Every live (not soft-deleted) channel connection of every agency."""
    return [DbConnection(str(cid), str(agency), name, status) for cid, agency, name, status
            in query(conn, CONNECTIONS_SQL)]


def batches(conn: psycopg.Connection, connection_ids: list[str], since: datetime) -> dict[str, list[Batch]]:
    """connection id -> its batches of the window, in the API's shape (every given id is a key)."""
    found: dict[str, list[Batch]] = {cid: [] for cid in connection_ids}
    if not connection_ids:
        return found
    for cid, bid, trig, run, ok, failed, other, cmin, umax, status in query(
            conn, BATCHES_SQL, {"cids": connection_ids, "since": since}):
        found.setdefault(str(cid), []).append(Batch(
            batch_id=str(bid), connection_id=str(cid), batch_status=status,
            status_counts={"triggered": trig, "running": run, "success": ok, "failed": failed, "other": other},
            created_at_min=cmin, updated_at_max=umax))
    return found


def failed_operations(conn: psycopg.Connection, connection_id: str, batch_ids: list[str]) -> str:
    """The operations of the given batches, as evidence text (the SQL twin of the batch detail)."""
    rows = query(conn, FAILED_OPERATIONS_SQL, (connection_id, batch_ids))
    return "\n".join(f"batch {bid}  {op}  {status}  updated {updated}  {error or ''}".rstrip()
                     for bid, op, status, updated, error in rows) or "no operation"
