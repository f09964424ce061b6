"""Faults, injected the way they happen in production, so the runbook sees real symptoms.

Each fault breaks the real thing (a network, a container, a deploy, a table, rows) and `inject`
waits until the symptom is observable; `heal` undoes it and waits until the lab is healthy again.
Both are idempotent. Rows a fault adds carry `details->>'lab_fault'`, so healing removes exactly them.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lab import containers, image, stack
from lab.state import REPO_ROOT, LabState
from lab.topology import NAMES


@dataclass(frozen=True)
class Fault:
    name: str
    summary: str
    inject: Callable[[LabState], None]
    heal: Callable[[LabState], None]


FAULTS: dict[str, Fault] = {}


def fault(name: str, summary: str):
    def register(cls):
        FAULTS[name] = Fault(name, summary, cls.inject, cls.heal)
        return cls

    return register


def inject(state: LabState, name: str) -> None:
    FAULTS[name].inject(state)
    if name not in state.faults:
        state.faults.append(name)
        state.save()


def heal(state: LabState, name: str | None = None) -> None:
    names = [name] if name else list(FAULTS)
    # Heal in reverse order of injection, then the rest (a heal must work even if state was lost).
    ordered = [n for n in reversed(state.faults) if n in names] + [n for n in names if n not in state.faults]
    for n in ordered:
        FAULTS[n].heal(state)
        if n in state.faults:
            state.faults.remove(n)
            state.save()
    stack.wait_healthy(state, timeout=90)


# --- helpers ------------------------------------------------------------------------------------------


def _container(role: str):
    return containers.find(containers.client(), NAMES[role])


def _ready_status(state: LabState) -> tuple[int, dict]:
    return stack.readiness(state)


def _wait_ready_code(state: LabState, code: int, timeout: float = 20) -> None:
    stack.wait_until(lambda: _ready_status(state)[0] == code, timeout, what=f"/health/ready {code}")


def _other_commit(commit: str) -> str:
    """A plausible different SHA: what a redeploy of another commit would inject."""
    return "".join("0123456789abcdef"[(int(ch, 16) + 7) % 16] for ch in commit)


def _db(state: LabState):
    return stack.db_connect(state)


# Which agency a history fault lands in: the ops user's first membership (what the API shows without
# x-agency-id), its second membership, or an agency it is not a member of (only the database sees it).
AGENCIES = {"ops": ("agency", "ops"), "member": ("agency", "member"), "other": ("agency", "other", 0)}


def _agency(which: str = "ops") -> str:
    from lab import records

    return str(records.lab_uuid(*AGENCIES[which]))


def _remove_tagged(state: LabState, tag: str) -> None:
    with _db(state) as conn:
        conn.execute("DELETE FROM channel_sync_logs WHERE details->>'lab_fault' = %s", (tag,))
        conn.execute("DELETE FROM channel_connections WHERE platform_metadata->>'lab_fault' = %s", (tag,))


def _tagged_connection(state: LabState, tag: str, batches: list[tuple[list[str], timedelta]],
                       agency: str = "ops") -> None:
    """An active connection of `agency` (AGENCIES) whose recent history is the given batches (statuses, age)."""
    from lab import records

    with _db(state) as conn:
        exists = conn.execute(
            "SELECT 1 FROM channel_connections WHERE platform_metadata->>'lab_fault' = %s", (tag,)
        ).fetchone()
        if exists:
            return
        cid = records.add_connection(conn, _agency(agency), status="active", platform_type="booking_com", tag=tag)
        now = datetime.now(UTC)
        for statuses, age in batches:
            records.insert_batch(conn, cid, statuses, now - age, tag=tag)


def _make_build(name: str, patches: dict[str, Callable[[str], str]]) -> None:
    """A derived build of the lab's code, as a bad commit would produce it."""
    build = containers.build_dir(name)
    if build.exists():
        shutil.rmtree(build)
    shutil.copytree(REPO_ROOT / "lab", build / "lab", ignore=shutil.ignore_patterns("__pycache__", "frontend"))
    for module, patch in patches.items():
        target = build / "lab" / module
        patched = patch(target.read_text())
        if patched == target.read_text():
            raise RuntimeError(f"fault build {name}: the patch of {module} changed nothing (code moved?)")
        target.write_text(patched)


