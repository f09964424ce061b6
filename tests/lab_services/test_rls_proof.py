"""The checks' SQL session under row-level security, on a scratch database of the test Postgres:
a table the role cannot be proven to see whole is "could not check" naming it, never a count of zero."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from lab import migrate, seed
from pms_runbook.redflag import CouldNotCheck
from pms_runbook.resources import database
from pms_runbook.secrets import Secret
from pms_runbook.transports import sql

pytestmark = pytest.mark.slow

ADMIN = uuid.UUID("b0000000-0000-4000-8000-00000000b002")


@pytest.fixture
def rls_db(scratch) -> Iterator[tuple[psycopg.Connection, str, callable]]:
    """A migrated, seeded scratch database (RLS on every public table) and a fresh read-only role."""
    role = f"ro_{uuid.uuid4().hex[:8]}"
    migrate.apply(scratch)
    seed.seed(scratch, admin_user_id=ADMIN)
    migrate.ensure_readonly_role(scratch, role, "ro-password")

    def session():
        dsn = f"postgresql://{role}:ro-password@127.0.0.1:{scratch.info.port}/{scratch.info.dbname}"
        return sql.connect_readonly(Secret(dsn, "db_dsn"))

    try:
        yield scratch, role, session
    finally:  # the role's grants and policies go with it; the database is the scratch fixture's to drop
        scratch.execute(f"DROP OWNED BY {role}")
        scratch.execute(f"DROP ROLE IF EXISTS {role}")


def _retention_or_reason(session) -> str:
    with session() as ro:
        try:
            r = database.retention(ro, 90)
            trend = database.failure_trend(ro, 24)
            return f"seen {r.newest is not None} {len(trend.rows)}"
        except CouldNotCheck as exc:
            return str(exc)


def test_the_role_sql_makes_every_rls_table_readable(rls_db):
    conn, role, session = rls_db
    assert conn.execute("SELECT bool_and(relrowsecurity) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                        "c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'").fetchone()[0]
    with session() as ro:
        assert sql.hidden_tables(ro) == (frozenset(), role)
        assert database.retention(ro, 90).newest is not None and database.failure_trend(ro, 24).rows
        assert database.applied_migrations(ro)


@pytest.mark.parametrize(("change", "hidden"), [
    ("DROP POLICY {role}_read ON public.channel_sync_logs", True),  # RLS on, no policy: silently empty
    ("DROP POLICY {role}_read ON public.channel_sync_logs; CREATE POLICY not_failed ON public.channel_sync_logs "
     "FOR SELECT TO {role} USING (status <> 'failed')", True),  # a policy that filters
    ("CREATE POLICY narrow ON public.channel_sync_logs AS RESTRICTIVE FOR SELECT TO {role} "
     "USING (created_at > now() - interval '1 day')", True),  # a restrictive one beside it
    ("DROP POLICY {role}_read ON public.channel_sync_logs; CREATE POLICY everyone ON public.channel_sync_logs "
     "FOR SELECT USING (true)", False),  # PUBLIC, every row
    ("DROP POLICY {role}_read ON public.channel_sync_logs; ALTER ROLE {role} BYPASSRLS", False),
    ("DROP POLICY {role}_read ON public.channel_sync_logs; "
     "ALTER TABLE public.channel_sync_logs DISABLE ROW LEVEL SECURITY", False),
], ids=["no-policy", "filtering-policy", "restrictive-policy", "public-policy", "bypassrls", "rls-off"])
def test_a_table_the_role_may_not_see_whole_is_could_not_check(rls_db, change, hidden):
    conn, role, session = rls_db
    conn.execute(change.format(role=role))
    result = _retention_or_reason(session)
    if hidden:
        assert result.startswith("could not check the SQL check on public.channel_sync_logs because row-level "
                                 f"security hides rows of public.channel_sync_logs from {role}"), result
        assert f"CREATE POLICY {role}_read ON public.channel_sync_logs FOR SELECT TO {role} USING (true)" in result
        assert f"ALTER ROLE {role} BYPASSRLS" in result
    else:
        assert result.startswith("seen True "), result


def test_rls_by_hand_on_connections_blinds_only_the_sql_that_reads_it(rls_db):
    conn, role, session = rls_db
    conn.execute(f"DROP POLICY {role}_read ON public.channel_connections")
    with session() as ro:
        assert database.retention(ro, 90).newest is not None  # reads channel_sync_logs only
        with pytest.raises(CouldNotCheck, match="public.channel_connections"):
            database.failure_trend(ro, 24)  # names each connection from channel_connections


def test_row_security_off_on_the_role_is_could_not_check_too(rls_db):
    """A role with row_security = off makes Postgres refuse instead of filter: the same message."""
    conn, role, session = rls_db
    conn.execute(f"DROP POLICY {role}_read ON public.channel_sync_logs")
    conn.execute(f"ALTER ROLE {role} SET row_security = off")
    with session() as ro:
        sql._hidden[ro] = (frozenset(), role)  # as if the proof had passed: the refusal itself is caught
        with pytest.raises(CouldNotCheck, match="row-level security hides rows of public.channel_sync_logs"):
            database.retention(ro, 90)
