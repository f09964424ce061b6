"""Guarded remediation: the plan for the root causes of a run (data/remedies.toml), and its application.

    items = plan(results, roots, names)          # one item per root cause: a remedy, or "needs a human"
    apply(items, elevated, recheck, audit, cap)  # preconditions, the action, a re-check; stops at a failed one

Only root causes observed in this run get a remedy; what the runbook leaves to a human (redeploys, code,
JWT secrets, migrations in production) is never applied: its item says so, with the catalogue's fix.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pms_runbook import diagnosis
from pms_runbook.catalogue import fill

DATA = Path(__file__).resolve().parent.parent / "data"
_KEYS = {"fixes", "action", "target", "network", "when", "preconditions", "what", "undo", "cannot_undo",
         "recheck_seconds"}
DOCKER_ACTIONS = {"docker_network_connect", "docker_start", "docker_stop"}


@cache
def load(path: Path = DATA / "remedies.toml") -> dict[str, dict]:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    for name, entry in raw.get("remedy", {}).items():
        unknown = set(entry) - _KEYS
        if unknown:
            raise ValueError(f"remedies.toml, {name}: unknown key(s) {', '.join(sorted(unknown))}")
        if entry["action"] not in DOCKER_ACTIONS:
            raise ValueError(f"remedies.toml, {name}: unknown action {entry['action']!r}")
    return raw.get("remedy", {})


@dataclass
class Item:
    root: dict  # the root cause's result (nodeid, ids, outcome, text)
    following: list[str]  # node IDs of what follows from it
    remedy_name: str | None = None
    remedy: dict | None = None  # filled with the profile's names
    human: str = ""  # the fix a person must apply (no remedy)
    preconditions: list[dict] = field(default_factory=list)
    status: str = "planned"  # planned | needs a human | refused | applied | re-check failed | skipped (cap) | ...
    detail: str = ""

    def nodeids(self) -> list[str]:
        return [self.root["nodeid"], *self.following]


def _filled(entry: Mapping[str, Any], names: Mapping[str, str], where: str) -> dict:
    out = {}
    for key, value in entry.items():
        if isinstance(value, str):
            out[key] = fill(value, names, where=where)
        elif isinstance(value, list):
            out[key] = [fill(v, names, where=where) if isinstance(v, str) else v for v in value]
        else:
            out[key] = value
    return out


def remedy_for(result: Mapping, names: Mapping[str, str]) -> tuple[str, dict] | None:
    for name, entry in load().items():
        if not any(diagnosis.selects(s, result) for s in entry["fixes"]):
            continue
        if entry.get("when") and not re.search(entry["when"], result.get("text", ""), re.IGNORECASE):
            continue
        return name, _filled(entry, names, f"remedies.toml, {name}")
    return None


def plan(results: Sequence[Mapping], roots: Mapping[str, str | None], names: Mapping[str, str]) -> list[Item]:
    from pms_runbook.redflag import parse

    items = []
    for r in results:
        if r["nodeid"] not in roots or roots[r["nodeid"]] is not None:
            continue
        following = [n for n, root in roots.items() if root == r["nodeid"]]
        found = remedy_for(r, names)
        if found:
            items.append(Item(dict(r), following, found[0], found[1]))
        else:
            fix = parse(r.get("text", "")).get("fix") if r["outcome"] == "red_flag" else ""
            items.append(Item(dict(r), following, human=fix or "see the reason above", status="needs a human"))
    return items


def check_preconditions(item: Item, client, names: Mapping[str, str]) -> bool:
    from . import docker_actions

    item.preconditions = []
    for pre in item.remedy.get("preconditions", []):
        ok, seen = docker_actions.precondition(client, pre, item.remedy, names)
        item.preconditions.append({"precondition": pre, "holds": ok, "seen": seen})
    return all(p["holds"] for p in item.preconditions)


def apply(items: Sequence[Item], elevated, names: Mapping[str, str], *, cap: int,
          recheck: Callable[[list[str], float], dict | None], audit: Callable[..., Any]) -> list[Item]:
    """Apply the remedies of `items` in order; each re-checked; the first whose re-check fails stops the rest."""
    from . import docker_actions

    done, stopped = 0, ""
    client = None
    for item in items:
        if item.remedy is None:
            continue
        if stopped:
            item.status, item.detail = "not applied", stopped
            audit("skipped", remedy=item.remedy_name, target=item.remedy["target"], result=item.detail)
            continue
        if done >= cap:
            item.status, item.detail = "not applied", f"the action cap ({cap} per run) is reached"
            audit("skipped", remedy=item.remedy_name, target=item.remedy["target"], result=item.detail)
            continue
        client = client or elevated.docker()
        if not check_preconditions(item, client, names):
            item.status = "refused"
            item.detail = "; ".join(p["seen"] for p in item.preconditions if not p["holds"])
            audit("refused", remedy=item.remedy_name, target=item.remedy["target"],
                  preconditions=item.preconditions, result=item.detail)
            continue
        before = docker_actions.state(client, item.remedy["target"])
        try:
            after = docker_actions.apply(client, item.remedy)
        except Exception as exc:  # noqa: BLE001  (the engine's errors, said and audited)
            item.status, item.detail = "failed", f"{type(exc).__name__}: {exc}"
            audit("action", remedy=item.remedy_name, target=item.remedy["target"], what=item.remedy["what"],
                  before=before, after=None, result=item.detail)
            stopped = f"{item.remedy_name} failed"
            continue
        done += 1
        audit("action", remedy=item.remedy_name, target=item.remedy["target"], what=item.remedy["what"],
              preconditions=item.preconditions, before=before, after=after, result="applied")
        last = recheck(item.nodeids(), float(item.remedy.get("recheck_seconds", 60)))
        gone = bool(last) and all(c["outcome"] == "passed" for c in last["checks"]
                                  if c["nodeid"] == item.root["nodeid"])
        still = [c["nodeid"] for c in (last or {}).get("checks", []) if c["outcome"] != "passed"]
        item.status = "applied, red flag gone" if gone else "applied, re-check still fails"
        item.detail = f"{len(still)} of {len(item.nodeids())} re-checked still failing" if still else "all re-checked pass"
        audit("recheck", remedy=item.remedy_name, checks=item.nodeids(), still_failing=still,
              result="red flag gone" if gone else "still failing")
        if not gone:
            stopped = f"the re-check after {item.remedy_name} still fails: the rest is not applied"
    return list(items)