def _http_status(url: str, method: str = "GET", **kwargs) -> int:
    import httpx

    try:
        return httpx.request(method, url, timeout=3, **kwargs).status_code
    except httpx.HTTPError:
        return 0


# --- the faults -----------------------------------------------------------------------------------------


@fault("db-network-disconnect", "pms-backend leaves the Supabase network: supabase-db no longer resolves, ready 503")
class DbNetworkDisconnect:
    @staticmethod
    def inject(state):
        c = containers.client()
        backend = _container("backend")
        net = c.networks.get(state.supabase_network)
        backend.reload()
        if state.supabase_network in backend.attrs["NetworkSettings"]["Networks"]:
            net.disconnect(backend)
        _wait_ready_code(state, 503)

    @staticmethod
    def heal(state):
        c = containers.client()
        backend = _container("backend")
        if backend is None:
            return
        backend.reload()
        if state.supabase_network not in backend.attrs["NetworkSettings"]["Networks"]:
            c.networks.get(state.supabase_network).connect(backend)


@fault("old-worker-running", "the old pms-worker container runs beside pms-worker-v2: two Celery workers")
class OldWorkerRunning:
    @staticmethod
    def inject(state):
        c = containers.client()
        tag = image.ensure_image(c)
        containers.run(c, containers.old_worker(state, _other_commit(state.commit)), tag)

        def two_workers():
            _, body = _ready_status(state)
            workers = (((body.get("components") or {}).get("celery") or {}).get("details") or {}).get("workers")
            return isinstance(workers, list) and len(workers) == 2

        stack.wait_until(two_workers, 45, what="Celery to report two workers")

    @staticmethod
    def heal(state):
        old = _container("old_worker")
        # Stopped, not removed: `docker ps -a` listing pms-worker Exited (0) is fine (contract §1.4).
        if old is not None and old.status == "running":
            old.stop(timeout=10)


@fault("worker-stopped", "pms-worker-v2 is stopped: no Celery worker, ready 503")
class WorkerStopped:
    @staticmethod
    def inject(state):
        worker = _container("worker")
        if worker.status == "running":
            worker.stop(timeout=10)
        _wait_ready_code(state, 503, timeout=30)

    @staticmethod
    def heal(state):
        worker = _container("worker")
        if worker is None:
            stack.recreate(state, ("worker",))
        elif worker.status != "running":
            worker.start()


@fault("redis-down", "supabase-redis is stopped: redis and celery down, worker logs connection errors")
class RedisDown:
    @staticmethod
    def inject(state):
        redis = _container("redis")
        if redis.status == "running":
            redis.stop(timeout=5)
        _wait_ready_code(state, 503)
        worker = _container("worker")
        stack.wait_until(
            lambda: b"Cannot connect to redis" in worker.logs(tail=50)
            or b"Connection to broker lost" in worker.logs(tail=50),
            30, what="the worker to log the broker connection loss",
        )

    @staticmethod
    def heal(state):
        redis = _container("redis")
        if redis is not None and redis.status != "running":
            redis.start()


@fault("backend-crashloop", "pms-backend redeployed with an ImportError: the container restart-loops")
class BackendCrashloop:
    @staticmethod
    def inject(state):
        _make_build("crashloop", {"services/backend/main.py": lambda src: (
            "from lab.services.backend.sync_engine_v2 import ChannelSyncEngine  # noqa\n" + src)})
        stack.recreate(state, ("backend",), builds={"backend": "crashloop"}, overrides={"backend": {"restart": "always"}})

        def looping():
            b = _container("backend")
            return b is not None and b.attrs.get("RestartCount", 0) >= 2

        stack.wait_until(looping, 40, interval=0.5, what="pms-backend to restart twice")

    @staticmethod
    def heal(state):
        stack.recreate(state, ("backend",))  # a no-op when the healthy backend already runs


