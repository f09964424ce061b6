"""The one table of the runbook's settings: for each, its name (the `Settings` attribute and the
environments.toml key), its type and validation, its command-line option, its environment variables,
the lab status keys that fill it in, whether a profile may set it, and whether it is a secret.

The options (pms_runbook.options), the precedence (pms_runbook.config.resolve), the "how to set it" of
every refusal and the README's table of variables are all made from it. Old names stay accepted
(`deprecated`): options and variables are what people script against.
"""
from __future__ import annotations

import math
import urllib.parse
from dataclasses import dataclass
from typing import Any


class ConfigError(Exception):
    """The run cannot start: a bad profile, an invalid value, or required values missing."""

    def __init__(self, message: str, *, missing: tuple[str, ...] = (), problems: tuple[str, ...] = ()):
        from pms_runbook import secrets

        super().__init__(secrets.scrub(message))
        self.missing = tuple(missing)
        self.problems = tuple(problems)


NETWORK_MODELS = ("v1", "v2")


# ---------------------------------------------------------------- value types: text -> value, or ValueError

def _url(v: Any) -> str:
    v = str(v).strip()
    try:
        parts = urllib.parse.urlsplit(v)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"= {v!r} is not an http(s) URL such as https://api.example.com")
    if parts.password:
        raise ValueError("must not carry credentials; use the secret variables instead")
    return v.rstrip("/")


def _number(kind: type, v: Any) -> Any:
    bad = ValueError(f"= {v!r} is not a {'whole number' if kind is int else 'number'}")
    if isinstance(v, bool):
        raise bad
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
        raise bad from None


def _commit(v: Any) -> str:
    from pms_runbook.resources.version import validate_expected_commit

    try:
        return validate_expected_commit(str(v))
    except ValueError as exc:
        raise ValueError(f": {exc}") from None


def _model(v: Any) -> str:
    model = str(v).strip().lower()
    if model not in NETWORK_MODELS:
        raise ValueError(f"= {model!r}: expected v1 (backend and worker on coolify and the Supabase network) or v2 "
                         "(backend on coolify, the DB container aliased supabase-db into coolify)")
    return model


PARSE = {
    "url": _url, "commit": _commit, "model": _model,
    "text": lambda v: str(v).strip(), "path": lambda v: str(v).strip(),
    "int": lambda v: _number(int, v), "float": lambda v: _number(float, v),
}


