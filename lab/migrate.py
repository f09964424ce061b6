"""Apply the lab's PMS migrations the way `apply_supabase_migrations.sh` does (contract §5.2).

Each pending file runs in its own transaction and is recorded in public.pms_schema_migrations
with its sha256; a file that fails is not recorded. Faults reproduce schema drift by undoing a
migration and deleting its tracking row; `apply()` then sees it as pending again.

Also: the read-only role the runbook's SQL checks log in with.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
TRACKING_TABLE = "public.pms_schema_migrations"

_FILENAME = re.compile(r"^\d{14}_[a-z0-9_]+\.sql$")

_TRACKING_DDL = f"""
CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} (
    filename   text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now(),
    sha256     text,
    notes      text
)
"""


def migration_files(directory: Path | None = None) -> list[Path]:
    """Migration files in apply order (the 14-digit timestamp prefix sorts them)."""
    directory = directory or MIGRATIONS_DIR
    return sorted(p for p in directory.iterdir() if p.is_file() and _FILENAME.match(p.name))


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def applied(conn: psycopg.Connection) -> list[str]:
    """Filenames recorded as applied, oldest first; [] when the tracking table does not exist."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (TRACKING_TABLE,))
        if not cur.fetchone()[0]:
            return []
        cur.execute(f"SELECT filename FROM {TRACKING_TABLE} ORDER BY filename")
        return [row[0] for row in cur.fetchall()]


def pending(conn: psycopg.Connection, directory: Path | None = None) -> list[str]:
    """Filenames present in the migrations folder but not recorded as applied."""
    done = set(applied(conn))
    return [p.name for p in migration_files(directory) if p.name not in done]


def apply(
    conn: psycopg.Connection,
    only: list[str] | None = None,
    *,
    reapply: bool = False,
    directory: Path | None = None,
    notes: str | None = "lab.migrate",
) -> list[str]:
    """Apply pending migrations; return the filenames applied, in order.

    only:    restrict to these filenames (unknown names raise ValueError).
    reapply: with `only`, run those files even if recorded (the record is refreshed). Used to
             heal drift by re-running an idempotent migration, as the runbook's fix does.
    A failing file raises psycopg.Error after its transaction rolled back; earlier files stay.
    """
    files = migration_files(directory)
    if only is not None:
        known = {p.name for p in files}
        unknown = sorted(set(only) - known)
        if unknown:
            raise ValueError(f"unknown migration file(s): {', '.join(unknown)}")
        files = [p for p in files if p.name in set(only)]
    elif reapply:
        raise ValueError("reapply=True needs an explicit `only` list")

    _end_open_transaction(conn)
    with conn.transaction():
        conn.execute(_TRACKING_DDL)
    done = set(applied(conn))

    applied_now: list[str] = []
    for path in files:
        if path.name in done and not reapply:
            continue
        body = path.read_text()
        with conn.transaction():
            # No parameters: psycopg sends it as one simple query, so a file may hold many
            # statements and DO $$ blocks, exactly as psql -f would run it.
            conn.execute(body)
            conn.execute(
                f"""INSERT INTO {TRACKING_TABLE} (filename, sha256, notes) VALUES (%s, %s, %s)
                    ON CONFLICT (filename) DO UPDATE
                    SET applied_at = now(), sha256 = EXCLUDED.sha256, notes = EXCLUDED.notes""",
                (path.name, file_sha256(path), notes),
            )
        applied_now.append(path.name)
    return applied_now


def _end_open_transaction(conn: psycopg.Connection) -> None:
    """Each file must be its own top-level transaction, not a savepoint in the caller's."""
    if not conn.autocommit and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.commit()


# --- read-only role for the runbook's SQL checks ------------------------------------------------

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _sql_literal(value: str) -> str:
    # standard_conforming_strings is on (PostgreSQL default since 9.1): only quotes need doubling.
    return "'" + value.replace("'", "''") + "'"


def readonly_role_sql(name: str, password: str | None = None) -> str:
    """The SQL that creates (or refreshes) the read-only role, as text for the README.

    Without a password, the password is the psql variable :'password'
    (run with `psql -v password=... -f readonly.sql`).
    """
    if not _ROLE_NAME.match(name):
        raise ValueError(f"role name {name!r} must be a lower-case SQL identifier")
    pw = _sql_literal(password) if password is not None else ":'password'"
    return f"""\
-- Read-only login for the runbook's SQL checks: every session is read-only and every
-- statement is cut off after 5 s, so a check can never change or stall the PMS database.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN
        CREATE ROLE {name} LOGIN;
    END IF;
END $$;
ALTER ROLE {name} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {pw};
ALTER ROLE {name} SET default_transaction_read_only = on;
ALTER ROLE {name} SET statement_timeout = '5s';
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO {name}', current_database());
END $$;
GRANT USAGE ON SCHEMA public TO {name};
GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name};
-- Tables created later (by the role running the migrations) are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {name};
-- Row-level security (Supabase enables it on public tables) would hide rows from this role without
-- a word: one policy per RLS-enabled table lets it read every row. Run this as the tables' owner,
-- and again after a migration enables RLS on another table (or, as a superuser instead:
-- ALTER ROLE {name} BYPASSRLS;). The checks say "could not check" naming a table still hidden.
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relrowsecurity LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = t.oid AND polname = '{name}_read') THEN
            EXECUTE format('CREATE POLICY {name}_read ON public.%I FOR SELECT TO {name} USING (true)',
                           t.relname);
        END IF;
    END LOOP;
END $$;
"""


def ensure_readonly_role(conn: psycopg.Connection, name: str, password: str) -> None:
    """Create or refresh the read-only role (idempotent). Needs a superuser or CREATEROLE."""
    text = readonly_role_sql(name, password)
    _end_open_transaction(conn)
    with conn.transaction():
        # No parameters: sent as a simple query, so '%I' in format() is not a placeholder.
        conn.execute(text)
