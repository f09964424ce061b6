"""The runbook's SQL, read-only and index-friendly (channel_sync_logs may hold millions of rows).

The session is read-only (`default_transaction_read_only`) with a statement timeout, so a check can
neither change the database nor hold it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from pms_runbook.redflag import CouldNotCheck
from pms_runbook.secrets import Secret, scrub


def connect_readonly(dsn: Secret, *, statement_timeout_ms: int = 5000, connect_timeout: float = 5) -> psycopg.Connection:
    try:
        conn = psycopg.connect(
            dsn.reveal(), connect_timeout=max(1, int(connect_timeout)), autocommit=True,
            options=f"-c default_transaction_read_only=on -c statement_timeout={int(statement_timeout_ms)}",
            application_name="pms-runbook",
            # A connection whose peer went silent mid-query fails instead of hanging the run.
            keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=2,
            tcp_user_timeout=int(max(statement_timeout_ms, 1000) + 5000),
        )
    except psycopg.Error as exc:
        raise CouldNotCheck("the database (PMS_DB_DSN)", f"the connection failed: {scrub(str(exc)).strip()[:300]}") from None
    conn.read_only = True
    return conn


def query(conn: psycopg.Connection, sql: str, params: tuple = ()) -> list[tuple]:
    try:
        return conn.execute(sql, params).fetchall()
    except psycopg.errors.QueryCanceled:
        raise CouldNotCheck("the SQL check", "it hit the statement timeout (the table may lack its index)") from None
    except psycopg.errors.UndefinedTable as exc:
        raise CouldNotCheck("the SQL check", f"a table is missing ({exc.diag.message_primary}): schema drift, "
                            "apply the migrations") from None
    except psycopg.Error as exc:
        raise CouldNotCheck("the SQL check", scrub(str(exc)).strip()[:300]) from None


@dataclass(frozen=True)
class Retention:
    days: int
    older: int
    oldest: datetime | None
    newest: datetime | None
    total: int  # estimate from the planner's statistics: count(*) would scan millions of rows
    size: str

    def render(self) -> str:
        return (f"total_logs (estimate)   {self.total}\noldest_log              {self.oldest}\n"
                f"newest_log              {self.newest}\nlogs_older_than_{self.days}d     {self.older}\n"
                f"table size              {self.size}")


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
    rows: tuple  # (connection_id, failed, total) over the window

    def above(self, share: float) -> list[tuple]:
        return [r for r in self.rows if r[2] and r[1] / r[2] > share]

    def render(self) -> str:
        return "\n".join(f"{cid}  {failed:5}/{total:<5} {failed / total:6.1%}" for cid, failed, total in self.rows
                         if total) or "no sync log in the last 24 h"


FAILURE_TREND_SQL = """
SELECT connection_id, count(*) FILTER (WHERE status = 'failed'), count(*)
FROM public.channel_sync_logs
WHERE created_at > now() - %s * interval '1 hour'
GROUP BY connection_id
ORDER BY 2 DESC
"""


def failure_trend(conn: psycopg.Connection, hours: float = 24) -> FailureTrend:
    rows = query(conn, FAILURE_TREND_SQL, (hours,))
    return FailureTrend(tuple((str(cid), failed, total) for cid, failed, total in rows))