@fault("admin-missing", "the pms-admin container is gone")
class AdminMissing:
    @staticmethod
    def inject(state):
        admin = _container("admin")
        if admin is not None:
            admin.remove(force=True)

    @staticmethod
    def heal(state):
        stack.recreate(state, ("admin",))
        _admin_serving(state)


def _healthy(state: LabState) -> None:
    stack.wait_healthy(state, timeout=60)


def _admin_serving(state: LabState) -> None:
    stack.wait_until(lambda: _http_status(f"{state.admin_url}/api/ops/version") == 200, 30, what="pms-admin")


def redeploy_fault(name: str, summary: str, role: str, settled: Callable[[LabState], None],
                   **changes: Callable[[LabState], dict]) -> None:
    """A fault that is a redeploy of one service with another commit or env (`changes` as stack.recreate
    takes them, computed from the lab state); healing redeploys it as it should be."""

    def inject(state: LabState) -> None:
        stack.recreate(state, (role,), **{k: change(state) for k, change in changes.items()})
        settled(state)

    def heal(state: LabState) -> None:
        stack.recreate(state, (role,))  # a no-op when the right container already runs
        settled(state)

    FAULTS[name] = Fault(name, summary, inject, heal)


redeploy_fault("commit-mismatch", "pms-backend redeployed with another SOURCE_COMMIT than worker and admin",
               "backend", _healthy, commits=lambda s: {"backend": _other_commit(s.commit)})
redeploy_fault("worker-old-commit", "pms-worker-v2 still runs the previous commit after the backend was redeployed",
               "worker", _healthy, commits=lambda s: {"worker": _other_commit(s.commit)})
redeploy_fault("admin-commit-unset", "pms-admin redeployed without SOURCE_COMMIT: /api/ops/version reports null",
               "admin", _admin_serving, overrides=lambda s: {"admin": {"env": {"SOURCE_COMMIT": ""}}})
redeploy_fault("jwt-secret-mismatch", "pms-backend redeployed with a JWT_SECRET that differs from the auth gateway's",
               "backend", _healthy, overrides=lambda s: {"backend": {"env": {
                   "JWT_SECRET": "rotated-" + s.secrets.jwt_secret[::-1],
                   "SUPABASE_JWT_SECRET": "rotated-" + s.secrets.jwt_secret[::-1]}}})


DRIFT_MIGRATION = "20260101030000_channel_connections_schema_upgrade.sql"


@fault("schema-drift", f"migration {DRIFT_MIGRATION} not applied: channel_connections lacks its columns, API 503")
class SchemaDrift:
    @staticmethod
    def inject(state):
        with _db(state) as conn:
            # What the database looks like when that migration never ran (its down-migration).
            conn.execute("ALTER TABLE channel_connections DROP COLUMN IF EXISTS deleted_at, "
                         "DROP COLUMN IF EXISTS platform_metadata")
            conn.execute("DELETE FROM pms_schema_migrations WHERE filename = %s", (DRIFT_MIGRATION,))

    @staticmethod
    def heal(state):
        from lab import migrate

        with _db(state) as conn:
            migrate.apply(conn)


def history_fault(name: str, summary: str, history: list[tuple[list[str], timedelta]], agency: str = "ops") -> None:
    """A fault that is an active connection of `agency` whose recent sync history is `history` (statuses per
    batch, age)."""
    FAULTS[name] = Fault(name, summary, lambda state: _tagged_connection(state, name, history, agency),
                         lambda state: _remove_tagged(state, name))


_OK, _ONE_FAILED = ["success"] * 3, ["success", "failed", "success"]
# 4 of 10 batches failed (40 %), 4 of 30 sync logs (13 %): both over the runbook's 10 %.
history_fault("failed-batches", "an active connection whose last 24 h of sync batches are 40 % failed",
              [(_ONE_FAILED if i in (1, 3, 5, 7) else _OK, timedelta(hours=2 * i + 1)) for i in range(10)])
history_fault("stuck-batches", "an active connection whose every recent batch is stuck running",
              [(["running", "triggered", "triggered"], timedelta(hours=h, minutes=10)) for h in (1, 3, 5, 7)])
