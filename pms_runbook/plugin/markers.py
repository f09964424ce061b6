"""Marker discipline: a check names its schedule, one severity, its red flag and its runbook section.

A check that does not is a collection error; a check that does gets its Allure labels from them.
"""
from __future__ import annotations

import pytest

from pms_runbook.catalogue import SEVERITIES, severities_of  # a check's severity: its marker, else its red flag's
from pms_runbook.redflag import see

from .state import SCHEDULES, is_check, redflag_ids


def marker_problems(item: pytest.Item) -> list[str]:
    names = {m.name for m in item.iter_markers()}
    problems = []
    if not names & set(SCHEDULES):
        problems.append(f"no schedule marker (one or more of: {', '.join(SCHEDULES)})")
    severities = severities_of(item)
    if len(severities) != 1:
        found = f"found {', '.join(severities)}" if severities else "none found"
        problems.append(f"needs exactly one severity marker of {', '.join(SEVERITIES)} ({found})")
    flag = item.get_closest_marker("redflag")
    if flag is None or not flag.args:
        problems.append('no redflag marker, e.g. @pytest.mark.redflag("D1.4")')
    else:
        unknown = [str(a) for a in flag.args if str(a) not in redflag_ids()]
        if unknown:
            problems.append(f"redflag ID(s) not in red-flags.md: {', '.join(unknown)}")
    anchor = item.get_closest_marker("runbook")
    if anchor is None or not anchor.args:
        problems.append('no runbook marker, e.g. @pytest.mark.runbook("step-3-worker-singleton-enforcement")')
    return [f"{item.nodeid}: {p}" for p in problems]


def label_for_allure(item: pytest.Item) -> None:
    for severity in severities_of(item)[:1]:
        if not item.get_closest_marker(severity):
            item.add_marker(severity)  # from the red-flag ID: `-m blocker` selects it too
        item.add_marker(pytest.mark.allure_label(severity, label_type="severity"))
    flag = item.get_closest_marker("redflag")
    if flag and flag.args:
        item.add_marker(pytest.mark.allure_label(*map(str, flag.args), label_type="tag"))
    anchor = item.get_closest_marker("runbook")
    if anchor and anchor.args:
        item.add_marker(pytest.mark.allure_link(see(anchor.args[0]), name=anchor.args[0], link_type="link"))


class MarkerDiscipline:
    """Fails the collection of a module whose checks lack their markers (before anything runs)."""

    @pytest.hookimpl(wrapper=True)  # its own message names only node IDs: nothing for Redaction to scrub
    def pytest_make_collect_report(self, collector: pytest.Collector):
        report = yield
        if report.passed and report.result:
            problems = []
            for node in report.result:
                if isinstance(node, pytest.Item) and is_check(node):
                    problems += marker_problems(node)
                    label_for_allure(node)
            if problems:
                report.outcome = "failed"
                report.longrepr = "a check must name its schedule, severity, red flag and runbook section:\n" + \
                    "\n".join(problems)
                report.result = []
        return report
