"""Which target, with what names and thresholds, and the secrets to reach it.

Profiles live in `environments.toml` (never secrets). `resolve()` merges, for every value:

    command-line option  >  environment variable  >  .env file  >  lab status (lab only)  >  profile

and returns a frozen `Settings`. Secrets (anon key, admin password, DB DSN) are wrapped in `Secret`
the moment they are read, so their repr is masked and `secrets.scrub` removes them from reports.
An empty value counts as "not given" and falls through to the next source.

`Settings.require(*names)` raises one `ConfigError` naming *every* missing value at once, with how
to set it: the runbook's "empty TOKEN" / "unbound variable" pitfall (§9 #19, red flag F5) becomes
a clear refusal before any request is sent.

Docker: the profile's `docker` is "local" (DOCKER_HOST, else the local socket), "none" (Docker
checks skip), "ask" (the run must say: a run that selects Docker checks without --docker-host or
PMS_DOCKER_HOST is a configuration error; "none" is then an explicit choice) or an address
(ssh://user@host, tcp://, unix://). `--docker-host` or `PMS_DOCKER_HOST`
override the profile. A plain `DOCKER_HOST` in the environment only fills in *where* "local" is; it
never turns Docker on for a profile that says "none" (so a laptop's DOCKER_HOST cannot make a
production run inspect the laptop's containers).
"""
from __future__ import annotations

import math
import os
import re
import tomllib
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import secrets
from .secrets import Secret

__all__ = [
    "CONTAINER_ROLES",
    "DEFAULT_PROFILES_PATH",
    "ConfigError",
    "Profile",
    "Profiles",
    "Settings",
    "from_options",
    "load_profiles",
    "read_dotenv",
    "resolve",
]

DEFAULT_PROFILES_PATH = Path(__file__).resolve().parent.parent / "environments.toml"
CONTAINER_ROLES = ("backend", "admin", "worker", "old_worker", "redis", "db")
_SECRET_MIN_LEN = getattr(secrets, "_MIN_LEN", 4)


class ConfigError(Exception):
    """The run cannot start: a bad profile, an invalid value, or required values missing."""

    def __init__(self, message: str, *, missing: tuple[str, ...] = (), problems: tuple[str, ...] = ()):
        super().__init__(secrets.scrub(message))
        self.missing = tuple(missing)
        self.problems = tuple(problems)


# --------------------------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Profile:
    name: str
    description: str = ""
    api_url: str | None = None
    admin_url: str | None = None
    sb_url: str | None = None
    docker: str = "local"
    supabase_network: str = "bccg4gs4o4kgsowocw08wkw4"
    coolify_network: str = "coolify"
    network_model: str = "v1"  # v1: PMS containers on coolify + the Supabase network; v2: DB aliased into coolify
    containers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    retention_days: int = 90
    failed_batch_threshold: float = 0.10
    batch_window_hours: float = 24
    http_connect_timeout: float = 3.0
    http_read_timeout: float = 10.0
    http_total_deadline: float = 20.0
    db_statement_timeout_ms: int = 5000
    ready_wait_seconds: float = 90
    ready_poll_seconds: float = 3.0
    sync_log_stale_minutes: float = 60
    restart_count_max: int = 3  # Step 1: more restarts than this since the container was created is a loop
    frontend_dir: str | None = None
    batch_pages_max: int = 50  # Step 4: pages (of 200 batches) read per connection and window; more is could-not-check


_PROFILE_KEYS = {f.name for f in fields(Profile)} - {"name"}
_INT_KEYS = {"retention_days", "db_statement_timeout_ms", "restart_count_max", "batch_pages_max"}
_FLOAT_KEYS = {"failed_batch_threshold", "batch_window_hours", "http_connect_timeout", "http_read_timeout",
               "http_total_deadline", "ready_wait_seconds", "ready_poll_seconds", "sync_log_stale_minutes"}