history_fault("unexpected-status", "a recent batch holds a status outside the lifecycle (status_counts.other > 0)",
              [(_OK, timedelta(hours=2 * i + 1)) for i in range(6)]
              + [(["success", "cancelled", "success"], timedelta(minutes=40))])
history_fault("no-recent-batches", "an active connection with no sync batch in the last 24 h",
              [(_OK, timedelta(days=d)) for d in (2, 3, 5)])

# Other tenants: the same failures on a connection of the ops user's second agency (the API shows it only
# with x-agency-id) and of an agency it is not a member of (only the read-only database sees it).
_FAILED_40 = [(_ONE_FAILED if i in (1, 3, 5, 7) else _OK, timedelta(hours=2 * i + 1)) for i in range(10)]
history_fault("failed-batches-member-agency", "an active connection of the ops user's second agency "
              "(Lab Partner Agency) whose last 24 h of sync batches are 40 % failed", _FAILED_40, agency="member")
history_fault("failed-batches-other-agency", "an active connection of an agency the ops user is not a member of "
              "whose last 24 h of sync batches are 40 % failed", _FAILED_40, agency="other")
history_fault("no-recent-batches-other-agency", "an active connection of an agency the ops user is not a member "
              "of with no sync batch in the last 24 h", [(_OK, timedelta(days=d)) for d in (2, 3, 5)], agency="other")


BUSY_BATCHES, BUSY_FAILED, BUSY_SWEPT = 280, 100, 10


@fault("busy-connection", f"an active connection with {BUSY_BATCHES} batches in 24 h (more than a page of 200): "
                          f"{BUSY_SWEPT} older batches the stale sweep just marked failed sort first, and its "
                          f"{BUSY_FAILED} failed batches are its oldest of the window, on later pages")
class BusyConnection:
    TAG = "busy-connection"

    @classmethod
    def inject(cls, state):
        from lab import records

        with _db(state) as conn:
            if conn.execute("SELECT 1 FROM channel_connections WHERE platform_metadata->>'lab_fault' = %s",
                            (cls.TAG,)).fetchone():
                return
            cid = records.add_connection(conn, _agency("ops"), status="active", platform_type="airbnb", tag=cls.TAG)
            now = datetime.now(UTC)
            # One every 5 min, newest first; the oldest BUSY_FAILED of the window failed one operation.
            for k in range(BUSY_BATCHES):
                statuses = _ONE_FAILED if k >= BUSY_BATCHES - BUSY_FAILED else _OK
                records.insert_batch(conn, cid, statuses, now - timedelta(minutes=3 + 5 * k), tag=cls.TAG)
            # Created before the window, stuck, and just marked failed by the stale sweep of a trigger: their
            # updated_at is now, so the API's sort (COALESCE(updated_at_max, created_at_min) DESC) puts them first.
            for k in range(BUSY_SWEPT):
                records.insert_batch(conn, cid, ["failed"] * 3, now - timedelta(hours=26 + k / 2), tag=cls.TAG,
                                  updated_at=now - timedelta(minutes=1),
                                  error="Marked stale (no update for 1560 minutes). Likely worker restart or "
                                        "lost DB connection.")

    @classmethod
    def heal(cls, state):
        _remove_tagged(state, cls.TAG)


@fault("old-sync-logs", "channel_sync_logs holds rows up to 400 days old, beyond the retention window")
class OldSyncLogs:
    TAG = "old-sync-logs"

    @classmethod
    def inject(cls, state):
        from lab import records

        with _db(state) as conn:
            if conn.execute("SELECT 1 FROM channel_sync_logs WHERE details->>'lab_fault' = %s LIMIT 1",
                            (cls.TAG,)).fetchone():
                return
            cid = conn.execute(
                "SELECT id FROM channel_connections WHERE status = 'active' ORDER BY created_at LIMIT 1"
            ).fetchone()[0]
            now = datetime.now(UTC)
            for days in (200, 250, 300, 350, 400):
                records.insert_batch(conn, cid, ["success"] * 3, now - timedelta(days=days), tag=cls.TAG)

    @classmethod
    def heal(cls, state):
        with _db(state) as conn:
            conn.execute("DELETE FROM channel_sync_logs WHERE details->>'lab_fault' = %s", (cls.TAG,))


