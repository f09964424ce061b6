"""Which target, with what names and thresholds, and the secrets to reach it.

  table.py     the one table of settings: name, type, validation, option, variables, profile key, secret
  profiles.py  environments.toml: the profiles (never secrets)
  resolve.py   option > environment > .env > lab status (lab only) > profile, into `Settings`
  settings.py  `Settings`: the frozen result; `require` names every missing or invalid value at once
"""
from __future__ import annotations

from .profiles import CONTAINER_ROLES, DEFAULT_PROFILES_PATH, Profile, Profiles, load_profiles
from .resolve import from_options, read_dotenv, resolve
from .settings import Settings
from .table import NETWORK_MODELS, SETTINGS, ConfigError, how_to_set

__all__ = [
    "CONTAINER_ROLES", "DEFAULT_PROFILES_PATH", "NETWORK_MODELS", "SETTINGS", "ConfigError", "Profile", "Profiles",
    "Settings", "from_options", "how_to_set", "load_profiles", "read_dotenv", "resolve",
]
