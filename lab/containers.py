"""How each container of the lab is run: its spec (command, env, mounts, networks, ports) and the Docker
calls that create it.

Every container carries a `pms-lab.spec` label, the hash of how it should be; `run` keeps a container
whose spec matches (starting it if stopped) and recreates one that differs, so `up` is idempotent over
leftovers of earlier runs.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import docker

from lab import image, topology, webapp
from lab.state import REPO_ROOT, LabState
from lab.topology import LABEL, NAMES


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
    healthcheck: dict | None = None  # Docker's HEALTHCHECK (test, interval, timeout, retries, start_period in ns)

    @property
    def container_name(self) -> str:
        return self.name or NAMES[self.role]

    def spec_hash(self, image_tag: str) -> str:
        # Fields at their defaults stay out of the hash, so adding one does not recreate every container.
        spec = {k: v for k, v in self.__dict__.items() if not (k in ("aliases", "mem_limit", "healthcheck") and not v)}
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


_S = 1_000_000_000  # Docker counts HEALTHCHECK times in nanoseconds


def healthcheck(url: str, *, start_period: int) -> dict:
    """The documented HEALTHCHECK (contract §1.4): a plain GET (not --spider, a HEAD) on 127.0.0.1 (not
    localhost), here with the image's static busybox; every 2 s in the lab (30 s documented) so that a failing
    check shows within seconds."""
    # (no -T: this static busybox's wget crashes with it; Docker's own timeout bounds the check)
    return {"test": ["CMD", "/opt/busybox", "wget", "-qO", "/dev/null", url],
            "interval": 2 * _S, "timeout": 3 * _S, "retries": 3, "start_period": start_period * _S}


HEALTHCHECKS = {
    "backend": lambda port: healthcheck(f"http://127.0.0.1:{port}/health", start_period=60),
    "admin": lambda port: healthcheck(f"http://127.0.0.1:{port}/api/ops/version", start_period=30),
}


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
        **edge_env(state),
    }


def edge_env(state: LabState) -> dict[str, str]:
    """CORS and the host allowlist as Coolify sets them for the lab's edge hosts (contract §1.3, §10.2)."""
    admin, site = (h for h in topology.EDGE_ROUTES if not h.startswith("api."))
    port = state.ports.edge_https
    origins = [f"https://{admin}", f"https://{site}", f"https://{admin}:{port}", f"https://{site}:{port}",
               "http://localhost:3000"]
    # The edge hosts, every agency's public host (agency_domains), and the names the lab's own clients use (the
    # direct ports, the site's server-side proxy).
    hosts = list(dict.fromkeys([*topology.EDGE_ROUTES, *topology.public_hosts(), "localhost", "127.0.0.1",
                                NAMES["backend"]]))
    return {"ALLOWED_ORIGINS": ",".join(origins), "ALLOWED_HOSTS": ",".join(hosts), "TRUST_PROXY_HEADERS": "true",
            "CORS_ALLOW_CREDENTIALS": "true", "PUBLIC_RATE_LIMIT_ENABLED": "true"}


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
    model, cf = state.network_model, state.coolify_network

    def nets(role: str) -> list[str]:
        return topology.networks(role, model, supabase=state.supabase_network, coolify=cf)

    port = topology.CONTAINER_PORTS
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
        if role in webapp.SITES:  # the Next.js admin and public website (lab.webapp)
            env = {**webapp.node_service_args(state, role)["env"], "SOURCE_COMMIT": commit,
                   "API_BASE_URL": webapp.api_base_url()}
            if role == "admin":  # its login calls the auth gateway server-side (as the browser's Supabase client would)
                env.update({"SB_URL": f"http://{NAMES['auth']}:{port['auth']}", "ANON_KEY": state.secrets.anon_key})
        elif role in ("worker", "old_worker"):
            env = backend_env(state, commit=commit)
            env.update({"CELERY_POOL": "threads", "CELERY_CONCURRENCY": "4", "WORKER_WAIT_TIMEOUT": "60",
                        "WORKER_WAIT_DB_HOST": NAMES["db"], "WORKER_WAIT_REDIS_HOST": NAMES["redis"]})
        else:
            env = backend_env(state, commit=commit)
        env.update(overrides.get(role, {}).get("env", {}))
        return env

    def mounts(role: str) -> dict[str, dict]:
        return _python_mounts(build_dir(builds.get(role)))

    svc = {
        "db": Service(
            role="db", command=["/bin/sh", "-c", db_script], networks=nets("db"), user="999",
            aliases=topology.aliases("db", model, coolify=cf),
            env={"PGDATA": pgdata, "LANG": "C.UTF-8"}, ports={f"{port['db']}/tcp": ("127.0.0.1", state.ports.db)},
            mounts={"/usr": {"bind": "/usr", "mode": "ro"},
                    str(state.home / "pgdata"): {"bind": pgdata, "mode": "rw"},
                    str(secrets_dir): {"bind": "/run/lab", "mode": "ro"}},
            working_dir="/tmp", restart="unless-stopped",
        ),
        "redis": Service(
            role="redis",
            command=[str(image.redis_server()), "--requirepass", state.secrets.redis_password, "--bind", "0.0.0.0",
                     "--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", "/tmp"],
            networks=nets("redis"), user="999", mounts={"/usr": {"bind": "/usr", "mode": "ro"}}, working_dir="/tmp",
        ),
        "auth": Service(
            role="auth",
            # Access log on: it shows how many tokens a run asked for (once per run, even under xdist).
            command=[py, "-m", "uvicorn", "lab.services.auth.main:app", "--host", "0.0.0.0", "--port", str(port["auth"])],
            networks=nets("auth"), ports={f"{port['auth']}/tcp": ("127.0.0.1", state.ports.auth)}, mounts=mounts("auth"),
            env={**PY_ENV, "JWT_SECRET": state.secrets.jwt_secret, "ANON_KEY": state.secrets.anon_key,
                 "JWT_EXP": "3600", "SITE_URL": state.auth_url,
                 "LAB_USERS_JSON": json.dumps([{"id": state.secrets.admin_user_id, "email": state.secrets.admin_email,
                                                "password": state.secrets.admin_password}]),
                 **overrides.get("auth", {}).get("env", {})},
        ),
        "backend": Service(
            role="backend",
            command=[py, "-m", "uvicorn", "lab.services.backend.main:app", "--host", "0.0.0.0", "--port", str(port["backend"])],
            networks=nets("backend"), ports={f"{port['backend']}/tcp": ("127.0.0.1", state.ports.api)},
            env=pms_env("backend"),
            mounts=mounts("backend"),
        ),
        "worker": Service(role="worker", command=[py, "-m", "lab.services.worker.start"], networks=nets("worker"),
                          env=pms_env("worker"), mounts=mounts("worker")),
        **{role: Service(
            role=role, command=webapp.node_service_args(state, role)["command"], networks=nets(role),
            ports={f"{port[role]}/tcp": ("127.0.0.1", published)}, env=pms_env(role),
            mounts=webapp.node_service_args(state, role)["mounts"], working_dir="/srv/app",
        ) for role, published in (("admin", state.ports.admin), ("website", state.ports.public))},
    }
    for role, check in HEALTHCHECKS.items():
        svc[role].healthcheck = check(port[role])
    for role, over in overrides.items():
        if role in svc and "healthcheck" in over:
            svc[role].healthcheck = over["healthcheck"]
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
        **({"healthcheck": svc.healthcheck} if svc.healthcheck else {}),
        stop_signal="SIGTERM",
    )
    for net in others:
        c.networks.get(net).connect(container, aliases=svc.aliases.get(net))
    if start:
        container.start()
    return container