POPUP_FILE = "components/LegacySyncButton.tsx"
POPUP_SOURCE = """'use client';
// Reintroduced by a hurried hotfix: the browser dialogs the guard exists to catch.
export function LegacySyncButton({ onSync }: { onSync: () => Promise<boolean> }) {
  async function handleClick() {
    if (!window.confirm("Start a full sync now?")) return;
    const ok = await onSync();
    if (!ok) {
      alert("Test failed!");
    }
  }
  return <button onClick={handleClick}>Sync now</button>;
}
"""


@fault("popups-in-frontend", "the lab's frontend source tree gains alert()/confirm() calls")
class PopupsInFrontend:
    @staticmethod
    def inject(state):
        path = state.home / "frontend" / POPUP_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(POPUP_SOURCE)

    @staticmethod
    def heal(state):
        (state.home / "frontend" / POPUP_FILE).unlink(missing_ok=True)


@fault("legacy-health-head", "pms-backend redeployed from a build older than 62d7c80: HEAD /health* answers 405")
class LegacyHealthHead:
    @staticmethod
    def inject(state):
        _make_build("legacy-head", {"services/backend/main.py": lambda src: src
                    .replace('@app.api_route("/health", methods=["GET", "HEAD"])', '@app.get("/health")')
                    .replace('@app.api_route("/health/ready", methods=["GET", "HEAD"])', '@app.get("/health/ready")')})
        stack.recreate(state, ("backend",), builds={"backend": "legacy-head"})
        stack.wait_until(lambda: _http_status(f"{state.api_url}/health", "HEAD") == 405, 60,
                         what="HEAD /health to answer 405")
        stack.wait_healthy(state, timeout=60)

    @staticmethod
    def heal(state):
        stack.recreate(state, ("backend",))


LIST_LIMIT = 3


@fault("connection-list-truncated", f"pms-backend redeployed with a list endpoint cut at {LIST_LIMIT} rows: active "
                                    "connections of the ops agency are missing from GET /channel-connections/")
class ConnectionListTruncated:
    @staticmethod
    def inject(state):
        _make_build("list-truncated", {"services/backend/channel_manager.py": lambda src: src.replace(
            'WHERE agency_id = %s AND deleted_at IS NULL ORDER BY created_at, id"""',
            f'WHERE agency_id = %s AND deleted_at IS NULL ORDER BY created_at, id LIMIT {LIST_LIMIT}"""')})
        stack.recreate(state, ("backend",), builds={"backend": "list-truncated"})
        stack.wait_healthy(state, timeout=60)

    @staticmethod
    def heal(state):
        stack.recreate(state, ("backend",))


AUTH_BYPASS = """    if not request.headers.get("authorization"):
        # TEMP: let the admin preview list connections without a login (to be removed before release)
        with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute("SELECT user_id, agency_id, role FROM team_members ORDER BY created_at LIMIT 1")
            row = cur.fetchone()
        return Principal(row["user_id"], row["agency_id"], row["role"], None)
"""


@fault("auth-bypass-deployed", "pms-backend redeployed with a debug bypass: the channel manager answers without a token")
class AuthBypassDeployed:
    @staticmethod
    def inject(state):
        marker = '    """FastAPI dependency: the authenticated user and the agency the request acts for."""\n'
        _make_build("auth-bypass", {"services/backend/auth.py": lambda src: src.replace(marker, marker + AUTH_BYPASS)})
        stack.recreate(state, ("backend",), builds={"backend": "auth-bypass"})
        stack.wait_until(lambda: _http_status(f"{state.api_url}/api/v1/channel-connections/") == 200, 60,
                         what="the channel manager to answer without a token")
        stack.wait_healthy(state, timeout=60)

    @staticmethod
    def heal(state):
        stack.recreate(state, ("backend",))