@dataclass(frozen=True)
class Setting:
    name: str  # the Settings attribute, the environments.toml key, the name in messages
    kind: str  # a key of PARSE, or "secret"
    help: str
    option: str | None = None  # its command-line flag
    env: tuple[str, ...] = ()  # its environment / .env variable
    lab: tuple[str, ...] = ()  # keys of the lab status that fill it in (lab profile only), first found wins
    profile: bool = False  # may environments.toml set it
    minimum: float | None = None  # the least acceptable value (numbers)
    above: bool = False  # strictly above the minimum
    maximum: float | None = None
    metavar: str | None = None
    deprecated: tuple[str, ...] = ()  # old names still accepted: variables (UPPER) and profile keys (lower)
    unit: str = ""

    @property
    def secret(self) -> bool:
        return self.kind == "secret"

    @property
    def dest(self) -> str | None:
        return self.option[2:].replace("-", "_") if self.option else None

    @property
    def variables(self) -> tuple[str, ...]:
        """Every variable read, the name first, then the deprecated ones."""
        return self.env + tuple(d for d in self.deprecated if d.isupper())

    @property
    def old_keys(self) -> tuple[str, ...]:
        return tuple(d for d in self.deprecated if not d.isupper())

    def parse(self, raw: Any) -> Any:
        """The value, or ValueError with a message that starts with the setting's name (so that
        `Settings.require` names an invalid value once, not also as missing)."""
        try:
            value = PARSE[self.kind](raw)
        except ValueError as exc:
            sep = "" if str(exc).startswith(":") else " "
            raise ValueError(f"{self.name}{sep}{exc}") from None
        if self.minimum is not None or self.maximum is not None:
            low = self.minimum if self.minimum is not None else -math.inf
            ok = math.isfinite(value) and (value > low if self.above else value >= low)
            ok = ok and (self.maximum is None or value <= self.maximum)
            if not ok:
                raise ValueError(f"{self.name} = {value} must be {self._range()}")
        return value

    def _range(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.maximum is not None:
            return f"in ({self.minimum:g}, {self.maximum:g}]"
        return f"{'>' if self.above else '>='} {self.minimum:g}{unit}"


def _s(*args, **kw) -> Setting:
    return Setting(*args, **kw)


SETTINGS: tuple[Setting, ...] = (
    _s("api_url", "url", "PMS API base URL", "--api-url", ("PMS_API_URL",), ("api_url",), True, metavar="URL"),
    _s("admin_url", "url", "admin UI base URL", "--admin-url", ("PMS_ADMIN_URL",), ("admin_url",), True,
       metavar="URL"),
    _s("public_host", "text", "the public website's host name (agency_domains.domain) the public API is asked for with "
       "?public_host= (quickref Q2, Q5, Q7)", "--public-host", ("PMS_PUBLIC_HOST",), ("public_host",), True,
       metavar="HOST"),
    _s("public_url", "url", "public website base URL (the guest-facing host, e.g. fewo.*)", "--public-url",
       ("PMS_PUBLIC_URL", "PUBLIC_SITE_URL"), ("public_url",), True, metavar="URL"),
    _s("sb_url", "url", "Supabase auth gateway (Kong) URL", "--sb-url", ("SB_URL",), ("auth_url", "sb_url"), True,
       metavar="URL", deprecated=("SUPABASE_URL",)),
    _s("expected_commit", "commit", "git SHA the deploy must run (prefix, >= 7 hex, any case)", "--expected-commit",
       ("EXPECTED_COMMIT",), ("commit",), metavar="SHA", deprecated=("EXPECT_COMMIT",)),
    _s("frontend_dir", "path", "frontend/ checkout for the popup guard", "--frontend-dir", ("PMS_FRONTEND_DIR",),
       ("frontend_dir",), True, metavar="DIR"),
    _s("retention_days", "int", "sync-log retention window in days (lab/staging 90, production 180)",
       "--retention-days", ("PMS_RETENTION_DAYS",), (), True, minimum=0, above=True, metavar="DAYS"),
    _s("failed_share_max", "float", "Step 4: largest acceptable share of failed batches in the window "
       "(0.10 or 10%)", "--failed-share-max", ("PMS_FAILED_SHARE_MAX",), (), True, minimum=0, above=True,
       maximum=1, metavar="SHARE", deprecated=("failed_batch_threshold",)),
    _s("batch_window_hours", "float", "Step 4: the window of recent batches, in hours", profile=True,
       minimum=0, above=True),
    _s("batch_pages_max", "int", "Step 4: most pages of 200 sync batches read per connection (beyond: could "
       "not check)", env=("PMS_BATCH_PAGES_MAX",), profile=True, minimum=1),
    _s("ready_wait_seconds", "float", "seconds /health/ready may take to turn 200 after a deploy",
       "--ready-wait", ("PMS_READY_WAIT",), (), True, minimum=0, unit="seconds", metavar="SECONDS"),
    _s("ready_poll_seconds", "float", "seconds between two looks at /health/ready", profile=True, minimum=0,
       above=True),
    _s("http_connect_timeout", "float", "seconds to open a connection to a target (HTTP, and the DB's connect)",
       env=("PMS_HTTP_CONNECT_TIMEOUT",), profile=True, minimum=0, above=True, unit="seconds"),
    _s("http_read_timeout", "float", "seconds a target may stay silent mid-answer",
       env=("PMS_HTTP_READ_TIMEOUT",), profile=True, minimum=0, above=True, unit="seconds"),
    _s("http_total_deadline", "float", "seconds one HTTP answer may take in all (a slow trickle)",
       env=("PMS_HTTP_TOTAL_DEADLINE",), profile=True, minimum=0, above=True, unit="seconds"),
    _s("db_statement_timeout_ms", "int", "milliseconds one SQL statement of a check may run", profile=True,
       minimum=0, above=True),
    _s("sync_log_stale_minutes", "float", "minutes without a sync log before a connection is stale",
       profile=True, minimum=0, above=True),
    _s("restart_count_max", "int", "Step 1: restarts since the container was created above which it is a loop",
       profile=True, minimum=0),
    _s("supabase_network", "text", "Supabase's Docker network", env=("PMS_SUPABASE_NETWORK",),
       lab=("supabase_network",), profile=True),
    _s("coolify_network", "text", "Coolify's Docker network", env=("PMS_COOLIFY_NETWORK",),
       lab=("coolify_network",), profile=True),
    _s("network_model", "model", "the host's network model: v1 (checklist: backend and worker on coolify and the "
       "Supabase network) or v2 (March: PMS on coolify only, the DB aliased supabase-db into coolify)",
       "--network-model", ("PMS_NETWORK_MODEL",), ("network_model",), True, metavar="MODEL"),
    # The edge (issue 12): the hosts as the internet reaches them, through the proxy.
    _s("edge_api_url", "url", "the edge: the API's public https:// URL (through the proxy)", "--edge-api-url",
       ("PMS_EDGE_API_URL",), ("edge_api_url",), True, metavar="URL"),
    _s("edge_admin_url", "url", "the edge: the admin's public https:// URL", "--edge-admin-url",
       ("PMS_EDGE_ADMIN_URL",), ("edge_admin_url",), True, metavar="URL"),
    _s("edge_site_url", "url", "the edge: the public website's https:// URL", "--edge-site-url",
       ("PMS_EDGE_SITE_URL",), ("edge_site_url",), True, metavar="URL"),
    _s("edge_origins", "text", "the edge: browser origins the API must allow (CORS), comma-separated",
       env=("PMS_EDGE_ORIGINS",), lab=("edge_origins",), profile=True),
    _s("edge_issuer", "text", "the edge: the expected certificate issuer (its CN or O contain it; '|' between "
       "alternatives): Let's Encrypt in production, the lab CA in the lab", env=("PMS_EDGE_ISSUER",),
       lab=("edge_issuer",), profile=True),
    _s("cert_min_days", "int", "the edge: fewest days a certificate may have left", "--cert-min-days",
       ("PMS_CERT_MIN_DAYS",), (), True, minimum=0, metavar="DAYS"),
    _s("edge_ca_file", "path", "the edge: CA file the certificates are verified against (default: the system's "
       "trust store)", env=("PMS_EDGE_CA_FILE",), lab=("edge_ca",), profile=True),
    _s("edge_resolve", "text", "the edge: pinned resolution, host:port=address:port,... (curl --resolve; the lab's "
       "host names)", env=("PMS_EDGE_RESOLVE",), lab=("edge_resolve",)),
    _s("runbook_url", "url", "where the red flags' runbook links point: the base of the PMS docs' ops/ folder "
       "(runbook.md, runbook/NN-*.md)", "--runbook-url", ("PMS_RUNBOOK_URL",), (), True, metavar="URL"),
    _s("anon_key", "secret", "Supabase anon key (apikey header of the token call)", env=("ANON_KEY",),
       lab=("anon_key",), deprecated=("SB_ANON_KEY", "SUPABASE_ANON_KEY")),
    _s("admin_email", "text", "admin user's e-mail for the token call", env=("PMS_ADMIN_EMAIL",),
       lab=("admin_email",), deprecated=("EMAIL", "SB_EMAIL")),
    _s("admin_password", "secret", "admin user's password for the token call", env=("PMS_ADMIN_PASSWORD",),
       lab=("admin_password",), deprecated=("PASSWORD", "SB_PASSWORD")),
    _s("db_dsn", "secret", "read-only PostgreSQL DSN (the role below)", env=("PMS_DB_DSN",), lab=("db_dsn",)),
)
BY_NAME = {s.name: s for s in SETTINGS}
BY_VARIABLE = {v: s for s in SETTINGS for v in s.variables}

# Settings with a behaviour of their own in `resolve` (they choose, rather than give, a value).
PMS_ENV = Setting("pms_env", "text", "target profile from environments.toml (lab, staging, production); "
                  "default: the file's `default`", "--pms-env", ("PMS_ENV",), metavar="NAME")
DOCKER = Setting("docker", "text", "Docker access for the run: 'local' (DOCKER_HOST or the socket), 'none' (skip "
                 "the Docker checks), ssh://user@host, tcp:// or unix://; a plain DOCKER_HOST only says where "
                 "'local' is", "--docker-host", ("PMS_DOCKER_HOST",), profile=True, metavar="HOST")


def how_to_set(name: str, profile: str = "lab") -> str:
    if name == "docker":
        return (f"profile {profile!r} runs the runbook's host steps (1, 3, 5) through Docker on the server: "
                "pass --docker-host ssh://user@host (or set PMS_DOCKER_HOST), or --docker-host none to run "
                "without the Docker checks (they are then reported NOT CHECKED)")
    s = BY_NAME.get(name)
    if s is None:
        return f"set {name} in environments.toml [profiles.{profile}]"
    ways = [f"pass {s.option}"] if s.option else []
    if s.variables:
        env = s.variables[0] + (f" (or {', '.join(s.variables[1:])})" if len(s.variables) > 1 else "")
        ways.append(f"set {env} in the environment or in .env")
    if s.lab and profile == "lab":
        ways.append("or start the lab so that `pms-lab status --json` provides it")
    if s.profile:
        ways.append(f"or {s.name} in environments.toml [profiles.{profile}]")
    return f"{s.help}; " + ", ".join(ways)


README_START = "<!-- settings table: python -m pms_runbook.config --readme -->\n"
README_END = "<!-- end of settings table -->"


def _old(names: tuple[str, ...]) -> str:
    return f" ({', '.join(f'`{n}`' for n in names)})" if names else ""


def markdown() -> str:
    """The README's table of settings (`python -m pms_runbook.config --readme`; tests/unit/test_config.py checks it)."""
    rows = ["| setting | option | variable (deprecated names) | profile key | what |", "|---|---|---|---|---|"]
    for s in (PMS_ENV, DOCKER, *SETTINGS):
        env = ", ".join(f"`{e}`" for e in s.env) + _old(s.variables[len(s.env):])
        key = ("`docker`" if s is DOCKER else f"`{s.name}`" + _old(s.old_keys)) if s.profile else ""
        what = ("secret: " if s.secret else "") + s.help.replace("|", "\\|")
        rows.append(f"| {s.name} | {f'`{s.option}`' if s.option else ''} | {env} | {key} | {what} |")
    return "\n".join(rows) + "\n"

