"""Command-line options of the runbook, made from the settings table (registered by the plugin).

Every option defaults to None ("not given"), so that `config.resolve` can apply the precedence
option > environment variable > .env > lab status > profile. Only --env-file has a real default.
An option's type refuses a bad value at the command line already (argparse: exit 4).
"""
from __future__ import annotations

from typing import Any

from pms_runbook.config.table import DOCKER, PMS_ENV, SETTINGS, Setting

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


def _type(s: Setting) -> dict[str, Any]:
    if s.kind == "model":
        return {"choices": ("v1", "v2")}
    if s.kind == "int":
        return {"type": _positive_int}
    if s.kind == "float":
        return {"type": _share if s.maximum == 1 else _seconds}
    return {}


_OPTIONS = [s for s in (PMS_ENV, *SETTINGS[:4], DOCKER, *SETTINGS[4:]) if s.option]
OPTION_DESTS = tuple(s.dest for s in _OPTIONS) + ("env_file",)


def _help(s: Setting) -> str:
    env = f"; env {s.env[0]}" if s.env else ""
    return (s.help + env).replace("%", "%%")


def add_options(parser: Any) -> None:
    """Register the runbook's options in the group "pms-runbook" of a pytest `Parser`."""
    group = parser.getgroup("pms-runbook", "PMS runbook target and thresholds")
    for s in _OPTIONS:
        group.addoption(s.option, dest=s.dest, default=None, metavar=s.metavar, help=_help(s), **_type(s))
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