@fault("anon-key-rotated", "the gateway's anon key was rotated: the runbook's ANON_KEY gets 401 on /auth/v1/token")
class AnonKeyRotated:
    @staticmethod
    def inject(state):
        stack.recreate(state, ("auth",), overrides={"auth": {"env": {"ANON_KEY": "rotated-" + state.secrets.anon_key[::-1]}}})
        stack.wait_until(lambda: _http_status(f"{state.auth_url}/auth/v1/token?grant_type=password", "POST",
                                              headers={"apikey": state.secrets.anon_key},
                                              json={"email": "x@y.z", "password": "x"}) == 401, 30,
                         what="the gateway to refuse the old anon key")

    @staticmethod
    def heal(state):
        stack.recreate(state, ("auth",))
        stack.wait_until(lambda: _http_status(f"{state.auth_url}/auth/v1/health") == 200, 30, what="the gateway")


@fault("token-expired",
       "the gateway issues tokens that are already expired (JWT expiry 0): the API answers 401 Token has expired")
class TokenExpired:
    @staticmethod
    def inject(state):
        stack.recreate(state, ("auth",), overrides={"auth": {"env": {"JWT_EXP": "0"}}})
        stack.wait_until(lambda: _http_status(f"{state.auth_url}/auth/v1/health") == 200, 30, what="the gateway")

    heal = AnonKeyRotated.heal


# --- answers that show the failure (issue 8, items 6 and 7) ------------------------------------------


def _memberships_file(state: LabState):
    return state.home / "ops-user-no-agency.json"


@fault("ops-user-no-agency",
       "the ops user's team memberships are gone: the API answers its token 404, no agency membership (§3.2)")
class OpsUserNoAgency:
    """Raw SQL on team_members, as an admin removing the user would; the rows are kept to put them back."""

    @staticmethod
    def inject(state):
        import json

        with _db(state) as conn:
            rows = [r[0] for r in conn.execute("SELECT row_to_json(tm)::text FROM team_members tm WHERE user_id = %s",
                                               (state.secrets.admin_user_id,)).fetchall()]
            if rows:  # a second inject keeps the first one's copy
                if not _memberships_file(state).exists():
                    _memberships_file(state).write_text(json.dumps(rows))
                conn.execute("DELETE FROM team_members WHERE user_id = %s", (state.secrets.admin_user_id,))

    @staticmethod
    def heal(state):
        import json

        path = _memberships_file(state)
        if not path.exists():
            return
        with _db(state) as conn:
            for row in json.loads(path.read_text()):
                conn.execute("INSERT INTO team_members SELECT * FROM json_populate_record(NULL::team_members, %s) "
                             "ON CONFLICT DO NOTHING", (row,))
        path.unlink()


_DRIFT_HANDLED = """SCHEMA_DRIFT_ERRORS = (
    pg_errors.UndefinedTable,
    pg_errors.UndefinedColumn,
    pg_errors.UndefinedFunction,
    pg_errors.AmbiguousFunction,
)"""


@fault("schema-drift-500", f"migration {DRIFT_MIGRATION} not applied, and pms-backend redeployed from a build whose "
       "handler lets the missing column through as a 500")
class SchemaDrift500:
    @staticmethod
    def inject(state):
        _make_build("drift-500", {"services/backend/errors.py": lambda src: src
                    .replace(_DRIFT_HANDLED, "SCHEMA_DRIFT_ERRORS: tuple = ()  # the drift handler was lost")
                    .replace('content={"detail": "Internal server error"}',
                             'content={"detail": f"{type(exc).__name__}: {exc.diag.message_primary or exc}"}')})
        stack.recreate(state, ("backend",), builds={"backend": "drift-500"})
        stack.wait_healthy(state, timeout=60)
        SchemaDrift.inject(state)

    @staticmethod
    def heal(state):
        SchemaDrift.heal(state)
        stack.recreate(state, ("backend",))


SLOW_READY_SECONDS = 15


def _reconnector_pidfile(state: LabState):
    return state.home / "slow-ready.pid"


