"""Which container plays which role, read from `docker ps -a`: accepted names, ghosts, restart history, Redis.

A role (backend, admin, worker, ...) has accepted names: the checklist-era name first, then the March
renames (contract §1.1, §11 item 9). Every container bearing one of them belongs to the role.
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pms_runbook.resources.containers import Container

PMS_ROLES = ("backend", "admin", "worker")
# An OOM kill this recent is the present, not history (Docker keeps State.OOMKilled true after the
# restart-policy restart, until the next exit: seen on Docker 20.10).
OOM_RECENT = timedelta(hours=24)
_EPOCH = datetime.min.replace(tzinfo=UTC)


def of_role(containers, accepted: tuple[str, ...]) -> list[Container]:
    """The containers bearing any accepted name of a role, in the order of the accepted names."""
    by_name = {c.name: c for c in containers}
    return [by_name[n] for n in accepted if n in by_name]


def alive(c: Container) -> bool:
    """Running in Docker's sense: Up, or caught in a restart loop (a stopped ghost is harmless)."""
    return c.up or c.restarting


def pick(containers, accepted: tuple[str, ...]) -> str:
    """The name that plays the role: among accepted names the running one wins (the youngest if several),
    then one restarting, then the first that exists, else the checklist-era name."""
    present = of_role(containers, accepted)
    for wanted in (lambda c: c.up, lambda c: c.restarting, lambda c: True):
        found = [c for c in present if wanted(c)]
        if found:
            return max(found, key=lambda c: c.created_at or c.started_at or _EPOCH).name
    return accepted[0]


def ghosts(containers, accepted: tuple[str, ...]) -> tuple[list[Container], Container | None]:
    """After a rename: the older containers of a role still running beside the youngest one (contract §9 #25)."""
    running = sorted((c for c in of_role(containers, accepted) if alive(c)),
                     key=lambda c: c.created_at or c.started_at or _EPOCH)
    if len(running) < 2:
        return [], None
    return running[:-1], running[-1]


def restart_trouble(c: Container, *, restart_count_max: int, now: datetime | None = None) -> str | None:
    """Why a container's restart history is a loop, or None.

    The rule (documented in README "Step 1"): restarting now; or killed by the kernel's OOM killer in the
    last 24 h (State.OOMKilled with FinishedAt); or more than `restart_count_max` restarts since Docker
    created it (RestartCount: a redeploy creates a new container, so it counts this deploy's crashes).
    A container restarted once long ago and Up since stays green.
    """
    now = now or datetime.now(UTC)
    limit = f", memory limit {c.memory_limit // (1024 * 1024)} MiB" if c.memory_limit else ", no memory limit"
    if c.oom_killed and (c.finished_at is None or now - c.finished_at < OOM_RECENT):
        when = f" at {c.finished_at:%Y-%m-%d %H:%M:%S} UTC" if c.finished_at else ""
        return f"OOMKilled{when}, RestartCount {c.restart_count}{limit}"
    if c.restart_count > restart_count_max:
        since = f" since it was created {c.created_at:%Y-%m-%d %H:%M} UTC" if c.created_at else ""
        return f"RestartCount {c.restart_count}{since} (more than {restart_count_max}){limit}"
    if c.restarting:
        return f"Restarting, RestartCount {c.restart_count}"
    return None


@dataclass(frozen=True)
class RedisTarget:
    """The Redis the backend's configuration names."""

    host: str | None  # None: the backend names no Redis URL
    source: str  # "pms-backend REDIS_URL" or why it is unknown
    shown_url: str  # the URL with its password masked


def mask_url(url: str) -> str:
    """A Redis URL for a report: the password replaced by ***."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "(unreadable URL)"
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = parts.username or ""
    return urllib.parse.urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, ""))


def redis_of(backend: Container | None) -> RedisTarget:
    """REDIS_URL, then CELERY_BROKER_URL, of the backend container: the Redis it really uses."""
    if backend is None:
        return RedisTarget(None, "the backend container is missing", "")
    for key in ("REDIS_URL", "CELERY_BROKER_URL"):
        url = backend.env_value(key)
        if url and url.strip():
            try:
                host = urllib.parse.urlsplit(url.strip()).hostname
            except ValueError:
                host = None
            return RedisTarget(host, f"{backend.name} {key}", mask_url(url.strip()))
    return RedisTarget(None, f"{backend.name} has neither REDIS_URL nor CELERY_BROKER_URL", "")


def answering_to(containers, host: str) -> list[Container]:
    """Containers whose name or a network alias is `host` (what Docker's DNS resolves it to)."""
    return [c for c in containers
            if c.name == host or any(host in names for names in c.aliases.values())]


DB_HOST = "supabase-db"  # the DNS name the backend's DATABASE_URL uses in both models


@dataclass(frozen=True)
class NetworkFinding:
    problem: str
    fix: str


def network_findings(model: str, backend: Container | None, db: Container | None, *, names: dict) -> list[NetworkFinding]:
    """What breaks the network model in force (contract §1.2, §5.3), each with its fix.

    v1 (checklist): the backend is attached to the Supabase network, where supabase-db resolves.
    v2 (March "bridge"): the backend is on coolify, and the DB container is on coolify answering to
    supabase-db (its name or a network alias).
    """
    sb, cf, bname, dname = names["supabase_network"], names["coolify_network"], names["backend"], names["db"]
    if backend is None:
        return [NetworkFinding(f"{bname} is missing", "see Step 1")]
    if model == "v1":
        if sb not in backend.networks:
            return [NetworkFinding(f"{bname} is not attached to the Supabase network {sb} (network model v1)",
                                   f"docker network connect {sb} {bname}")]
        return []
    found = []
    if cf not in backend.networks:
        found.append(NetworkFinding(f"{bname} is not attached to {cf} (network model v2)",
                                    f"docker network connect {cf} {bname}"))
    if db is None:
        found.append(NetworkFinding(f"the DB container {dname} is missing (network model v2)",
                                    f"start {dname} (Supabase in Coolify), then "
                                    f"docker network connect --alias {DB_HOST} {cf} {dname}"))
    elif cf not in db.networks:
        found.append(NetworkFinding(f"the DB container {db.name} is not attached to {cf} as {DB_HOST} "
                                    "(network model v2: the bridge alias is lost)",
                                    f"docker network connect --alias {DB_HOST} {cf} {db.name}"))
    elif db.name != DB_HOST and DB_HOST not in db.aliases.get(cf, ()):
        found.append(NetworkFinding(f"the DB container {db.name} is on {cf} without the alias {DB_HOST}",
                                    f"docker network disconnect {cf} {db.name} && "
                                    f"docker network connect --alias {DB_HOST} {cf} {db.name}"))
    return found


def describe_networks(*containers: Container | None) -> str:
    """`docker inspect ... .NetworkSettings.Networks` per container, with aliases (evidence)."""
    lines = []
    for c in containers:
        if c is not None:
            nets = ", ".join(f"{n} (aliases: {', '.join(a) or '-'})" for n, a in sorted(c.aliases.items()))
            lines.append(f"{c.name}: {nets or 'no network'}")
    return "\n".join(lines) or "(no container)"
