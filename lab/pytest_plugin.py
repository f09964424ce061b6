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
    return LabState.load().profile_info(via_edge=via_edge(os.environ))


def via_edge(environ) -> bool:
    """The lab profile reaches the PMS through coolify-proxy, as production does through Traefik, unless
    PMS_LAB_VIA_EDGE=0 asks for the direct ports (the lab's own, for debugging the proxy itself)."""
    return environ.get("PMS_LAB_VIA_EDGE", "1").strip().lower() not in ("0", "false", "no", "off")
