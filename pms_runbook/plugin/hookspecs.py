"""Hooks that pms_runbook declares for other plugins to implement."""
from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec(firstresult=True)
def pytest_pms_lab_status(config: pytest.Config) -> dict[str, Any] | None:
    """The local lab's endpoints, secrets and container names (`pms-lab status --json`), or None when
    there is no lab. Asked for the lab profile only, once per run; its values rank between the .env
    file and the profile. Implemented by the lab's own plugin, `lab.pytest_plugin`."""
