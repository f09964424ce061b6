"""Containers as `docker ps -a` / `docker inspect` show them: `Container`, its parser, its probe and its table.

The probe (`snapshot`, `inspect`) reads through `pms_runbook.transports.docker`; nothing here starts, stops or
changes a container.
"""
from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pms_runbook import render, secrets
from pms_runbook.resources.answer import BadAnswer, excerpt_of, expect_object, json_type, load_json, parse_timestamp, total
from pms_runbook.secrets import Secret

_SECRET_KEY = re.compile(r"PASSWORD|PASSWD|SECRET|KEY|TOKEN|DSN|DATABASE_URL|CREDENTIAL|PRIVATE",
                         re.IGNORECASE)
_NOT_SECRET_VALUES = frozenset({"", "true", "false", "yes", "no", "on", "off", "none", "null"})
_ZERO_TIME_PREFIX = "0001-01-01"


def _looks_secret(key: str, value: str) -> bool:
    if value.strip().lower() in _NOT_SECRET_VALUES or value.strip().isdigit():
        return False
    if _SECRET_KEY.search(key):
        return True
    if key.upper().endswith("_URL") or "://" in value:
        return _url_password(value) is not None
    return False


def _url_password(value: str) -> str | None:
    try:
        parts = urllib.parse.urlsplit(value.strip())
        pw = parts.password
    except ValueError:
        return None
    return pw or None


def _env(entries: Any) -> dict[str, str | Secret]:
    env: dict[str, str | Secret] = {}
    if not isinstance(entries, list):
        return env
    for entry in entries[:5000]:
        if not isinstance(entry, str):
            continue
        key, _, value = entry.partition("=")
        if not key:
            continue
        if _looks_secret(key, value):
            pw = _url_password(value)
            if pw:  # the password alone also travels (decoded, in logs): scrub that too
                secrets.register(pw)
                secrets.register(urllib.parse.unquote(pw))
            env[key] = Secret(value, key)
        else:
            env[key] = value
    return env


def _docker_time(v: Any) -> datetime | None:
    if not isinstance(v, str) or not v or v.startswith(_ZERO_TIME_PREFIX):
        return None
    try:
        return parse_timestamp(v)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class Container:
    name: str
    id: str
    status: str  # running | restarting | exited | created | paused | dead | removing
    restart_count: int
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    image: str | None
    env: dict[str, str | Secret]
    networks: tuple[str, ...]
    health: str | None  # healthy | unhealthy | starting | None (no HEALTHCHECK)
    observed_at: datetime
    cmd: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    hostname: str | None = None
    user: str | None = None
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    oom_killed: bool = False
    error: str | None = None  # State.Error
    created_at: datetime | None = None  # Created: a rename's new container is the younger one
    memory_limit: int | None = None  # HostConfig.Memory in bytes; None = no limit
    healthcheck: tuple[str, ...] | None = None  # Config.Healthcheck.Test (["CMD", ...] / ["CMD-SHELL", "..."])
    health_output: str | None = None  # the last health check's output (State.Health.Log[-1].Output)

    @property
    def restarting(self) -> bool:
        return self.status == "restarting"

    @property
    def up(self) -> bool:
        return self.status == "running" and not self.restarting

    def env_value(self, key: str) -> str | None:
        """An env value in clear (reveals secrets: only for comparisons, never for reports)."""
        v = self.env.get(key)
        if isinstance(v, Secret):
            return v.reveal()
        return v

    def status_text_at(self, now: datetime) -> str:
        """What `docker ps` prints in STATUS, as of `now`."""
        if self.status in ("dead", "removing"):
            return "Dead" if self.status == "dead" else "Removal In Progress"
        if self.status == "restarting":
            since = self.finished_at or self.started_at
            ago = human_duration(now - since) + " ago" if since else ""
            return f"Restarting ({self.exit_code or 0}) {ago}".rstrip()
        if self.status in ("running", "paused"):
            up = "Up " + human_duration(now - self.started_at) if self.started_at else "Up"
            if self.status == "paused":
                return up + " (Paused)"
            if self.health == "starting":
                return up + " (health: starting)"
            if self.health in ("healthy", "unhealthy"):
                return f"{up} ({self.health})"
            return up
        if self.status == "created" or self.started_at is None:
            return "Created"
        if self.finished_at is None:
            return self.status.capitalize()
        return f"Exited ({self.exit_code or 0}) {human_duration(now - self.finished_at)} ago"

    @property
    def status_text(self) -> str:
        return self.status_text_at(self.observed_at)


