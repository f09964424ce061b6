"""The run's settings, resolved once into config.stash, and the gate that refuses to start a run of
checks whose settings are incomplete: every missing or invalid value named at once, before any
request is sent (the runbook's "empty TOKEN" pitfall, F5)."""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from pms_runbook import config as pms_config

SETTINGS = pytest.StashKey[pms_config.Settings]()

# Which settings each fixture needs: the gate asks for those of the fixtures the selected checks use.
NEEDS = {
    "api_target": ("PMS_API_URL",),
    "admin_host": ("PMS_ADMIN_URL",),
    "admin_commit": ("PMS_ADMIN_URL",),  # asks for admin_version (admin_host) by name, outside the closure
    "auth_gateway": ("SB_URL",),
    "docker_client": ("PMS_DOCKER_HOST",),
    "token": ("SB_URL", "ANON_KEY", "PMS_ADMIN_EMAIL", "PMS_ADMIN_PASSWORD"),
    "db": ("PMS_DB_DSN",),
    "token_answer": ("SB_URL", "ANON_KEY", "PMS_ADMIN_EMAIL", "PMS_ADMIN_PASSWORD"),
    "required_expected_commit": ("EXPECTED_COMMIT",),
    "public_host": ("PMS_PUBLIC_HOST",),
}


def settings_for(config: pytest.Config, strict: bool = True) -> pms_config.Settings:
    """The run's settings, once. strict=False (the gate): invalid values are kept for `require` to name
    with the missing ones in one message, instead of raising first."""
    if SETTINGS not in config.stash:
        options = {k: v for k, v in vars(config.option).items() if v is not None}
        env_file = Path(options.get("env_file") or ".env")  # relative to where the run was started
        config.stash[SETTINGS] = pms_config.resolve(
            options=options, environ=os.environ, dotenv=pms_config.read_dotenv(env_file),
            lab_status=lambda: config.hook.pytest_pms_lab_status(config=config), strict=strict)
    settings = config.stash[SETTINGS]
    _use_profile(settings)
    if strict and settings.problems:
        settings.require()  # raises, naming every invalid value
    return settings


def _use_profile(settings: pms_config.Settings) -> None:
    """The profile's names and URLs for every fix the catalogue writes in this process (a worker's too)."""
    from pms_runbook import catalogue, redflag

    redflag.set_base(settings.runbook_url)
    try:
        names = catalogue.profile_names(settings)
    except Exception:  # noqa: BLE001  (an incomplete profile: the runbook's names stay)
        names = {}
    catalogue.use_profile({**names, "api_url": (settings.api_url or "").rstrip("/"),
                           "admin_url": (settings.admin_url or "").rstrip("/"), "admin_email": settings.admin_email})


class DeprecatedSettingName(pytest.PytestWarning):
    """An old name of a setting is in use (still read; see the README's table of settings)."""


class SettingsGate:
    @pytest.hookimpl(trylast=True)  # after -m / -k deselected what will not run
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        fixtures = {name for item in items if "checks" in Path(str(item.path)).parts
                    for name in getattr(item, "fixturenames", ())}
        if "settings" not in fixtures:
            return  # no selected check reads the settings (a self-test project)
        needed = sorted({name for fx, names in NEEDS.items() if fx in fixtures for name in names})
        settings = settings_for(config, strict=False)
        for note in settings.notes:
            warnings.warn(DeprecatedSettingName(note), stacklevel=1)
        settings.require(*needed)  # a ConfigError: see config_errors
