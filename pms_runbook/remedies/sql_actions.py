"""The SQL remedies, with the elevated write DSN: the manual cleanup of stale sync logs (contract §4.6, §13
item 17) and the retention cleanup (runbook Step 6). Values are always parameters, never formatted into SQL.

    preview(dsn, remedy, values)  read only: the counts the plan shows and the preconditions judge
    apply(dsn, remedy, values)    the change, bounded; returns (before, after)

Every statement runs under a statement_timeout. The stale cleanup is one transaction; the retention cleanup
deletes in chunks (`chunk_rows`), each its own short transaction, below a cutoff fixed once before the first
chunk (rows that age past the window meanwhile are not touched), then counts again.
"""
from __future__ import annotations

from typing import Any

STALE_ERROR = "Task timed out or worker crashed (auto-cleaned)"  # the manual cleanup's message (§4.6)
STATEMENT_TIMEOUT_MS = 30_000
DEFAULT_MAX_ROWS = 10_000
DEFAULT_CHUNK_ROWS = 5_000

# The documented manual cleanup: running rows created over an hour ago (it keys on created_at and covers only
# `running`; the automatic sweep of a trigger also takes triggered/queued by COALESCE(updated_at, created_at)).
STALE_RUNNING = ("FROM public.channel_sync_logs WHERE status = 'running' "
                 "AND created_at < now() - make_interval(mins => %(minutes)s)")
STALE_OTHERS = ("FROM public.channel_sync_logs WHERE status IN ('triggered', 'queued') "
                "AND COALESCE(updated_at, created_at) < now() - make_interval(mins => %(minutes)s)")
MARK_FAILED = ("UPDATE public.channel_sync_logs SET status = 'failed', error = %(error)s, updated_at = now() "
               "WHERE status = 'running' AND created_at < now() - make_interval(mins => %(minutes)s)")

CUTOFF = "SELECT now() - make_interval(days => %(days)s)"
OLD_ROWS = "FROM public.channel_sync_logs WHERE created_at < %(cutoff)s"
DELETE_CHUNK = ("DELETE FROM public.channel_sync_logs WHERE id IN "
                "(SELECT id FROM public.channel_sync_logs WHERE created_at < %(cutoff)s "
                "ORDER BY created_at LIMIT %(chunk)s)")


class Refused(Exception):
    """The action found what its preconditions did not allow (more rows than its bound): nothing changed."""


def _connect(dsn: str, *, readonly: bool):
    import psycopg

    options = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    if readonly:
        options += " -c default_transaction_read_only=on"
    return psycopg.connect(dsn, connect_timeout=10, options=options, application_name="pms-runbook --fix")


def _count(conn, where: str, params: dict) -> int:
    return int(conn.execute(f"SELECT count(*) {where}", params).fetchone()[0])  # where: a constant above


def _days(values: dict) -> int:
    days = int(values["days"])
    if days < 1:
        raise ValueError(f"retention window of {days} days: refused")
    return days


def preview(dsn: str, remedy: dict, values: dict) -> dict[str, Any]:
    """The counts the plan shows, read only."""
    with _connect(dsn, readonly=True) as conn:
        if remedy["action"] == "sql_mark_stale_failed":
            p = {"minutes": int(remedy.get("older_than_minutes", 60))}
            return {"rows": _count(conn, STALE_RUNNING, p), "stale_triggered_or_queued": _count(conn, STALE_OTHERS, p)}
        if remedy["action"] == "sql_retention_delete":
            cutoff = conn.execute(CUTOFF, {"days": _days(values)}).fetchone()[0]
            return {"rows": _count(conn, OLD_ROWS, {"cutoff": cutoff}), "older_than_days": _days(values)}
    raise ValueError(f"unknown SQL action {remedy['action']!r}")


def max_rows(remedy: dict) -> int:
    return int(remedy.get("max_rows", DEFAULT_MAX_ROWS))


def mark_stale_failed(dsn: str, remedy: dict) -> tuple[dict, dict]:
    p = {"minutes": int(remedy.get("older_than_minutes", 60)), "error": STALE_ERROR}
    with _connect(dsn, readonly=False) as conn, conn.transaction():
        before = {"rows": _count(conn, STALE_RUNNING, p), "stale_triggered_or_queued": _count(conn, STALE_OTHERS, p)}
        if before["rows"] > max_rows(remedy):
            raise Refused(f"{before['rows']} rows to mark, above the bound of {max_rows(remedy)}")
        marked = conn.execute(MARK_FAILED, p).rowcount
        after = {"rows": _count(conn, STALE_RUNNING, p), "stale_triggered_or_queued": _count(conn, STALE_OTHERS, p),
                 "marked_failed": marked}
    return before, after


def chunks(conn_factory, cutoff, chunk: int, bound: int) -> int:
    """DELETE below `cutoff`, `chunk` rows a transaction, until none is left or `bound` rows are gone."""
    deleted = 0
    while deleted < bound:
        with conn_factory() as conn, conn.transaction():
            n = conn.execute(DELETE_CHUNK, {"cutoff": cutoff, "chunk": min(chunk, bound - deleted)}).rowcount
        deleted += n
        if n < chunk:
            break
    return deleted


def retention_delete(dsn: str, remedy: dict, values: dict) -> tuple[dict, dict]:
    days, chunk = _days(values), int(remedy.get("chunk_rows", DEFAULT_CHUNK_ROWS))
    with _connect(dsn, readonly=True) as conn:
        cutoff = conn.execute(CUTOFF, {"days": days}).fetchone()[0]
        before = {"rows": _count(conn, OLD_ROWS, {"cutoff": cutoff}), "older_than_days": days,
                  "cutoff": cutoff.isoformat()}
    if before["rows"] > max_rows(remedy):
        raise Refused(f"{before['rows']} rows to delete, above the bound of {max_rows(remedy)}")
    deleted = chunks(lambda: _connect(dsn, readonly=False), cutoff, chunk, before["rows"])
    with _connect(dsn, readonly=True) as conn:
        left = _count(conn, OLD_ROWS, {"cutoff": cutoff})
    return before, {"rows": left, "deleted": deleted, "chunk_rows": chunk, "older_than_days": days}


def apply(dsn: str, remedy: dict, values: dict) -> tuple[dict, dict]:
    if remedy["action"] == "sql_mark_stale_failed":
        return mark_stale_failed(dsn, remedy)
    if remedy["action"] == "sql_retention_delete":
        return retention_delete(dsn, remedy, values)
    raise ValueError(f"unknown SQL action {remedy['action']!r}")
