"""The database as Step 6 and the nightly checks read it: retention, stale logs, failure trend, migrations.

The SQL is index-friendly (channel_sync_logs may hold millions of rows) and goes through
`pms_runbook.transports.sql.query` (read-only session, statement timeout, row-level security proved).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pms_runbook import render
from pms_runbook.probes import Spec
from pms_runbook.transports.sql import connect_readonly, query

if TYPE_CHECKING:  # psycopg is imported when the session opens (pms_runbook.transports.sql)
    import psycopg


def open_session(settings) -> psycopg.Connection:
    """The run's read-only session on PMS_DB_DSN (statement timeout, connect timeout of the profile)."""
    settings.require("PMS_DB_DSN")
    return connect_readonly(settings.db_dsn, statement_timeout_ms=settings.db_statement_timeout_ms,
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
