"""Target profiles (environments.toml): a `[defaults]` table merged under each `[profiles.NAME]`.

Never secrets: a key that looks like one is refused. Which keys exist and of which type comes from
the settings table (pms_runbook.config.table), plus `description`, `docker` and `[containers]`.
"""
from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .table import SETTINGS, ConfigError

DEFAULT_PROFILES_PATH = Path(__file__).resolve().parent.parent.parent / "environments.toml"
CONTAINER_ROLES = ("backend", "admin", "worker", "old_worker", "redis", "db", "proxy")


@dataclass(frozen=True)
class Profile:
    name: str
    description: str = ""
    api_url: str | None = None
    admin_url: str | None = None
    public_url: str | None = None
    sb_url: str | None = None
    docker: str = "local"
    supabase_network: str = "bccg4gs4o4kgsowocw08wkw4"
    coolify_network: str = "coolify"
    network_model: str = "v1"  # v1: PMS containers on coolify + the Supabase network; v2: DB aliased into coolify
    containers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    retention_days: int = 90
    failed_share_max: float = 0.10
    batch_window_hours: float = 24
    http_connect_timeout: float = 3.0
    http_read_timeout: float = 10.0
    http_total_deadline: float = 20.0
    db_statement_timeout_ms: int = 5000
    ready_wait_seconds: float = 90
    ready_poll_seconds: float = 3.0
    sync_log_stale_minutes: float = 60
    restart_count_max: int = 3
    frontend_dir: str | None = None
    batch_pages_max: int = 50
    public_host: str | None = None
    edge_api_url: str | None = None
    edge_admin_url: str | None = None
    edge_site_url: str | None = None
    edge_origins: str | None = None
    edge_issuer: str | None = None
    cert_min_days: int = 14
    edge_ca_file: str | None = None
    runbook_url: str = "https://github.com/Kolibri-Visions/pms-webapp-docs/blob/main/ops/"
    deprecated: tuple[str, ...] = ()  # notes on old keys used in the file


PROFILE_KEYS = {f.name for f in fields(Profile)} - {"name", "deprecated"}
_KIND = {s.name: s.kind for s in SETTINGS if s.profile} | {"description": "text", "docker": "text"}
_OLD_KEYS = {old: s.name for s in SETTINGS for old in s.old_keys}
_KEEP_EMPTY = {"description", "docker", "supabase_network", "coolify_network", "network_model"}
_SECRETISH_KEY = re.compile(r"password|passwd|secret|token|anon_key|api_key|apikey|dsn|credential|private",
                            re.IGNORECASE)


class Profiles(dict):
    """name -> Profile, plus `.default` (the profile used when none is chosen) and `.path`."""

    default: str = "lab"
    path: Path | None = None


def _container_names(role: str, v: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if isinstance(v, str) and v.strip():
        return (v.strip(),)
    if isinstance(v, list) and v and all(isinstance(x, str) and x.strip() for x in v):
        return tuple(x.strip() for x in v)
    problems.append(f"{where}.containers.{role}: expected a name or a non-empty list of names")
    return ()


_BAD = object()  # a value of the wrong type: left out (the dataclass default stays), its problem noted


def _typed(key: str, v: Any, where: str, problems: list[str]) -> Any:
    """The value of a scalar key, or _BAD (and a problem) when it has the wrong type."""
    kind = _KIND[key]
    if kind == "int":
        if isinstance(v, bool) or not isinstance(v, int):
            problems.append(f"{where}.{key}: expected a whole number, got {v!r}")
            return _BAD
        return v
    if kind == "float":
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            problems.append(f"{where}.{key}: expected a number, got {v!r}")
            return _BAD
        return float(v)
    if not isinstance(v, str):
        problems.append(f"{where}.{key}: expected a string, got {v!r}")
        return _BAD
    return v if key in _KEEP_EMPTY else (v.strip() or None)


def _profile_values(raw: Mapping[str, Any], where: str, problems: list[str], notes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, v in raw.items():
        if _SECRETISH_KEY.search(key):
            problems.append(f"{where}.{key}: secrets never go into environments.toml; "
                            "set them in the environment or a git-ignored .env")
        elif key == "containers":
            if not isinstance(v, dict):
                problems.append(f"{where}.containers: expected a table role = name")
                continue
            out["containers"] = {str(r): _container_names(str(r), n, where, problems) for r, n in v.items()}
        elif key in _OLD_KEYS:
            notes.append(f"{where}.{key} is the old name of {_OLD_KEYS[key]}: rename it (still read)")
            out.setdefault(_OLD_KEYS[key], _typed(_OLD_KEYS[key], v, where, problems))
        elif key not in PROFILE_KEYS:
            problems.append(f"{where}.{key}: unknown key (known: {', '.join(sorted(PROFILE_KEYS))})")
        else:
            out[key] = _typed(key, v, where, problems)
    return {k: v for k, v in out.items() if v is not _BAD}


def load_profiles(path: str | os.PathLike | None = None) -> Profiles:
    """Read environments.toml: `default`, a `[defaults]` table merged under each `[profiles.NAME]`."""
    p = Path(path) if path is not None else DEFAULT_PROFILES_PATH
    try:
        with open(p, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"profiles file {p} not found") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read profiles file {p}: {exc}") from None
    problems: list[str] = []
    notes: list[str] = []
    for key in sorted(set(doc) - {"default", "defaults", "profiles"}):
        problems.append(f"{key}: unknown top-level key (expected default, [defaults], [profiles.NAME])")
    defaults_raw = doc.get("defaults", {})
    if not isinstance(defaults_raw, dict):
        problems.append("[defaults] must be a table")
        defaults_raw = {}
    base = _profile_values(defaults_raw, "defaults", problems, notes)
    profiles_raw = doc.get("profiles", {})
    if not isinstance(profiles_raw, dict) or not profiles_raw:
        problems.append("no [profiles.NAME] table")
        profiles_raw = {}
    result = Profiles()
    result.path = p
    for name, raw in profiles_raw.items():
        if not isinstance(raw, dict):
            problems.append(f"profiles.{name} must be a table")
            continue
        own_notes: list[str] = []
        own = _profile_values(raw, f"profiles.{name}", problems, own_notes)
        containers = dict(base.get("containers", {}))
        containers.update(own.pop("containers", {}))
        vals = {**base, **own, "containers": MappingProxyType(containers)}
        result[name] = Profile(name=name, deprecated=tuple(notes + own_notes), **vals)
    default = doc.get("default", "lab")
    if not isinstance(default, str) or (result and default not in result):
        problems.append(f"default = {default!r} is not one of the profiles ({', '.join(sorted(result))})")
    else:
        result.default = default
    if problems:
        raise ConfigError(f"{p}: invalid profiles file:\n" + "\n".join(f"  - {x}" for x in problems),
                          problems=tuple(problems))
    return result
