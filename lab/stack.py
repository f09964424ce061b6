"""The lab's topology and lifecycle: networks and containers named as in production (checklist era).

    network model v1 (checklist, the default):
    coolify ─────────── supabase-redis, pms-admin, pms-backend, pms-worker-v2
    <supabase network> ─ supabase-db, supabase-auth, pms-backend, pms-worker-v2

    network model v2 (March "bridge", `pms-lab up --network-model v2`):
    coolify ─────────── supabase-redis, pms-admin, pms-backend, pms-worker-v2, supabase-db (alias supabase-db)
    <supabase network> ─ supabase-db, supabase-auth

Every container carries a `pms-lab.spec` label, the hash of how it should be; `up` keeps a
container whose spec matches (starting it if stopped) and recreates one that differs, so it is
idempotent over leftovers of earlier runs.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import httpx

from lab import image
from lab.state import READONLY_ROLE, REPO_ROOT, LabState

LABEL = "pms-lab"

# role -> production container name (runbook checklist era)
NAMES = {
    "db": "supabase-db",
    "redis": "supabase-redis",
    "auth": "supabase-auth",
    "backend": "pms-backend",
    "worker": "pms-worker-v2",
    "admin": "pms-admin",
    "old_worker": "pms-worker",
}
PMS_ROLES = ("backend", "worker", "admin")


@dataclass
class Service:
    role: str
    command: list[str]
    networks: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, tuple[str, int]] = field(default_factory=dict)
    mounts: dict[str, dict] = field(default_factory=dict)
    user: str = "1000"
    working_dir: str = "/app"
    restart: str = "unless-stopped"
    name: str | None = None
    aliases: dict[str, list[str]] = field(default_factory=dict)  # network -> DNS aliases on it
    mem_limit: str | None = None

    @property
    def container_name(self) -> str:
        return self.name or NAMES[self.role]

    def spec_hash(self, image_tag: str) -> str:
        # Fields at their defaults stay out of the hash, so adding one does not recreate every container.
        spec = {k: v for k, v in self.__dict__.items() if not (k in ("aliases", "mem_limit") and not v)}
        doc = json.dumps([image_tag, spec], sort_keys=True, default=str)
        return hashlib.sha256(doc.encode()).hexdigest()[:16]


def client() -> docker.DockerClient:
    try:
        c = docker.from_env(timeout=30)
        c.ping()
        return c
    except docker.errors.DockerException as exc:
        raise SystemExit(f"pms-lab: no Docker engine reachable ({exc}). Run scripts/bootstrap first.") from exc


# --- how each service is run ------------------------------------------------------------------------


def _python_mounts(build: Path) -> dict[str, dict]:
    venv = Path(sys.prefix).resolve()
    mounts = {
        "/usr": {"bind": "/usr", "mode": "ro"},
        str(image.host_python_prefix()): {"bind": str(image.host_python_prefix()), "mode": "ro"},
        str(build / "lab"): {"bind": "/app/lab", "mode": "ro"},
    }
    if venv != image.host_python_prefix():
        mounts[str(venv)] = {"bind": str(venv), "mode": "ro"}
    return mounts


def _python() -> str:
    return str(Path(sys.prefix) / "bin" / "python")


def build_dir(build: str | None) -> Path:
    """Where the code of a 'build' lives: the repo itself, or a derived build made by a fault."""
    return REPO_ROOT if build is None else LabState.load().home / "builds" / build


PY_ENV = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "HOME": "/tmp"}


def backend_env(state: LabState, *, commit: str, jwt_secret: str | None = None) -> dict[str, str]:
    return {
        **PY_ENV,
        "DATABASE_URL": state.db_url(),
        "REDIS_URL": state.redis_url(0),
        "CELERY_BROKER_URL": state.redis_url(0),
        "CELERY_RESULT_BACKEND": state.redis_url(1),
        "JWT_SECRET": jwt_secret or state.secrets.jwt_secret,
        "SUPABASE_JWT_SECRET": jwt_secret or state.secrets.jwt_secret,
        "JWT_AUDIENCE": "authenticated",
        "ENABLE_REDIS_HEALTHCHECK": "true",
        "ENABLE_CELERY_HEALTHCHECK": "true",
        "CHANNEL_MANAGER_ENABLED": "true",
        "SOURCE_COMMIT": commit,
        "ENVIRONMENT": "lab",
        "SYNC_LOG_STALE_MINUTES": "60",
        # Celery's inspect waits its whole timeout for replies; half a second is plenty on one host.
        "CELERY_INSPECT_TIMEOUT_SECONDS": "0.5",
    }


def services(
    state: LabState,
    *,
    commits: dict[str, str] | None = None,
    builds: dict[str, str | None] | None = None,
    overrides: dict[str, dict] | None = None,
) -> dict[str, Service]:
    """The healthy lab, optionally with per-role commits, builds and env overrides (used by deploys and faults)."""
    commits = commits or {}
    builds = builds or {}
    overrides = overrides or {}
    sb, cf = state.supabase_network, state.coolify_network
    v2 = state.network_model == "v2"
    pms_nets = [cf] if v2 else [cf, sb]  # v2: PMS containers on coolify only, the DB bridged in
    py = _python()
    pgbin = image.postgres_bindir()
    pgdata = "/var/lib/postgresql/data"
    db_script = (
        f"set -e; if [ ! -s {pgdata}/PG_VERSION ]; then "
        f"{pgbin}/initdb -D {pgdata} -U postgres --pwfile=/run/lab/pgpass --auth-local=trust "
        f"--auth-host=scram-sha-256 >/dev/null; "
        f"echo 'host all all all scram-sha-256' >> {pgdata}/pg_hba.conf; fi; "
        f"exec {pgbin}/postgres -D {pgdata} -c listen_addresses='*' -c unix_socket_directories=/tmp "
        f"-c max_connections=200 -c shared_buffers=256MB -c log_line_prefix='%m [%p] %u@%d ' "
        f"-c log_min_duration_statement=-1"
    )
    secrets_dir = state.home / "secrets"

    def pms_env(role: str) -> dict[str, str]:
        commit = commits.get(role, state.commit)
        if role == "admin":
            env = {**PY_ENV, "SOURCE_COMMIT": commit, "NODE_ENV": "production",
                   "API_BASE_URL": "http://pms-backend:8000"}
        elif role in ("worker", "old_worker"):
            env = backend_env(state, commit=commit)
            env.update({"CELERY_POOL": "threads", "CELERY_CONCURRENCY": "4", "WORKER_WAIT_TIMEOUT": "60",
                        "WORKER_WAIT_DB_HOST": "supabase-db", "WORKER_WAIT_REDIS_HOST": "supabase-redis"})
        else:
            env = backend_env(state, commit=commit)
        env.update(overrides.get(role, {}).get("env", {}))
        return env

    def mounts(role: str) -> dict[str, dict]:
        return _python_mounts(build_dir(builds.get(role)))

    svc = {
        "db": Service(
            role="db", command=["/bin/sh", "-c", db_script], networks=[sb, cf] if v2 else [sb], user="999",
            aliases={cf: ["supabase-db"]} if v2 else {},
            env={"PGDATA": pgdata, "LANG": "C.UTF-8"}, ports={"5432/tcp": ("127.0.0.1", state.ports.db)},
            mounts={"/usr": {"bind": "/usr", "mode": "ro"},
                    str(state.home / "pgdata"): {"bind": pgdata, "mode": "rw"},
                    str(secrets_dir): {"bind": "/run/lab", "mode": "ro"}},
            working_dir="/tmp", restart="unless-stopped",
        ),
        "redis": Service(
            role="redis",
            command=[str(image.redis_server()), "--requirepass", state.secrets.redis_password, "--bind", "0.0.0.0",
                     "--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", "/tmp"],
            networks=[cf], user="999", mounts={"/usr": {"bind": "/usr", "mode": "ro"}}, working_dir="/tmp",
        ),
        "auth": Service(
            role="auth",
            # Access log on: it shows how many tokens a run asked for (once per run, even under xdist).
            command=[py, "-m", "uvicorn", "lab.services.auth.main:app", "--host", "0.0.0.0", "--port", "9999"],
            networks=[sb], ports={"9999/tcp": ("127.0.0.1", state.ports.auth)}, mounts=mounts("auth"),
            env={**PY_ENV, "JWT_SECRET": state.secrets.jwt_secret, "ANON_KEY": state.secrets.anon_key,
                 "JWT_EXP": "3600", "SITE_URL": state.auth_url,
                 "LAB_USERS_JSON": json.dumps([{"id": state.secrets.admin_user_id, "email": state.secrets.admin_email,
                                                "password": state.secrets.admin_password}]),
                 **overrides.get("auth", {}).get("env", {})},
        ),
        "backend": Service(
            role="backend",
            command=[py, "-m", "uvicorn", "lab.services.backend.main:app", "--host", "0.0.0.0", "--port", "8000"],
            networks=pms_nets, ports={"8000/tcp": ("127.0.0.1", state.ports.api)}, env=pms_env("backend"),
            mounts=mounts("backend"),
        ),
        "worker": Service(role="worker", command=[py, "-m", "lab.services.worker.start"], networks=pms_nets,
                          env=pms_env("worker"), mounts=mounts("worker")),
        "admin": Service(
            role="admin",
            command=[py, "-m", "uvicorn", "lab.services.admin.main:app", "--host", "0.0.0.0", "--port", "3000",
                     "--no-access-log"],
            networks=[cf], ports={"3000/tcp": ("127.0.0.1", state.ports.admin)}, env=pms_env("admin"),
            mounts=mounts("admin"),
        ),
    }
    for role, over in overrides.items():
        if role in svc and "restart" in over:
            svc[role].restart = over["restart"]
        if role in svc and "mem_limit" in over:
            svc[role].mem_limit = over["mem_limit"]
    return svc


def old_worker(state: LabState, commit: str) -> Service:
    """The pre-v2 worker (Nixpacks era), as it runs when someone forgot to stop it."""
    svc = services(state, commits={"old_worker": commit})["worker"]
    svc.role, svc.name = "old_worker", NAMES["old_worker"]
    svc.env = {**svc.env, "SOURCE_COMMIT": commit}
    return svc


# --- docker plumbing ------------------------------------------------------------------------------------


def find(c: docker.DockerClient, name: str):
    try:
        return c.containers.get(name)
    except docker.errors.NotFound:
        return None


def ensure_networks(c: docker.DockerClient, state: LabState) -> None:
    for net in (state.coolify_network, state.supabase_network):
        if not c.networks.list(names=[net]):
            c.networks.create(net, driver="bridge", labels={LABEL: "1"})


def run(c: docker.DockerClient, svc: Service, tag: str, *, start: bool = True):
    """Create (or keep) the container for a service; recreate it when its spec changed."""
    spec = svc.spec_hash(tag)
    existing = find(c, svc.container_name)
    if existing is not None:
        if existing.labels.get(f"{LABEL}.spec") == spec:
            if start and existing.status != "running":
                existing.start()
            return existing
        existing.remove(force=True)
    first, *others = svc.networks
    container = c.containers.create(
        tag,
        svc.command,
        name=svc.container_name,
        hostname=None,
        user=svc.user,
        environment=svc.env,
        working_dir=svc.working_dir,
        volumes=svc.mounts,
        ports=svc.ports,
        network=first,
        init=True,
        restart_policy={"Name": svc.restart} if svc.restart != "no" else None,
        **({"mem_limit": svc.mem_limit, "memswap_limit": svc.mem_limit} if svc.mem_limit else {}),
        labels={LABEL: "1", f"{LABEL}.role": svc.role, f"{LABEL}.spec": spec},
        stop_signal="SIGTERM",
    )
    for net in others:
        c.networks.get(net).connect(container, aliases=svc.aliases.get(net))
    if start:
        container.start()
    return container


def prepare_home(state: LabState) -> None:
    home = state.home
    (home / "secrets").mkdir(parents=True, exist_ok=True)
    pgpass = home / "secrets" / "pgpass"
    pgpass.write_text(state.secrets.db_password + "\n")
    os.chown(pgpass, 999, 999)
    os.chmod(pgpass, 0o600)
    pgdata = home / "pgdata"
    pgdata.mkdir(exist_ok=True)
    os.chown(pgdata, 999, 999)
    os.chmod(pgdata, 0o700)
    frontend = home / "frontend"
    if not frontend.exists():
        shutil.copytree(REPO_ROOT / "lab" / "frontend", frontend)


def wait_for_db(state: LabState, timeout: float = 60) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(state.host_dsn(), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"pms-lab: supabase-db not accepting connections after {timeout:.0f}s: {exc}") from None
            time.sleep(0.3)


def db_connect(state: LabState):
    import psycopg

    return psycopg.connect(state.host_dsn(), connect_timeout=5, autocommit=True)


def migrate_and_seed(state: LabState) -> None:
    from lab import migrate, seed

    with db_connect(state) as conn:
        migrate.apply(conn)
        migrate.ensure_readonly_role(conn, READONLY_ROLE, state.secrets.readonly_password)
        if state.seeded and state.seed_version < seed.SEED_VERSION:
            seed.reset(conn)  # an older seed's shape (e.g. one agency fewer): seed again
            state.seeded = False
        if not state.seeded:
            seed.seed(conn, admin_user_id=state.secrets.admin_user_id, connections=state.connections)
            state.seeded, state.seed_version = True, seed.SEED_VERSION
            state.save()


def readiness(state: LabState, timeout: float = 5.0) -> tuple[int, dict]:
    try:
        r = httpx.get(f"{state.api_url}/health/ready", timeout=timeout)
        return r.status_code, (r.json() if r.content else {})
    except (httpx.HTTPError, ValueError) as exc:
        return 0, {"error": str(exc)}


def wait_until(predicate, timeout: float, interval: float = 0.3, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"pms-lab: timed out after {timeout:.0f}s waiting for {what}")


def healthy(state: LabState) -> bool:
    code, body = readiness(state)
    workers = (((body.get("components") or {}).get("celery") or {}).get("details") or {}).get("workers")
    return code == 200 and isinstance(workers, list) and len(workers) == 1


def wait_healthy(state: LabState, timeout: float = 90) -> None:
    wait_until(lambda: healthy(state), timeout, what="/health/ready 200 with exactly one worker")


def up(state: LabState | None = None, *, connections: int | None = None, network_model: str | None = None,
       wait: bool = True) -> LabState:
    state = state or LabState.load()
    if connections:
        state.connections = connections
    if network_model:  # kept in the state: a plain `up` keeps the model in force
        state.network_model = network_model
    state.save()
    c = client()
    tag = image.ensure_image(c)
    prepare_home(state)
    ensure_networks(c, state)
    svc = services(state)
    for role in ("db", "redis"):
        run(c, svc[role], tag)
    wait_for_db(state)
    migrate_and_seed(state)
    for role in ("auth", "backend", "worker", "admin"):
        run(c, svc[role], tag)
    if wait:
        wait_healthy(state)
        wait_until(lambda: _http_ok(f"{state.admin_url}/api/ops/version") and _http_ok(f"{state.auth_url}/auth/v1/health"),
                   30, what="admin and auth gateway")
    return state


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def down(*, volumes: bool = False) -> None:
    c = client()
    for container in c.containers.list(all=True, filters={"label": LABEL}):
        container.remove(force=True)
    for net in c.networks.list(filters={"label": LABEL}):
        net.remove()
    if volumes:
        home = LabState.load().home
        shutil.rmtree(home, ignore_errors=True)


def recreate(state: LabState, roles: tuple[str, ...], **kwargs) -> None:
    """Recreate PMS containers the way a Coolify redeploy does (new container, same name)."""
    c = client()
    tag = image.ensure_image(c)
    svc = services(state, **kwargs)
    for role in roles:
        run(c, svc[role], tag)


def deploy(state: LabState, commit: str) -> None:
    """A Coolify redeploy of backend, then worker, then admin, with a new SOURCE_COMMIT."""
    state.commit = commit
    state.save()
    recreate(state, ("backend",))
    wait_until(lambda: _http_ok(f"{state.api_url}/health"), 60, what="pms-backend /health")
    recreate(state, ("worker", "admin"))
    wait_healthy(state)


def status(state: LabState | None = None) -> dict:
    state = state or LabState.load()
    c = client()
    containers = {}
    for role, name in NAMES.items():
        ct = find(c, name)
        if ct is None:
            containers[role] = {"name": name, "state": "missing"}
            continue
        ct.reload()
        st = ct.attrs["State"]
        containers[role] = {
            "name": name, "state": st["Status"], "restart_count": ct.attrs.get("RestartCount", 0),
            "networks": sorted(ct.attrs["NetworkSettings"]["Networks"]),
            "source_commit": next((e.split("=", 1)[1] for e in ct.attrs["Config"]["Env"] or []
                                   if e.startswith("SOURCE_COMMIT=")), None),
        }
    return {
        **state.connection_info(),
        "containers": containers,
        "network_model": state.network_model,
        "ready": healthy(state) if containers["backend"]["state"] == "running" else False,
    }
