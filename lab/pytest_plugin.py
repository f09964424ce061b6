"""The lab's own pytest plugin: the lab profile's endpoints, secrets and container names come from the
running lab (`pms-lab status --json`), so a run against the lab needs nothing exported.

pms_runbook declares the hook (pms_runbook.plugin.hookspecs) and never imports the lab; the root
conftest.py registers this plugin.
"""
from __future__ import annotations

from typing import Any


def pytest_pms_lab_status(config: Any) -> dict[str, Any]:
    import os

    from lab.state import LabState  # only when the lab profile asks: not on a production run

    if not LabState.exists():
        return {}
    info = LabState.load().connection_info()
    if os.environ.get("PMS_LAB_VIA_EDGE", "").strip().lower() in ("1", "true", "yes", "on"):
        # Every HTTP check through coolify-proxy, by the lab's host names (the direct ports stay the lab's own).
        info = {**info, "api_url": info["edge_api_url"], "admin_url": info["edge_admin_url"]}
    return info
