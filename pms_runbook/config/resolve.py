"""`resolve`: for every setting of the table, the first value given of

    command-line option  >  environment variable  >  .env file  >  lab status (lab only)  >  profile

validated by the table, into a frozen `Settings`. An empty value counts as "not given" and falls
through. Secrets are wrapped in `Secret` (and registered for scrubbing) the moment they are read.

Docker: the profile's `docker` is "local" (DOCKER_HOST, else the local socket), "none" (Docker
checks skip), "ask" (the run must say: --docker-host or PMS_DOCKER_HOST) or an address. A plain
`DOCKER_HOST` only fills in *where* "local" is; it never turns Docker on for a profile that says
"none" (a laptop's DOCKER_HOST cannot make a production run inspect the laptop's containers).
"""
from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pms_runbook import secrets, transports
from pms_runbook.secrets import Secret

from .profiles import Profile, load_profiles
from .settings import Settings
from .table import DOCKER, PMS_ENV, SETTINGS, ConfigError, Setting

_SECRET_MIN_LEN = getattr(secrets, "_MIN_LEN", 4)


def read_dotenv(path: str | os.PathLike | None) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (python-dotenv's reading: `export`, comments, quotes, multi-line
    values; no variable expansion). A missing file gives {}; a line it cannot parse is left out."""
    if path is None:
        return {}
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"env file {p} is a directory")
    if not p.exists():
        return {}
    from dotenv import dotenv_values

    try:
        values = dotenv_values(p, interpolate=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read env file {p}: {exc}") from None
    return {k: v for k, v in values.items() if v is not None}


def _given(v: Any) -> bool:
    return v is not None and (not isinstance(v, str) or bool(v.strip()))


def _option(options: Mapping[str, Any], s: Setting) -> Any:
    keys = (s.name, s.dest) if s.dest else (s.name,)
    for key in keys:
        for k in (key, "--" + key.replace("_", "-"), key.replace("_", "-")):
            if k in options:
                return options[k]
    return None


class _Sources:
    """The layers of one resolution, asked setting by setting; records where each value came from."""

    def __init__(self, options, environ, dotenv, lab, profile: Profile):
        self.options, self.environ, self.dotenv, self.lab, self.profile = options, environ, dotenv, lab, profile
        self.sources: dict[str, str] = {}
        self.notes: list[str] = list(profile.deprecated)

    def pick(self, s: Setting) -> Any:
        v = _option(self.options, s) if s.option else None
        if _given(v):
            self.sources[s.name] = f"option {s.option}"
            return v
        for where, mapping in (("environment", self.environ), (".env", self.dotenv)):
            for env in s.variables:
                v = mapping.get(env)
                if _given(v):
                    if s.secret:
                        secrets.register(v)
                    if env not in s.env:
                        self.notes.append(f"{env} is the old name of {s.env[0]}: rename it (still read)")
                    self.sources[s.name] = f"{where} {env}"
                    return v
        for key in s.lab:
            if _given(self.lab.get(key)):
                self.sources[s.name] = f"lab status {key}"
                return self.lab[key]
        if s.profile:
            v = getattr(self.profile, s.name)
            if _given(v):
                self.sources[s.name] = f"profile {self.profile.name}"
                return v
        return None


def _secret(s: Setting, v: Any, where: str | None, problems: list[str]) -> Secret | None:
    if not isinstance(v, str):
        problems.append(f"{s.name} from {where} is not a string")
        return None
    v = v.strip()
    if len(v) < _SECRET_MIN_LEN:
        problems.append(f"{s.name} from {where} is shorter than {_SECRET_MIN_LEN} characters: "
                        "too short to be kept out of reports, refused")
        return None
    if s.name == "db_dsn":  # its password alone must be scrubbed too, raw and URL-decoded
        try:
            pw = urllib.parse.urlsplit(v).password
        except ValueError:
            pw = None
        if pw:
            secrets.register(pw)
            secrets.register(urllib.parse.unquote(pw))
        m = re.search(r"(?:^|\s)password=(\S+)", v)  # key=value DSN form
        if m:
            secrets.register(m.group(1).strip("'\""))
    return Secret(v, s.name)


def _is_docker_url(s: str) -> bool:
    """A URL the Docker transport opens (the one choice of transport by URL: `transports.kind`)."""
    try:
        return transports.kind(s) == "docker"
    except ValueError:
        return False


def _docker(src: _Sources, problems: list[str]) -> tuple[str, str | None]:
    """(docker, docker_host): the option or PMS_DOCKER_HOST override the profile; DOCKER_HOST only locates "local"."""
    s = str(src.pick(DOCKER) or "none").strip()  # an empty profile value: no Docker
    if s.lower() in ("local", "none", "ask"):
        docker = s.lower()
    elif _is_docker_url(s):
        docker = s
    else:
        problems.append(f"docker host {s!r}: expected 'local', 'none', 'ask', or ssh://, tcp://, unix:// address")
        docker = "none"
    if docker in ("none", "ask"):
        return docker, None
    if docker != "local":
        return docker, docker
    for where, mapping in (("environment", src.environ), (".env", src.dotenv)):
        if _given(mapping.get("DOCKER_HOST")):
            src.sources["docker_host"] = f"{where} DOCKER_HOST"
            return docker, mapping["DOCKER_HOST"].strip()
    return docker, None


def _lab_status(lab_status: Callable[[], Any] | None) -> tuple[dict[str, Any], str | None]:
    """The lab status (optional, possibly partial) and why it could not be read."""
    if lab_status is None:
        return {}, None
    try:
        got = lab_status()
    except Exception as exc:  # noqa: BLE001 - the lab not running is a fact, not a crash
        return {}, secrets.scrub(f"{type(exc).__name__}: {exc}")[:300]
    if got is None or isinstance(got, dict):
        return got or {}, None
    return {}, f"lab status is {type(got).__name__}, expected an object"


def _containers(prof: Profile, lab: dict[str, Any], sources: dict[str, str]) -> dict[str, tuple[str, ...]]:
    containers = dict(prof.containers)
    lab_containers = lab.get("containers")
    if isinstance(lab_containers, dict):
        for role, cname in lab_containers.items():
            if isinstance(cname, str) and cname.strip():
                # The lab's name first, the profile's other accepted names still accepted (renames, ghosts).
                containers[str(role)] = (cname.strip(),) + tuple(
                    n for n in containers.get(str(role), ()) if n != cname.strip())
                sources[f"containers.{role}"] = "lab status containers"
    return containers


def resolve(*, options: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None,
            dotenv: Mapping[str, str] | None = None, lab_status: Callable[[], dict] | None = None,
            profiles: Mapping[str, Profile] | None = None,
            profiles_path: str | os.PathLike | None = None, strict: bool = True) -> Settings:
    """Merge option > environment > .env > lab status (lab profile only) > profile into Settings.

    Invalid values raise ConfigError; with strict=False they are kept in `Settings.problems` (the value
    itself unset) so that `require` names them together with the missing ones."""
    options, environ, dotenv = options or {}, environ if environ is not None else {}, dotenv or {}
    if profiles is None:
        profiles = load_profiles(profiles_path)
    chosen = next((str(v).strip() for v in (_option(options, PMS_ENV), environ.get("PMS_ENV"), dotenv.get("PMS_ENV"))
                   if _given(v)), None)
    name = chosen or getattr(profiles, "default", "lab")
    if name not in profiles:
        raise ConfigError(f"unknown profile {name!r}; known profiles: {', '.join(sorted(profiles))} "
                          "(choose with --pms-env NAME or PMS_ENV)")
    prof = profiles[name]
    lab, lab_error = _lab_status(lab_status) if name == "lab" else ({}, None)
    for s in SETTINGS:  # register the lab's secrets before anything can print them
        if s.secret and any(isinstance(lab.get(k), str) for k in s.lab):
            secrets.register(next(lab[k] for k in s.lab if isinstance(lab.get(k), str)))

    src = _Sources(options, environ, dotenv, lab, prof)
    problems: list[str] = []
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = src.pick(s)
        if raw is None:
            values[s.name] = None
        elif s.secret:
            values[s.name] = _secret(s, raw, src.sources.get(s.name), problems)
        else:
            try:
                values[s.name] = s.parse(raw)
            except ValueError as exc:
                problems.append(f"{exc} [from {src.sources.get(s.name)}]")
                values[s.name] = None
        if values[s.name] is None and s.profile:  # unset or invalid: the profile's (dataclass) default
            values[s.name] = getattr(prof, s.name) if _given(getattr(prof, s.name)) else None
    docker, docker_host = _docker(src, problems)
    if values["frontend_dir"] is not None:
        values["frontend_dir"] = Path(os.path.expanduser(str(values["frontend_dir"])))
    faults = lab.get("faults")
    env_file = _option(options, Setting("env_file", "path", "", "--env-file"))

    if problems and strict:
        raise ConfigError(f"invalid configuration for profile {name!r}:\n"
                          + "\n".join(f"  - {p}" for p in problems), problems=tuple(problems))
    return Settings(
        profile=name, docker=docker, docker_host=docker_host,
        containers=MappingProxyType(_containers(prof, lab, src.sources)),
        env_file=Path(env_file) if _given(env_file) else None,
        lab_faults=tuple(str(x) for x in faults) if isinstance(faults, list) else (), lab_error=lab_error,
        problems=tuple(problems), notes=tuple(dict.fromkeys(src.notes)), sources=MappingProxyType(src.sources),
        **values,
    )


def from_options(options: Mapping[str, Any], *, environ: Mapping[str, str] | None = None,
                 lab_status: Callable[[], dict] | None = None,
                 profiles_path: str | os.PathLike | None = None) -> Settings:
    """`resolve` with the .env file named by the `env_file` option and the real environment."""
    env_file = options.get("env_file") or ".env"
    return resolve(options=options, environ=os.environ if environ is None else environ,
                   dotenv=read_dotenv(env_file), lab_status=lab_status, profiles_path=profiles_path)
