"""Thin on purpose: the runbook plugin, the lab's plugin and the fixtures that give the checks their handles."""
pytest_plugins = [
    "pms_runbook.plugin",
    "lab.pytest_plugin",
    "fixtures.settings",
    "fixtures.http",
    "fixtures.auth",
    "fixtures.docker",
    "fixtures.db",
    "fixtures.frontend",
    "fixtures.browser",
    "fixtures.evidence",
    "fixtures.step4",
    "fixtures.guest",
    "fixtures.edge",
    "fixtures.catalogue",
    "fixtures.runs",
]