def _stop_reconnector(state: LabState) -> None:
    """End the pending reconnect this fault started (by its PID), so an old one cannot heal a new break."""
    import os
    import signal

    pidfile = _reconnector_pidfile(state)
    if pidfile.exists():
        try:
            os.kill(int(pidfile.read_text()), signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            pass
        pidfile.unlink(missing_ok=True)


@fault("slow-ready", f"pms-backend loses supabase-db right after a deploy; the network returns "
                     f"{SLOW_READY_SECONDS}s later (degraded mode, then ready)")
class SlowReady:
    @staticmethod
    def inject(state):
        import subprocess
        import sys

        _stop_reconnector(state)
        c = containers.client()
        backend = _container("backend")
        backend.reload()
        if state.supabase_network in backend.attrs["NetworkSettings"]["Networks"]:
            c.networks.get(state.supabase_network).disconnect(backend)
        # The network comes back on its own, as the auto-heal cron would do it; heal does it at once.
        proc = subprocess.Popen([sys.executable, "-m", "lab.faults", "reconnect-backend", str(SLOW_READY_SECONDS)],
                                cwd=REPO_ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        _reconnector_pidfile(state).write_text(str(proc.pid))
        _wait_ready_code(state, 503)

    @staticmethod
    def heal(state):
        _stop_reconnector(state)
        DbNetworkDisconnect.heal(state)


def _reconnect_backend_later(seconds: float) -> None:
    import time

    time.sleep(seconds)
    state = LabState.load()
    DbNetworkDisconnect.heal(state)
    _reconnector_pidfile(state).unlink(missing_ok=True)


# --- what the checks cannot see: row-level security, the backend's healthcheck gates (issue 8) -----------


def rls_fault(name: str, table: str) -> None:
    """RLS on `table` with the read-only role's policy gone: Postgres then hides every row from the role
    silently (as on Supabase, where RLS is on and a later migration or a cleanup dropped the policy)."""
    from lab.topology import READONLY_ROLE

    def inject(state: LabState) -> None:
        with _db(state) as conn:
            conn.execute(f"DROP POLICY IF EXISTS {READONLY_ROLE}_read ON public.{table}")
            conn.execute(f"ALTER TABLE public.{table} ENABLE ROW LEVEL SECURITY")

    def heal(state: LabState) -> None:
        from lab import migrate

        with _db(state) as conn:
            migrate.ensure_readonly_role(conn, READONLY_ROLE, state.secrets.readonly_password)

    FAULTS[name] = Fault(name, f"RLS on {table} without the read-only role's policy: its rows are silently hidden "
                               "from the checks' role", inject, heal)


rls_fault("rls-hides-sync-logs", "channel_sync_logs")
rls_fault("rls-hides-connections", "channel_connections")


def _ready_with_gates_off(state: LabState) -> None:
    def gated():
        code, body = _ready_status(state)
        parts = body.get("components") or {}
        return code == 200 and all((parts.get(p) or {}).get("details", {}).get("skipped") for p in ("redis", "celery"))

    stack.wait_until(gated, 60, what="/health/ready 200 with redis and celery skipped")


GATES_OFF = {"ENABLE_REDIS_HEALTHCHECK": "false", "ENABLE_CELERY_HEALTHCHECK": "false"}


@fault("healthcheck-gates-off", "pms-backend redeployed with ENABLE_REDIS_HEALTHCHECK and ENABLE_CELERY_HEALTHCHECK "
                                "false: /health/ready no longer checks Redis and Celery")
class HealthcheckGatesOff:
    @staticmethod
    def inject(state):
        stack.recreate(state, ("backend",), overrides={"backend": {"env": dict(GATES_OFF)}})
        _ready_with_gates_off(state)

    @staticmethod
    def heal(state):
        stack.recreate(state, ("backend",))  # a no-op when the right container already runs
        stack.wait_until(lambda: _http_status(f"{state.api_url}/health") == 200, 60, what="pms-backend /health")


# --- the right container (issue 8 item 5) and the network models (item 9) ---------------------------------

RENAMED_ADMIN = "pms-admin-frontend"  # the March name of the admin (contract §1.1)
DECOY_REDIS = "coolify-redis"  # another accepted Redis name, not the one the backend's REDIS_URL names
OOM_LIMIT = "16m"  # below what the worker needs to import its code: the kernel kills it at every start


def _remove(name: str) -> None:
    """Remove a container a fault added (only those: the lab's own names are healed, not removed)."""
    ct = containers.find(containers.client(), name)
    if ct is not None:
        ct.remove(force=True)


@fault("admin-renamed-ghost", f"the admin renamed to {RENAMED_ADMIN} in a crash loop, the old pms-admin still Up "
                              "beside it (a ghost after a rename)")
class AdminRenamedGhost:
    @staticmethod
    def inject(state):
        future = "from __future__ import annotations\n"
        _make_build("admin-crash", {"services/admin/main.py": lambda src: src.replace(future, future + (
            "from lab.services.admin.pages_v2 import render  # noqa  (the renamed app's first deploy)\n"), 1)})
        svc = containers.services(state, builds={"admin": "admin-crash"}, overrides={"admin": {"restart": "always"}})["admin"]
        svc.name, svc.ports = RENAMED_ADMIN, {}  # the old pms-admin keeps the published port
        c = containers.client()
        containers.run(c, svc, image.ensure_image(c))
        stack.wait_until(lambda: (ct := containers.find(c, RENAMED_ADMIN)) is not None
                         and ct.attrs.get("RestartCount", 0) >= 2, 40, interval=0.5,
                         what=f"{RENAMED_ADMIN} to restart twice")

    @staticmethod
    def heal(state):
        _remove(RENAMED_ADMIN)


@fault("redis-decoy", f"supabase-redis (the backend's REDIS_URL) is stopped while another Redis, {DECOY_REDIS}, runs")
class RedisDecoy:
    @staticmethod
    def inject(state):
        c = containers.client()
        decoy = containers.services(state)["redis"]
        decoy.name = DECOY_REDIS
        containers.run(c, decoy, image.ensure_image(c))
        RedisDown.inject(state)

    @staticmethod
    def heal(state):
        _remove(DECOY_REDIS)
        RedisDown.heal(state)


@fault("worker-oom-loop", f"pms-worker-v2 redeployed under a {OOM_LIMIT} memory limit: OOM-killed at every start, "
                          "restarted by Docker, RestartCount climbing")
class WorkerOomLoop:
    @staticmethod
    def inject(state):
        stack.recreate(state, ("worker",), overrides={"worker": {"mem_limit": OOM_LIMIT}})

        def killed_and_climbing():
            w = _container("worker")
            return w is not None and w.attrs["State"].get("OOMKilled") and w.attrs.get("RestartCount", 0) >= 4

        stack.wait_until(killed_and_climbing, 60, interval=0.5, what="pms-worker-v2 OOM-killed four times")

    @staticmethod
    def heal(state):
        stack.recreate(state, ("worker",))  # Docker's backoff caps the loop at one start a minute meanwhile


@fault("db-alias-lost", "network model v2: the DB container disconnected from coolify, supabase-db no longer "
                        "resolves for pms-backend (ready 503)")
class DbAliasLost:
    @staticmethod
    def inject(state):
        if state.network_model != "v2":
            raise SystemExit("pms-lab: db-alias-lost is a v2 fault; run `pms-lab up --network-model v2` first")
        db = _container("db")
        db.reload()
        if state.coolify_network in db.attrs["NetworkSettings"]["Networks"]:
            containers.client().networks.get(state.coolify_network).disconnect(db)
        _wait_ready_code(state, 503)

    @staticmethod
    def heal(state):
        db = _container("db")
        if state.network_model != "v2" or db is None:
            return
        db.reload()
        if state.coolify_network not in db.attrs["NetworkSettings"]["Networks"]:
            containers.client().networks.get(state.coolify_network).connect(db, aliases=["supabase-db"])


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["reconnect-backend"]:
        _reconnect_backend_later(float(sys.argv[2]))
