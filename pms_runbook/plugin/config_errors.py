"""Configuration errors, handled here and only here: a bad option, an invalid or missing setting.

Raised before the checks run (session start, collection, the settings gate), a ConfigError ends the
run as a usage error (exit 4) in one message; raised by a fixture, it stops the run at that check
(see `Verdict`), and the verdict line says CONFIGURATION ERROR.
"""
from __future__ import annotations

import pytest

from pms_runbook import secrets
from pms_runbook.config import ConfigError

CONFIG_CATEGORY = "configuration error"


def is_config_error(exc: BaseException | None) -> bool:
    return isinstance(exc, ConfigError)


def stop_at(item: pytest.Item, exc: ConfigError) -> str:
    """A check's fixture found the configuration unusable: no later check can do better."""
    text = secrets.scrub(str(exc))
    item.session.shouldstop = f"configuration error: {text}"
    return text


def _as_usage_error():
    try:
        return (yield)
    except ConfigError as exc:
        raise pytest.UsageError(f"configuration error: {secrets.scrub(str(exc))}") from None


class ConfigErrors:
    """Before any check runs, a ConfigError is a usage error with one message, never a traceback."""

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionstart(self, session: pytest.Session):
        return (yield from _as_usage_error())

    @pytest.hookimpl(wrapper=True)
    def pytest_collection(self, session: pytest.Session):
        return (yield from _as_usage_error())
