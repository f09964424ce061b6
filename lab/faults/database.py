"""Faults of the database itself (failure mode F4, Step 6's retention, what the read-only role may see):
a migration not applied (answered 503, or leaked as a 500), row-level security hiding rows from the
checks' role, sync logs older than the retention window."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

from lab import migrate, records, stack
from lab.faults.base import Fault, Redeploy, wait_healthy
from lab.topology import READONLY_ROLE

DRIFT_MIGRATION = "20260101030000_channel_connections_schema_upgrade.sql"


class SchemaDrift(Fault):
    name = "schema-drift"
    summary = f"migration {DRIFT_MIGRATION} not applied: channel_connections lacks its columns, API 503"

    def inject(self, state):
        with stack.db_connect(state) as conn:
            # What the database looks like when that migration never ran (its down-migration).
            conn.execute("ALTER TABLE channel_connections DROP COLUMN IF EXISTS deleted_at, "
                         "DROP COLUMN IF EXISTS platform_metadata")
            conn.execute("DELETE FROM pms_schema_migrations WHERE filename = %s", (DRIFT_MIGRATION,))

    def heal(self, state):
        with stack.db_connect(state) as conn:
            migrate.apply(conn)


_DRIFT_HANDLED = """SCHEMA_DRIFT_ERRORS = (
    pg_errors.UndefinedTable,
    pg_errors.UndefinedColumn,
    pg_errors.UndefinedFunction,
    pg_errors.AmbiguousFunction,
)"""


class SchemaDrift500(Redeploy):
    name = "schema-drift-500"
    summary = (f"migration {DRIFT_MIGRATION} not applied, and pms-backend redeployed from a build whose handler "
               "lets the missing column through as a 500")
    role = "backend"
    patches = {"services/backend/errors.py": lambda src: src
               .replace(_DRIFT_HANDLED, "SCHEMA_DRIFT_ERRORS: tuple = ()  # the drift handler was lost")
               .replace('content={"detail": "Internal server error"}',
                        'content={"detail": f"{type(exc).__name__}: {exc.diag.message_primary or exc}"}')}

    def settled(self, state):
        wait_healthy(state)
        SchemaDrift().inject(state)

    def heal(self, state):
        SchemaDrift().heal(state)
        super().heal(state)


class RlsHidden(Fault):
    """RLS on `table` with the read-only role's policy gone: Postgres then hides every row from the role
    silently (as on Supabase, where RLS is on and a later migration or a cleanup dropped the policy)."""

    table: ClassVar[str]

    @property
    def summary(self) -> str:
        return f"RLS on {self.table} without the read-only role's policy: its rows are silently hidden from the checks' role"

    def inject(self, state):
        with stack.db_connect(state) as conn:
            conn.execute(f"DROP POLICY IF EXISTS {READONLY_ROLE}_read ON public.{self.table}")
            conn.execute(f"ALTER TABLE public.{self.table} ENABLE ROW LEVEL SECURITY")

    def heal(self, state):
        with stack.db_connect(state) as conn:
            migrate.ensure_readonly_role(conn, READONLY_ROLE, state.secrets.readonly_password)


class RlsHidesSyncLogs(RlsHidden):
    name = "rls-hides-sync-logs"
    table = "channel_sync_logs"


class RlsHidesConnections(RlsHidden):
    name = "rls-hides-connections"
    table = "channel_connections"


class OldSyncLogs(Fault):
    name = "old-sync-logs"
    summary = "channel_sync_logs holds rows up to 400 days old, beyond the retention window"

    def inject(self, state):
        with stack.db_connect(state) as conn:
            if conn.execute("SELECT 1 FROM channel_sync_logs WHERE details->>'lab_fault' = %s LIMIT 1",
                            (self.name,)).fetchone():
                return
            cid = conn.execute(
                "SELECT id FROM channel_connections WHERE status = 'active' ORDER BY created_at LIMIT 1"
            ).fetchone()[0]
            now = datetime.now(UTC)
            for days in (200, 250, 300, 350, 400):
                records.insert_batch(conn, cid, ["success"] * 3, now - timedelta(days=days), tag=self.name)

    def heal(self, state):
        with stack.db_connect(state) as conn:
            conn.execute("DELETE FROM channel_sync_logs WHERE details->>'lab_fault' = %s", (self.name,))


FAULTS = (SchemaDrift, SchemaDrift500, RlsHidesSyncLogs, RlsHidesConnections, OldSyncLogs)
