"""The runbook's code itself: no module of pms_runbook/, fixtures/ or lab/ over 400 lines, and no import cycle
in pms_runbook + fixtures (the lab's own graph: tests/lab_services/test_lab_shape.py)."""
from __future__ import annotations

from tests import shape

PACKAGES = ("pms_runbook", "fixtures")


def test_no_module_is_over_400_lines():
    assert shape.long_modules(*(shape.ROOT / d for d in (*PACKAGES, "lab"))) == {}


def test_the_runbook_and_its_fixtures_import_each_other_without_a_cycle():
    graph = shape.graph(sorted(p for d in PACKAGES for p in (shape.ROOT / d).rglob("*.py")), set(PACKAGES))
    # The graph is really read: relative imports resolve, and a resource module's imports are seen.
    assert "pms_runbook.config.table" in graph["pms_runbook.config"]
    assert "pms_runbook.resources.channel_manager" in graph["pms_runbook.resources.tenants"]
    assert shape.cycle(graph) is None


def test_a_cycle_is_found_and_named():
    assert shape.cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert shape.cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
