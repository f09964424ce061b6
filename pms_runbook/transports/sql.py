"""The SQL transport: a read-only session on a postgresql:// DSN, and `query`, which first proves RLS hides no row.

The session is read-only (`default_transaction_read_only`) with a statement timeout, so a check can
neither change the database nor hold it.

Row-level security (Supabase enables it on public tables) filters without a word: a role with no
policy counts zero rows and the check would pass. So before a query reads a `public.<table>`, the
session proves the role sees every row of it (RLS not active for the role: owner, BYPASSRLS or RLS
off; or a permissive SELECT policy `USING (true)` for the role and no restrictive one); a table it
cannot prove is "could not check", naming the table and both fixes.
"""
from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING

from pms_runbook.redflag import CouldNotCheck
from pms_runbook.secrets import Secret, scrub

if TYPE_CHECKING:
    import psycopg


def connect_readonly(dsn: Secret, *, statement_timeout_ms: int = 5000, connect_timeout: float = 5) -> psycopg.Connection:
    # Imported here, when the session opens: in a probe's thread, while the run's other probes wait (0.1 s).
    import psycopg

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


# Tables of `public` that row-level security filters for this session's role, with no proof that
# the role still sees every row.
HIDDEN_SQL = """
WITH mine AS (
    SELECT p.polrelid, p.polpermissive, p.polcmd, pg_get_expr(p.polqual, p.polrelid) AS qual
    FROM pg_policy p
    WHERE p.polcmd IN ('r', '*')
      AND ('0'::oid = ANY (p.polroles)
           OR EXISTS (SELECT 1 FROM unnest(p.polroles) r(oid)
                      WHERE r.oid <> 0 AND pg_has_role(current_user, r.oid, 'USAGE')))
)
SELECT c.relname, current_user
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND row_security_active(c.oid)
  AND (NOT EXISTS (SELECT 1 FROM mine WHERE polrelid = c.oid AND polpermissive AND qual = 'true')
       OR EXISTS (SELECT 1 FROM mine WHERE polrelid = c.oid AND NOT polpermissive
                  AND qual IS DISTINCT FROM 'true'))
ORDER BY 1
"""
_TABLE = re.compile(r"\bpublic\.([a-z_][a-z0-9_]*)", re.IGNORECASE)
_hidden: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> ({table}, role)


def hidden_tables(conn: psycopg.Connection) -> tuple[frozenset[str], str]:
    """The public tables row-level security hides rows of from this session's role (asked once per session)."""
    import psycopg

    if conn not in _hidden:
        try:
            rows = conn.execute(HIDDEN_SQL).fetchall()
            role = rows[0][1] if rows else conn.execute("SELECT current_user").fetchone()[0]
        except psycopg.Error as exc:
            raise CouldNotCheck("the SQL check", "the role's row-level security could not be read: "
                                f"{scrub(str(exc)).strip()[:200]}") from None
        _hidden[conn] = (frozenset(r[0] for r in rows), role)
    return _hidden[conn]


def rls_fix(table: str, role: str) -> str:
    return (f"as the table owner: CREATE POLICY {role}_read ON public.{table} FOR SELECT TO {role} USING (true);  "
            f"or as a superuser: ALTER ROLE {role} BYPASSRLS;  (README: the read-only role's SQL covers every "
            "RLS-enabled table; re-run it after migrations)")


def _rls_hides(table: str, role: str) -> CouldNotCheck:
    return CouldNotCheck(f"the SQL check on public.{table}",
                         f"row-level security hides rows of public.{table} from {role} (RLS is on and no policy "
                         f"lets {role} read every row: the counts would be silently low)",
                         hint=rls_fix(table, role))


def _assert_sees_every_row(conn: psycopg.Connection, sql: str) -> None:
    hidden, role = hidden_tables(conn)
    for table in dict.fromkeys(t.lower() for t in _TABLE.findall(sql)):
        if table in hidden:
            raise _rls_hides(table, role)


def query(conn: psycopg.Connection, sql: str, params: tuple = ()) -> list[tuple]:
    import psycopg

    _assert_sees_every_row(conn, sql)
    try:
        return conn.execute(sql, params).fetchall()
    except psycopg.errors.QueryCanceled:
        raise CouldNotCheck("the SQL check", "it hit the statement timeout (the table may lack its index)") from None
    except psycopg.errors.InsufficientPrivilege as exc:
        # With row_security = off (e.g. set on the role), Postgres refuses instead of filtering: same fix.
        m = re.search(r'row-level security policy for table "([^"]+)"', exc.diag.message_primary or "")
        if m:
            raise _rls_hides(m.group(1), hidden_tables(conn)[1]) from None
        raise CouldNotCheck("the SQL check", f"permission denied ({exc.diag.message_primary}): grant the "
                            "read-only role SELECT (README: a read-only database role)") from None
    except psycopg.errors.UndefinedTable as exc:
        raise CouldNotCheck("the SQL check", f"a table is missing ({exc.diag.message_primary}): schema drift, "
                            "apply the migrations") from None
    except psycopg.Error as exc:
        raise CouldNotCheck("the SQL check", scrub(str(exc)).strip()[:300]) from None
