"""The state of a run that the plugin's objects share (in config.stash), and what a "check" is."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from pms_runbook.catalogue import SEVERITIES  # noqa: F401  (the same words in Allure; the catalogue owns them)

SCHEDULES = ("daily", "postdeploy", "nightly", "weekly", "monthly")
EXIT_COULD_NOT_CHECK = 10


@cache
def redflag_ids() -> dict[str, str]:
    """The red-flag IDs of red-flags.md, in order, each with its short description."""
    text = (Path(__file__).parent.parent / "data" / "red-flags.md").read_text(encoding="utf-8")
    ids = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) > 1 and re.fullmatch(r"[A-Z]\d+(\.\d+)?", cells[0]):
            ids[cells[0]] = cells[1]
    return ids


@dataclass
class Run:
    checks: bool  # a run of checks (items under checks/), to which the verdict policy applies
    reports_dir: Path | None = None  # set when the plugin manages the default reports
    red_flags: list[dict] = field(default_factory=list)
    could_not_check: list[dict] = field(default_factory=list)
    not_checked: list[dict] = field(default_factory=list)  # skipped checks: a capability or a gate missing
    config_error: str | None = None
    passed: int = 0
    passed_ids: set[str] = field(default_factory=set)
    skipped: int = 0
    collect_errors: int = 0
    verdict: str = ""
    results: list[dict] = field(default_factory=list)  # every check: nodeid, ids, outcome, text (verdict.json)
    roots: dict[str, str | None] = field(default_factory=dict)  # failing nodeid -> None (root cause) or its root
    started: float = 0.0
    exit_code: int | None = None
    verdict_json: Path | None = None  # where verdict.json was written
    waived: list[dict] = field(default_factory=list)  # red flags a live waiver matched (plugin/waivers.py)
    waivers: list[dict] = field(default_factory=list)  # every waiver of the run with its status (used/expired/unused)
    extra: dict = field(default_factory=dict)  # what the living-with parts add to verdict.json (history, summary line)
    detail: bool = False  # -v or --tb given: pytest's own failure sections too, not only the ops summary

    def root_counts(self) -> tuple[int, int]:
        """(root causes, consequences) among the failing checks."""
        return sum(v is None for v in self.roots.values()), sum(v is not None for v in self.roots.values())


RUN = pytest.StashKey[Run]()


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def is_check(item: pytest.Item) -> bool:
    try:
        return item.path.relative_to(item.config.rootpath).parts[0] == "checks"
    except (ValueError, IndexError):
        return False


def targets_checks(config: pytest.Config) -> bool:
    """Do the command-line paths (or testpaths) reach into checks/?"""
    checks = config.rootpath / "checks"
    for arg in config.args:
        path = Path(arg.split("::")[0])
        path = (path if path.is_absolute() else config.invocation_params.dir / path).resolve()
        if path == checks or checks in path.parents or path in checks.parents:
            return True
    return False
