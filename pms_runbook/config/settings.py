"""`Settings`: the resolved values of one run, frozen, each with where it came from."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from pms_runbook import secrets
from pms_runbook.secrets import Secret

from .table import BY_NAME, BY_VARIABLE, DOCKER, ConfigError, how_to_set


@dataclass(frozen=True)
class Settings:
    profile: str
    api_url: str | None
    admin_url: str | None
    sb_url: str | None
    expected_commit: str | None
    docker: str  # "local" | "none" | "ask" (not given, the profile wants it given) | an address (ssh://, tcp://, unix://)
    docker_host: str | None  # the address to give the Docker SDK; None = its default (socket)
    frontend_dir: Path | None
    supabase_network: str
    containers: Mapping[str, tuple[str, ...]]
    retention_days: int
    failed_share_max: float
    batch_window_hours: float
    http_connect_timeout: float
    http_read_timeout: float
    http_total_deadline: float
    db_statement_timeout_ms: int
    ready_wait_seconds: float
    ready_poll_seconds: float
    sync_log_stale_minutes: float
    coolify_network: str = "coolify"
    network_model: str = "v1"
    restart_count_max: int = 3
    batch_pages_max: int = 50
    public_host: str | None = None
    edge_api_url: str | None = None
    edge_admin_url: str | None = None
    edge_site_url: str | None = None
    edge_origins: str | None = None
    edge_issuer: str | None = None
    cert_min_days: int = 14
    edge_ca_file: str | None = None
    edge_resolve: str | None = None
    runbook_url: str = "https://github.com/Kolibri-Visions/pms-webapp-docs/blob/main/ops/"
    anon_key: Secret | None = None
    admin_email: str | None = None
    admin_password: Secret | None = None
    db_dsn: Secret | None = None
    env_file: Path | None = None
    public_url: str | None = None
    lab_faults: tuple[str, ...] = ()
    lab_error: str | None = None  # why the lab status could not be read (lab profile only)
    problems: tuple[str, ...] = ()  # invalid values, kept (resolve(strict=False)) for `require` to name with the rest
    notes: tuple[str, ...] = ()  # deprecated names in use: still read, to be renamed
    sources: Mapping[str, str] = field(default_factory=dict, repr=False)  # field -> where it came from

    @property
    def docker_enabled(self) -> bool:
        return self.docker not in ("none", "ask")

    @property
    def production(self) -> bool:
        return self.profile == "production"

    def container(self, role: str) -> str:
        """The (checklist-era) name of a role's container: backend, admin, worker, old_worker, redis, db."""
        names = self.container_names(role)
        if not names:
            raise KeyError(f"no container name configured for role {role!r}")
        return names[0]

    def container_names(self, role: str) -> tuple[str, ...]:
        """All accepted names of a role's container, the checklist-era name first."""
        return tuple(self.containers.get(role, ()))

    def _field_for(self, name: str) -> str:
        if name in BY_NAME or hasattr(self, name):
            return name
        if name in BY_VARIABLE:
            return BY_VARIABLE[name].name
        if name in DOCKER.env or name == "DOCKER_HOST":
            return "docker"
        raise KeyError(f"unknown setting {name!r}")

    def missing(self, *names: str) -> list[str]:
        """The names (as given) whose value is missing or empty."""
        out = []
        for name in names:
            fname = self._field_for(name)
            value = getattr(self, fname, None)
            if fname == "docker" and value == "ask":  # the profile asks for Docker access: not given
                out.append(name)
            elif value is None or (isinstance(value, (str, Secret)) and not _text_of(value).strip()):
                out.append(name)
        return out

    def require(self, *names: str) -> None:
        """Raise one ConfigError listing every missing value among `names`, with how to set each, and
        every invalid value kept by resolve(strict=False): all that is wrong, at once."""
        missing = [m for m in self.missing(*names)
                   if not any(p.startswith(self._field_for(m) + " ") for p in self.problems)]  # named once
        if not missing and not self.problems:
            return
        lines = []
        if self.problems:
            lines.append(f"invalid configuration for profile {self.profile!r}:")
            lines += [f"  - {p}" for p in self.problems]
        if missing:
            lines.append(f"missing configuration for profile {self.profile!r} ({len(missing)} value(s)):")
        for name in missing:
            lines.append(f"  - {name}: {how_to_set(self._field_for(name), self.profile)}")
        lines.append("nothing was sent to the target; set the values and run again")
        raise ConfigError("\n".join(lines), missing=tuple(missing), problems=self.problems)

    def describe(self) -> str:
        """The resolved settings with their sources, for a report header. Secrets stay masked."""
        rows = []
        for f in fields(self):
            if f.name in ("sources",):
                continue
            v = getattr(self, f.name)
            if isinstance(v, Mapping):
                v = ", ".join(f"{k}={'/'.join(x) if isinstance(x, tuple) else x}" for k, x in v.items())
            src = self.sources.get(f.name)
            rows.append(f"{f.name} = {v}" + (f"   [{src}]" if src else ""))
        return secrets.scrub("\n".join(rows))


def _text_of(v: str | Secret) -> str:
    return v.reveal() if isinstance(v, Secret) else v
