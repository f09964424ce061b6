"""Command-line options of the runbook (registered by the plugin's `pytest_addoption`).

Every option defaults to None ("not given"), so that `config.resolve` can apply the precedence
option > environment variable > .env > lab status > profile. Only --env-file has a real default.
"""
from __future__ import annotations

from typing import Any

__all__ = ["OPTION_DESTS", "add_options", "collect"]


def _positive_int(text: str) -> int:
    import argparse

    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"{v} must be > 0")
    return v


def _share(text: str) -> float:
    import argparse

    try:
        v = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share such as 0.10 or 10%") from None
    if not 0 < v <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be in (0, 1], e.g. 0.10 or 10%")
    return v


def _seconds(text: str) -> float:
    import argparse

    try:
        v = float(text.rstrip("s"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"{v} must be >= 0")
    return v


# (flag, dest, kwargs)
_OPTIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("--pms-env", "pms_env", {
        "metavar": "NAME",
        "help": "target profile from environments.toml (lab, staging, production); env PMS_ENV; default lab"}),
    ("--expected-commit", "expected_commit", {
        "metavar": "SHA", "help": "git SHA the deploy must run (prefix, >= 7 hex); env EXPECTED_COMMIT"}),
    ("--api-url", "api_url", {"metavar": "URL", "help": "PMS API base URL; env PMS_API_URL"}),
    ("--admin-url", "admin_url", {"metavar": "URL", "help": "admin UI base URL; env PMS_ADMIN_URL"}),
    ("--sb-url", "sb_url", {"metavar": "URL", "help": "Supabase auth gateway (Kong) URL; env SB_URL"}),
    ("--docker-host", "docker_host", {
        "metavar": "HOST",
        "help": "'local' (DOCKER_HOST or the socket), 'none' (skip Docker checks), ssh://user@host, unix:// "
                "or tcp://; env PMS_DOCKER_HOST; default: the profile's docker"}),
    ("--frontend-dir", "frontend_dir", {
        "metavar": "DIR", "help": "frontend/ checkout for the popup guard; env PMS_FRONTEND_DIR"}),
    ("--retention-days", "retention_days", {
        "metavar": "DAYS", "type": _positive_int,
        "help": "sync-log retention window (lab/staging 90, production 180); env PMS_RETENTION_DAYS"}),
    ("--failed-share-max", "failed_share_max", {
        "metavar": "SHARE", "type": _share,
        "help": "largest acceptable share of failed batches in the window, e.g. 0.10 or 10%%; "
                "env PMS_FAILED_SHARE_MAX"}),
    ("--ready-wait", "ready_wait", {
        "metavar": "SECONDS", "type": _seconds,
        "help": "how long /health/ready may take to turn 200 after a deploy; env PMS_READY_WAIT"}),
    ("--network-model", "network_model", {
        "metavar": "MODEL", "choices": ("v1", "v2"),
        "help": "the host's network model: v1 (checklist: backend and worker on coolify and the Supabase "
                "network) or v2 (March: PMS on coolify only, the DB container aliased supabase-db into coolify); "
                "env PMS_NETWORK_MODEL; default: the profile's (lab: the lab's)"}),
]

OPTION_DESTS = tuple(dest for _, dest, _ in _OPTIONS) + ("env_file",)


def add_options(parser: Any) -> None:
    """Register the runbook's options in the group "pms-runbook" of a pytest `Parser`."""
    group = parser.getgroup("pms-runbook", "PMS runbook target and thresholds")
    for flag, dest, kwargs in _OPTIONS:
        group.addoption(flag, dest=dest, default=None, **kwargs)
    group.addoption("--env-file", dest="env_file", default=".env", metavar="PATH",
                    help="git-ignored file of KEY=VALUE secrets and settings (default .env; "
                         "a missing file is fine)")


def collect(config: Any) -> dict[str, Any]:
    """The option values from a pytest `Config`, as the mapping `config.resolve(options=...)` takes."""
    out: dict[str, Any] = {}
    for dest in OPTION_DESTS:
        try:
            out[dest] = config.getoption(dest)
        except (ValueError, AttributeError):
            out[dest] = None
    return out