_STR_KEYS = {"description", "api_url", "admin_url", "sb_url", "docker", "supabase_network", "frontend_dir",
             "coolify_network", "network_model"}
NETWORK_MODELS = ("v1", "v2")
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


def _profile_values(raw: Mapping[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, v in raw.items():
        if _SECRETISH_KEY.search(key):
            problems.append(f"{where}.{key}: secrets never go into environments.toml; "
                            "set them in the environment or a git-ignored .env")
            continue
        if key == "containers":
            if not isinstance(v, dict):
                problems.append(f"{where}.containers: expected a table role = name")
                continue
            out["containers"] = {str(r): _container_names(str(r), n, where, problems) for r, n in v.items()}
        elif key not in _PROFILE_KEYS:
            problems.append(f"{where}.{key}: unknown key (known: {', '.join(sorted(_PROFILE_KEYS))})")
        elif key in _INT_KEYS:
            if isinstance(v, bool) or not isinstance(v, int):
                problems.append(f"{where}.{key}: expected a whole number, got {v!r}")
            else:
                out[key] = v
        elif key in _FLOAT_KEYS:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                problems.append(f"{where}.{key}: expected a number, got {v!r}")
            else:
                out[key] = float(v)
        elif key in _STR_KEYS:
            if not isinstance(v, str):
                problems.append(f"{where}.{key}: expected a string, got {v!r}")
            else:
                out[key] = v.strip() or None if key not in ("description", "docker", "supabase_network",
                                                              "coolify_network", "network_model") else v
    return out


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
    unknown_top = set(doc) - {"default", "defaults", "profiles"}
    for key in sorted(unknown_top):
        problems.append(f"{key}: unknown top-level key (expected default, [defaults], [profiles.NAME])")
    defaults_raw = doc.get("defaults", {})
    if not isinstance(defaults_raw, dict):
        problems.append("[defaults] must be a table")
        defaults_raw = {}
    base = _profile_values(defaults_raw, "defaults", problems)
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
        vals = dict(base)
        own = _profile_values(raw, f"profiles.{name}", problems)
        containers = dict(base.get("containers", {}))
        containers.update(own.pop("containers", {}))
        vals.update(own)
        vals["containers"] = MappingProxyType(containers)
        result[name] = Profile(name=name, **vals)
    default = doc.get("default", "lab")
    if not isinstance(default, str) or (result and default not in result):
        problems.append(f"default = {default!r} is not one of the profiles ({', '.join(sorted(result))})")
    else:
        result.default = default
    if problems:
        raise ConfigError(f"{p}: invalid profiles file:\n" + "\n".join(f"  - {x}" for x in problems),
                          problems=tuple(problems))
    return result


# --------------------------------------------------------------------------------------------
# .env
# --------------------------------------------------------------------------------------------

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def read_dotenv(path: str | os.PathLike | None) -> dict[str, str]:
    """A simple .env reader: KEY=VALUE lines, `export ` prefix, # comments, '…' (literal) and "…"
    (with \\n, \\", \\\\ escapes; may span lines) quoting. A missing file gives {}.
    No variable expansion. Malformed lines are ignored."""
    if path is None:
        return {}
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise ConfigError(f"env file {p} is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read env file {p}: {exc}") from None
    return parse_dotenv(text)


def parse_dotenv(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        # one logical line
        j = text.find("\n", i)
        line_end = n if j < 0 else j
        line = text[i:line_end]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            i = line_end + 1
            continue
        body = stripped
        if body.startswith(("export ", "export\t")):
            body = body[7:].lstrip()
        key, eq, rest = body.partition("=")
        key = key.strip()
        if not eq or not _KEY.fullmatch(key):
            i = line_end + 1
            continue
        rest = rest.lstrip()
        # where `rest` starts in text (a suffix of the stripped line), for quoted values spanning lines
        lead = len(line) - len(line.lstrip())
        start = i + lead + len(stripped) - len(rest)
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            k = start + 1
            buf: list[str] = []
            closed = False
            while k < n:
                ch = text[k]
                if ch == "\\" and quote == '"' and k + 1 < n:
                    nxt = text[k + 1]
                    buf.append(_ESCAPES.get(nxt, "\\" + nxt))
                    k += 2
                    continue
                if ch == quote:
                    closed = True
                    break
                buf.append(ch)
                k += 1
            if not closed:  # unterminated: take the rest of the line literally
                out[key] = rest[1:].rstrip()
                i = line_end + 1
                continue
            out[key] = "".join(buf)
            j = text.find("\n", k)
            i = n if j < 0 else j + 1
            continue
        value = rest
        m = re.search(r"\s#", value)
        if m:
            value = value[: m.start()]
        out[key] = value.strip()
        i = line_end + 1
    return out


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Spec:
    option: str | None
    env: tuple[str, ...]
    lab: str | tuple[str, ...] | None  # key(s) of the lab status, first found wins
    profile: str | None
    how: str  # human description


_SPECS: dict[str, _Spec] = {
    "api_url": _Spec("api_url", ("PMS_API_URL",), "api_url", "api_url", "PMS API base URL"),
    "admin_url": _Spec("admin_url", ("PMS_ADMIN_URL",), "admin_url", "admin_url", "admin UI base URL"),
    "sb_url": _Spec("sb_url", ("SB_URL", "SUPABASE_URL"), ("auth_url", "sb_url"), "sb_url",
                    "Supabase auth gateway URL"),
    "expected_commit": _Spec("expected_commit", ("EXPECTED_COMMIT", "EXPECT_COMMIT"), "commit", None,
                             "git SHA the deploy must run"),
    "frontend_dir": _Spec("frontend_dir", ("PMS_FRONTEND_DIR",), "frontend_dir", "frontend_dir",
                          "frontend/ checkout for the popup guard"),
    "retention_days": _Spec("retention_days", ("PMS_RETENTION_DAYS",), None, "retention_days",
                            "sync-log retention in days"),
    "failed_batch_threshold": _Spec("failed_share_max", ("PMS_FAILED_SHARE_MAX",), None,
                                    "failed_batch_threshold", "largest acceptable failed-batch share"),
    "ready_wait_seconds": _Spec("ready_wait", ("PMS_READY_WAIT",), None, "ready_wait_seconds",
                                "seconds /health/ready may take after a deploy"),
    "http_connect_timeout": _Spec(None, ("PMS_HTTP_CONNECT_TIMEOUT",), None, "http_connect_timeout",
                                  "seconds to open a connection to a target (HTTP, and the DB's connect)"),
    "http_read_timeout": _Spec(None, ("PMS_HTTP_READ_TIMEOUT",), None, "http_read_timeout",
                               "seconds a target may stay silent mid-answer"),
    "http_total_deadline": _Spec(None, ("PMS_HTTP_TOTAL_DEADLINE",), None, "http_total_deadline",
                                 "seconds one HTTP answer may take in all (a slow trickle)"),
    "batch_pages_max": _Spec(None, ("PMS_BATCH_PAGES_MAX",), None, "batch_pages_max",
                             "Step 4: most pages of sync batches read per connection (more: could not check)"),
    "supabase_network": _Spec(None, ("PMS_SUPABASE_NETWORK",), "supabase_network", "supabase_network",
                              "Supabase Docker network"),
    "coolify_network": _Spec(None, ("PMS_COOLIFY_NETWORK",), "coolify_network", "coolify_network",
                             "Coolify's Docker network"),
    "network_model": _Spec("network_model", ("PMS_NETWORK_MODEL",), "network_model", "network_model",
                           "network model of the host: v1 (checklist) or v2 (March bridge)"),
    "anon_key": _Spec(None, ("ANON_KEY", "SB_ANON_KEY", "SUPABASE_ANON_KEY"), "anon_key", None,
                      "Supabase anon key (apikey header of the token call)"),
    "admin_email": _Spec(None, ("PMS_ADMIN_EMAIL", "EMAIL", "SB_EMAIL"), "admin_email", None,
                         "admin user's e-mail for the token call"),
    "admin_password": _Spec(None, ("PMS_ADMIN_PASSWORD", "PASSWORD", "SB_PASSWORD"), "admin_password", None,
                            "admin user's password for the token call"),
    "db_dsn": _Spec(None, ("PMS_DB_DSN",), "db_dsn", None, "read-only PostgreSQL DSN"),
}
_SECRET_FIELDS = frozenset({"anon_key", "admin_password", "db_dsn"})
_ENV_TO_FIELD = {env: name for name, spec in _SPECS.items() for env in spec.env}
_ENV_TO_FIELD.update({"DOCKER_HOST": "docker", "PMS_DOCKER_HOST": "docker"})
_OPTION_FLAGS = {"api_url": "--api-url", "admin_url": "--admin-url", "sb_url": "--sb-url",
                 "expected_commit": "--expected-commit", "docker_host": "--docker-host",
                 "frontend_dir": "--frontend-dir", "retention_days": "--retention-days",
                 "failed_share_max": "--failed-share-max", "ready_wait": "--ready-wait",
                 "network_model": "--network-model"}


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
    failed_batch_threshold: float
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
    anon_key: Secret | None = None
    admin_email: str | None = None
    admin_password: Secret | None = None
    db_dsn: Secret | None = None
    env_file: Path | None = None
    lab_faults: tuple[str, ...] = ()
    lab_error: str | None = None  # why the lab status could not be read (lab profile only)
    problems: tuple[str, ...] = ()  # invalid values, kept (resolve(strict=False)) for `require` to name with the rest
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
        if name in _SPECS or hasattr(self, name):
            return name
        if name in _ENV_TO_FIELD:
            return _ENV_TO_FIELD[name]
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


def how_to_set(name: str, profile: str = "lab") -> str:
    spec = _SPECS.get(name)
    if name == "docker":
        return (f"profile {profile!r} runs the runbook's host steps (1, 3, 5) through Docker on the server: "
                "pass --docker-host ssh://user@host (or set PMS_DOCKER_HOST), or --docker-host none to run "
                "without the Docker checks (they are then reported NOT CHECKED)")
    if spec is None:
        return f"set {name} in environments.toml [profiles.{profile}]"
    ways = []
    if spec.option:
        ways.append(f"pass {_OPTION_FLAGS[spec.option]}")
    env = spec.env[0] + (f" (or {', '.join(spec.env[1:])})" if len(spec.env) > 1 else "")
    ways.append(f"set {env} in the environment or in .env")
    if spec.lab and profile == "lab":
        ways.append("or start the lab so that `pms-lab status --json` provides it")
    if spec.profile:
        ways.append(f"or {spec.profile} in environments.toml [profiles.{profile}]")
    return f"{spec.how}; " + ", ".join(ways)


# --------------------------------------------------------------------------------------------
# resolve
# --------------------------------------------------------------------------------------------

def _given(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, str):
        return bool(v.strip())
    return True


def _opt(options: Mapping[str, Any], key: str) -> Any:
    for k in (key, "--" + key.replace("_", "-"), key.replace("_", "-")):
        if k in options:
            return options[k]
    return None


def _check_url(name: str, v: str, problems: list[str]) -> str | None:
    v = v.strip()
    try:
        parts = urllib.parse.urlsplit(v)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(f"{name} = {v!r} is not an http(s) URL such as https://api.example.com")
        return None
    if parts.password:
        problems.append(f"{name} must not carry credentials; use the secret variables instead")
        return None
    return v.rstrip("/")


def _number(name: str, v: Any, kind: type, problems: list[str]) -> Any:
    bad = f"{name} = {v!r} is not a {'whole number' if kind is int else 'number'}"
    if isinstance(v, bool):
        problems.append(bad)
        return None
    try:
        if isinstance(v, str):
            s = v.strip()
            if kind is float and s.endswith("%"):
                return float(s[:-1]) / 100
            return kind(s)
        if kind is int and isinstance(v, float) and not v.is_integer():
            raise ValueError
        return kind(v)
    except (TypeError, ValueError, OverflowError):
        problems.append(bad)
        return None


_DOCKER_SCHEMES = ("ssh://", "tcp://", "unix://", "npipe://", "http://", "https://")


def _check_docker(v: str, problems: list[str]) -> str:
    s = v.strip()
    if s.lower() in ("local", "none", "ask"):
        return s.lower()
    if s.startswith(_DOCKER_SCHEMES):
        return s
    problems.append(f"docker host {s!r}: expected 'local', 'none', 'ask', or ssh://, tcp://, unix:// address")
    return "none"


def resolve(*, options: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None,
            dotenv: Mapping[str, str] | None = None, lab_status: Callable[[], dict] | None = None,
            profiles: Mapping[str, Profile] | None = None,
            profiles_path: str | os.PathLike | None = None, strict: bool = True) -> Settings:
    """Merge option > environment > .env > lab status (lab profile only) > profile into Settings.

    Invalid values raise ConfigError; with strict=False they are kept in `Settings.problems` (the value
    itself unset) so that `require` names them together with the missing ones."""
    options = options or {}
    environ = environ if environ is not None else {}
    dotenv = dotenv or {}
    if profiles is None:
        profiles = load_profiles(profiles_path)
    default_name = getattr(profiles, "default", "lab")

    # which profile
    name = None
    for src in (_opt(options, "pms_env"), environ.get("PMS_ENV"), dotenv.get("PMS_ENV")):
        if _given(src):
            name = str(src).strip()
            break
    name = name or default_name
    if name not in profiles:
        raise ConfigError(f"unknown profile {name!r}; known profiles: {', '.join(sorted(profiles))} "
                          "(choose with --pms-env NAME or PMS_ENV)")
    prof = profiles[name]

    # lab status, for the lab profile only; optional and possibly partial
    lab: dict[str, Any] = {}
    lab_error = None
    if name == "lab" and lab_status is not None:
        try:
            got = lab_status()
            if isinstance(got, dict):
                lab = got
            elif got is not None:
                lab_error = f"lab status is {type(got).__name__}, expected an object"
        except Exception as exc:  # noqa: BLE001 - the lab not running is a fact, not a crash
            lab_error = secrets.scrub(f"{type(exc).__name__}: {exc}")[:300]
    for key in ("db_dsn", "anon_key", "admin_password"):  # register before anything can print them
        if isinstance(lab.get(key), str):
            secrets.register(lab[key])

    problems: list[str] = []
    sources: dict[str, str] = {}

    def pick(fname: str) -> Any:
        spec = _SPECS[fname]
        if spec.option:
            v = _opt(options, spec.option)
            if _given(v):
                sources[fname] = f"option {_OPTION_FLAGS[spec.option]}"
                return v
        for where, mapping in (("environment", environ), (".env", dotenv)):
            for env in spec.env:
                v = mapping.get(env)
                if _given(v):
                    if fname in _SECRET_FIELDS:
                        secrets.register(v)
                    sources[fname] = f"{where} {env}"
                    return v
        for key in (spec.lab,) if isinstance(spec.lab, str) else (spec.lab or ()):
            if _given(lab.get(key)):
                sources[fname] = f"lab status {key}"
                return lab[key]
        if spec.profile:
            v = getattr(prof, spec.profile)
            if _given(v):
                sources[fname] = f"profile {name}"
                return v
        return None

    def secret(fname: str) -> Secret | None:
        v = pick(fname)
        if v is None:
            return None
        if not isinstance(v, str):
            problems.append(f"{fname} from {sources.get(fname)} is not a string")
            return None
        v = v.strip()
        if len(v) < _SECRET_MIN_LEN:
            problems.append(f"{fname} from {sources.get(fname)} is shorter than {_SECRET_MIN_LEN} characters: "
                            "too short to be kept out of reports, refused")
            return None
        s = Secret(v, fname)
        if fname == "db_dsn":
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
        return s

    anon_key = secret("anon_key")
    admin_password = secret("admin_password")
    db_dsn = secret("db_dsn")

    urls = {}
    for f in ("api_url", "admin_url", "sb_url"):
        v = pick(f)
        urls[f] = _check_url(f, str(v), problems) if v is not None else None

    expected = pick("expected_commit")
    if expected is not None:
        from .resources.version import validate_expected_commit

        try:
            expected = validate_expected_commit(str(expected))
        except ValueError as exc:
            problems.append(f"expected_commit ({sources.get('expected_commit')}): {exc}")
            expected = None

    # docker: option / PMS_DOCKER_HOST override the profile; DOCKER_HOST only locates "local"
    docker_src = _opt(options, "docker_host")
    if _given(docker_src):
        sources["docker"] = "option --docker-host"
    else:
        for where, mapping in (("environment", environ), (".env", dotenv)):
            if _given(mapping.get("PMS_DOCKER_HOST")):
                docker_src = mapping["PMS_DOCKER_HOST"]
                sources["docker"] = f"{where} PMS_DOCKER_HOST"
                break
        else:
            docker_src = prof.docker
            sources["docker"] = f"profile {name}"
    docker = _check_docker(str(docker_src or "none"), problems)
    docker_host = None
    if docker == "local":
        for where, mapping in (("environment", environ), (".env", dotenv)):
            if _given(mapping.get("DOCKER_HOST")):
                docker_host = mapping["DOCKER_HOST"].strip()
                sources["docker_host"] = f"{where} DOCKER_HOST"
                break
    elif docker not in ("none", "ask"):
        docker_host = docker

    frontend = pick("frontend_dir")
    frontend_dir = Path(os.path.expanduser(str(frontend))) if frontend is not None else None

    retention = pick("retention_days")
    retention = _number("retention_days", retention, int, problems) if retention is not None else None
    if retention is not None and retention <= 0:
        problems.append(f"retention_days = {retention} must be > 0")
    threshold = pick("failed_batch_threshold")
    threshold = _number("failed_share_max", threshold, float, problems) if threshold is not None else None
    if threshold is not None and not (0 < threshold <= 1):
        problems.append(f"failed_share_max = {threshold} must be in (0, 1]")
    ready_wait = pick("ready_wait_seconds")
    ready_wait = _number("ready_wait", ready_wait, float, problems) if ready_wait is not None else None
    if ready_wait is not None and (ready_wait < 0 or not math.isfinite(ready_wait)):
        problems.append(f"ready_wait = {ready_wait} must be >= 0 seconds")

    http_timeouts = {}
    for f in ("http_connect_timeout", "http_read_timeout", "http_total_deadline"):
        v = pick(f)
        v = _number(f, v, float, problems) if v is not None else None
        if v is not None and not (v > 0 and math.isfinite(v)):
            problems.append(f"{f} = {v} ({sources.get(f)}) must be > 0 seconds")
            v = None
        http_timeouts[f] = v if v is not None else getattr(prof, f)
    for f in ("ready_poll_seconds", "batch_window_hours", "sync_log_stale_minutes"):
        v = getattr(prof, f)
        if not (v > 0 and math.isfinite(v)):
            problems.append(f"{f} = {v} in profile {name} must be > 0")
    pages_max = pick("batch_pages_max")
    pages_max = _number("batch_pages_max", pages_max, int, problems) if pages_max is not None else None
    if pages_max is not None and pages_max < 1:
        problems.append(f"batch_pages_max = {pages_max} must be >= 1")
        pages_max = None
    if prof.db_statement_timeout_ms <= 0:
        problems.append(f"db_statement_timeout_ms = {prof.db_statement_timeout_ms} must be > 0")

    network = pick("supabase_network") or prof.supabase_network
    coolify = pick("coolify_network") or prof.coolify_network
    model = str(pick("network_model") or prof.network_model).strip().lower()
    if model not in NETWORK_MODELS:
        problems.append(f"network_model = {model!r} ({sources.get('network_model', f'profile {name}')}): expected "
                        "v1 (backend and worker on coolify and the Supabase network) or v2 (backend on coolify, "
                        "the DB container aliased supabase-db into coolify)")
        model = "v1"
    if prof.restart_count_max < 0:
        problems.append(f"restart_count_max = {prof.restart_count_max} in profile {name} must be >= 0")
    containers = dict(prof.containers)
    lab_containers = lab.get("containers")
    if isinstance(lab_containers, dict):
        for role, cname in lab_containers.items():
            if isinstance(cname, str) and cname.strip():
                # The lab's name first, the profile's other accepted names still accepted (renames, ghosts).
                containers[str(role)] = (cname.strip(),) + tuple(
                    n for n in containers.get(str(role), ()) if n != cname.strip())
                sources[f"containers.{role}"] = "lab status containers"
    faults = lab.get("faults")
    lab_faults = tuple(str(x) for x in faults) if isinstance(faults, list) else ()

    admin_email = pick("admin_email")
    if admin_email is not None:
        admin_email = str(admin_email).strip()

    env_file = _opt(options, "env_file")

    if problems and strict:
        raise ConfigError(f"invalid configuration for profile {name!r}:\n"
                          + "\n".join(f"  - {p}" for p in problems), problems=tuple(problems))

    return Settings(
        profile=name,
        api_url=urls["api_url"],
        admin_url=urls["admin_url"],
        sb_url=urls["sb_url"],
        expected_commit=expected,
        docker=docker,
        docker_host=docker_host,
        frontend_dir=frontend_dir,
        supabase_network=str(network),
        containers=MappingProxyType(containers),
        retention_days=retention if retention is not None else prof.retention_days,
        failed_batch_threshold=threshold if threshold is not None else prof.failed_batch_threshold,
        batch_window_hours=prof.batch_window_hours,
        http_connect_timeout=http_timeouts["http_connect_timeout"],
        http_read_timeout=http_timeouts["http_read_timeout"],
        http_total_deadline=http_timeouts["http_total_deadline"],
        db_statement_timeout_ms=prof.db_statement_timeout_ms,
        ready_wait_seconds=ready_wait if ready_wait is not None else prof.ready_wait_seconds,
        ready_poll_seconds=prof.ready_poll_seconds,
        sync_log_stale_minutes=prof.sync_log_stale_minutes,
        coolify_network=str(coolify),
        network_model=model,
        restart_count_max=prof.restart_count_max,
        batch_pages_max=pages_max if pages_max is not None else prof.batch_pages_max,
        anon_key=anon_key,
        admin_email=admin_email,
        admin_password=admin_password,
        db_dsn=db_dsn,
        env_file=Path(env_file) if _given(env_file) else None,
        lab_faults=lab_faults,
        lab_error=lab_error,
        problems=tuple(problems),
        sources=MappingProxyType(sources),
    )


def from_options(options: Mapping[str, Any], *, environ: Mapping[str, str] | None = None,
                 lab_status: Callable[[], dict] | None = None,
                 profiles_path: str | os.PathLike | None = None) -> Settings:
    """`resolve` with the .env file named by the `env_file` option and the real environment."""
    env_file = _opt(options, "env_file") or ".env"
    return resolve(options=options, environ=os.environ if environ is None else environ,
                   dotenv=read_dotenv(env_file), lab_status=lab_status, profiles_path=profiles_path)