def human_duration(d: timedelta) -> str:
    """go-units HumanDuration, as used by `docker ps`."""
    seconds = int(d.total_seconds())
    if seconds < 1:
        return "Less than a second"
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(d.total_seconds() / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(d.total_seconds() // 3600) // 24 // 365} years"


def _strlist(v: Any) -> tuple[str, ...] | None:
    if isinstance(v, str):
        return (v,)
    if isinstance(v, list):
        return tuple(str(x) for x in v[:200])
    return None


def _attrs(attrs: Any, endpoint: str) -> dict:
    if isinstance(attrs, (bytes, str)):
        attrs = load_json(attrs, endpoint=endpoint)
        if isinstance(attrs, list) and len(attrs) == 1:  # `docker inspect` prints an array
            attrs = attrs[0]
    return expect_object(attrs, endpoint, attrs, "container attrs")


def _name(a: dict, endpoint: str) -> str:
    name = a.get("Name")
    if not isinstance(name, str) or not name.strip("/"):
        raise BadAnswer(endpoint, "container has no Name", excerpt_of(a))
    return name


_STATE_FLAGS = (("Restarting", "restarting"), ("Paused", "paused"), ("Running", "running"), ("Dead", "dead"))


def _status(state: dict, name: str, endpoint: str, a: dict) -> str:
    """State.Status, lowercased; very old engines give only the booleans."""
    if state.get("Restarting") is True:
        return "restarting"  # Running is true while restarting; Restarting is the truth
    status = state.get("Status")
    if isinstance(status, str) and status:
        return status.lower()
    derived = next((word for flag, word in _STATE_FLAGS if state.get(flag) is True), None)
    if derived is None:
        raise BadAnswer(endpoint, f"{name}: no State.Status", excerpt_of(a))
    return derived


def _section(a: dict, key: str) -> dict:
    v = a.get(key)
    return v if isinstance(v, dict) else {}


def _aliases(a: dict) -> dict[str, tuple[str, ...]]:
    """Each network the container is on, with its names there (Aliases, then DNSNames)."""
    nets = _section(_section(a, "NetworkSettings"), "Networks")
    aliases: dict[str, tuple[str, ...]] = {}
    for net, info in list(nets.items())[:100]:
        names: list[str] = []
        if isinstance(info, dict):
            for key in ("Aliases", "DNSNames"):
                names += [x for x in info.get(key) or [] if isinstance(x, str) and x not in names]
        aliases[str(net)] = tuple(names)
    return aliases


def _int(v: Any, *, minimum: int | None = None) -> int | None:
    if not isinstance(v, int) or isinstance(v, bool) or (minimum is not None and v < minimum):
        return None
    return v


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _health(state: dict) -> str | None:
    """healthy | unhealthy | starting, or None for an image without a HEALTHCHECK."""
    health = state.get("Health")
    status = health.get("Status") if isinstance(health, dict) else None
    return status.lower() if isinstance(status, str) and status else None


def _last_health_output(state: dict) -> str | None:
    log = state.get("Health", {}).get("Log") if isinstance(state.get("Health"), dict) else None
    if isinstance(log, list) and log and isinstance(log[-1], dict):
        out = log[-1].get("Output")
        return out.strip()[:300] if isinstance(out, str) else None
    return None


@total("docker inspect")
def parse_container(attrs: Any, *, now: datetime | None = None, endpoint: str = "docker inspect") -> Container:
    """A `container.attrs` dict (the `docker inspect` JSON of one container)."""
    a = _attrs(attrs, endpoint)
    name = _name(a, endpoint)
    state = a.get("State")
    if not isinstance(state, dict):
        raise BadAnswer(endpoint, f"{name}: State is {json_type(state)}, expected an object", excerpt_of(a))
    cfg = _section(a, "Config")
    aliases = _aliases(a)
    mem = _int(_section(a, "HostConfig").get("Memory"), minimum=1)
    return Container(
        name=name.lstrip("/"),
        id=(_str(a.get("Id")) or "")[:12],
        status=_status(state, name, endpoint, a),
        restart_count=_int(a.get("RestartCount"), minimum=0) or 0,
        started_at=_docker_time(state.get("StartedAt")),
        finished_at=_docker_time(state.get("FinishedAt")),
        exit_code=_int(state.get("ExitCode")),
        image=_str(cfg.get("Image")),
        env=_env(cfg.get("Env")),
        networks=tuple(sorted(aliases)),
        health=_health(state),
        observed_at=now or datetime.now(UTC),
        cmd=_strlist(cfg.get("Cmd")),
        entrypoint=_strlist(cfg.get("Entrypoint")),
        hostname=_str(cfg.get("Hostname")),
        user=_str(cfg.get("User")),
        aliases=aliases,
        oom_killed=state.get("OOMKilled") is True,
        error=_str(state.get("Error")) or None,
        created_at=_docker_time(a.get("Created")),
        healthcheck=_strlist(_section(cfg, "Healthcheck").get("Test")) if isinstance(cfg.get("Healthcheck"), dict)
        else None,
        health_output=_last_health_output(state),
        memory_limit=mem,
    )


def format_table(containers: Iterable[Container], *, now: datetime | None = None) -> str:
    """A `docker ps`-like table: NAMES, STATUS, IMAGE, RESTARTS, NETWORKS."""
    header = ("NAMES", "STATUS", "IMAGE", "RESTARTS", "NETWORKS")
    rows = [(c.name, c.status_text_at(now) if now is not None else c.status_text, c.image or "",
             str(c.restart_count), ",".join(c.networks)) for c in containers]
    if not rows:
        return "\t".join(header) + "\n(no containers)"
    return render.table([header, *rows], gap=3)


@dataclass(frozen=True)
class ContainerSet:
    """`docker ps -a` at one moment, parsed."""

    containers: tuple

    def named(self, name: str):
        return next((c for c in self.containers if c.name == name), None)

    def matching(self, prefix: str) -> ContainerSet:
        """Containers whose name is the prefix or starts with it (pms-worker matches pms-worker-v2)."""
        return ContainerSet(tuple(c for c in self.containers if c.name == prefix or c.name.startswith(prefix)))

    @property
    def up(self) -> list:
        return [c for c in self.containers if c.up]

    def table(self) -> str:
        return format_table(list(self.containers)) if self.containers else "(no container)"


def snapshot(engine) -> ContainerSet:
    """`docker ps -a` with the inspect details of each container."""
    from pms_runbook.transports import docker  # the SDK only when Docker is read

    return ContainerSet(tuple(parse_container(attrs) for attrs in docker.list_attrs(engine)))


def inspect(engine, name: str) -> Container | None:
    from pms_runbook.transports import docker

    attrs = docker.inspect_attrs(engine, name)
    return None if attrs is None else parse_container(attrs)


@dataclass(frozen=True)
class SecondLook:
    """A container that restarted lately, looked at twice: a restart loop climbs or is down again."""

    first_count: int
    second_count: int
    up_again: bool

    @property
    def looping(self) -> bool:
        return self.second_count > self.first_count or not self.up_again


def second_looks(engine, containers) -> dict[str, SecondLook]:
    """A second look, 2 s later, at every container that ever restarted: a loop caught between two crashes
    looks Up, its RestartCount climbs. (None restarted: no wait.)"""
    suspects = [c for c in containers if c.restart_count > 0 and not c.restarting]
    if not suspects:
        return {}
    time.sleep(2.0)
    looks = {}
    for c in suspects:
        later = inspect(engine, c.name)
        looks[c.name] = SecondLook(c.restart_count, later.restart_count if later else c.restart_count,
                                   bool(later and later.up))
    return looks
