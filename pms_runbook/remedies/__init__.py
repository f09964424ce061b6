"""Guarded remediation: the plan for the root causes of a run (data/remedies.toml), and its application.

    items = plan(results, roots, names)          # one item per root cause: a remedy, or "needs a human"
    apply(items, context, recheck, audit, cap)   # preconditions, the action, a re-check; stops at a failed one

Actions by kind: `docker_*` (docker_actions.py), `sql_*` (sql_actions.py, the write DSN), `api_*`
(api_actions.py, the elevated API token); the values an action needs (a connection ID, the retention days)
come from what the root cause's message observed (`observe`), never from the general case.

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
         "recheck_seconds", "observe", "older_than_minutes", "max_rows", "chunk_rows"}
DOCKER_ACTIONS = {"docker_network_connect", "docker_start", "docker_stop"}
SQL_ACTIONS = {"sql_mark_stale_failed", "sql_retention_delete"}
API_ACTIONS = {"api_trigger_sync"}
ACTIONS = DOCKER_ACTIONS | SQL_ACTIONS | API_ACTIONS


@cache
def load(path: Path = DATA / "remedies.toml") -> dict[str, dict]:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    for name, entry in raw.get("remedy", {}).items():
        unknown = set(entry) - _KEYS
        if unknown:
            raise ValueError(f"remedies.toml, {name}: unknown key(s) {', '.join(sorted(unknown))}")
        if entry["action"] not in ACTIONS:
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
    values: list[dict] = field(default_factory=list)  # what `observe` found in the root cause's message
    preview: dict | None = None  # a SQL remedy's counts, read only, for the plan and the audit

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


def observed_values(remedy: Mapping, result: Mapping) -> list[dict]:
    """The named groups of each match of the remedy's `observe` in the root cause's message."""
    if not remedy.get("observe"):
        return []
    return [m.groupdict() for m in re.finditer(remedy["observe"], result.get("text", ""))]


class Context:
    """What the preconditions and actions use: the elevated credentials (Docker client opened once), the
    profile's names and the run's settings (URLs, timeouts)."""

    def __init__(self, elevated, names: Mapping[str, str], settings=None):
        self.elevated, self.names, self.settings = elevated, names, settings
        self._docker = None

    def docker(self):
        if self._docker is None:
            self._docker = self.elevated.docker()
        return self._docker


def check_preconditions(item: Item, ctx: Context) -> bool:
    """Each precondition of the item, read only: Docker's state, a SQL preview, the backend's readiness."""
    from . import api_actions, docker_actions, sql_actions

    item.preconditions = []
    for pre in item.remedy.get("preconditions", []):
        try:
            if pre in ("preview_rows", "rows_within_bound"):
                if item.preview is None:
                    item.preview = sql_actions.preview(ctx.elevated.dsn(), item.remedy, _one(item))
                rows, bound = item.preview["rows"], sql_actions.max_rows(item.remedy)
                ok, seen = ((rows > 0, f"{rows} row(s) to change") if pre == "preview_rows"
                            else (rows <= bound, f"{rows} row(s), bound {bound} (max_rows)"))
            elif pre == "observed_values":
                ok, seen = bool(item.values), f"{len(item.values)} value(s) observed in the red flag's message"
            elif pre == "backend_ready":
                ok, seen = api_actions.backend_ready(ctx.settings)
            else:
                ok, seen = docker_actions.precondition(ctx.docker(), pre, item.remedy, ctx.names)
        except Exception as exc:  # noqa: BLE001  (could not be checked: it does not hold)
            ok, seen = False, f"could not check: {type(exc).__name__}: {exc}"
        item.preconditions.append({"precondition": pre, "holds": ok, "seen": seen})
    return all(p["holds"] for p in item.preconditions)


def _one(item: Item) -> dict:
    return item.values[0] if item.values else {}


def act(item: Item, ctx: Context, budget: int) -> tuple[Any, Any, int]:
    """The item's action: (before, after, actions taken)."""
    from . import api_actions, docker_actions, sql_actions

    action = item.remedy["action"]
    if action in SQL_ACTIONS:
        before, after = sql_actions.apply(ctx.elevated.dsn(), item.remedy, _one(item))
        return before, after, 1
    if action in API_ACTIONS:
        return api_actions.trigger_sync(ctx.settings, ctx.elevated.token(ctx.settings), item.values, budget)
    client = ctx.docker()
    before = docker_actions.state(client, item.remedy["target"])
    return before, docker_actions.apply(client, item.remedy), 1


def plan(results: Sequence[Mapping], roots: Mapping[str, str | None], names: Mapping[str, str]) -> list[Item]:
    from pms_runbook.redflag import parse

    items = []
    for r in results:
        if r["nodeid"] not in roots or roots[r["nodeid"]] is not None:
            continue
        following = [n for n, root in roots.items() if root == r["nodeid"]]
        found = remedy_for(r, names)
        if found:
            items.append(Item(dict(r), following, found[0], found[1], values=observed_values(found[1], r)))
        else:
            fix = parse(r.get("text", "")).get("fix") if r["outcome"] == "red_flag" else ""
            items.append(Item(dict(r), following, human=fix or "see the reason above", status="needs a human"))
    return items


def apply(items: Sequence[Item], ctx: Context, *, cap: int,
          recheck: Callable[[list[str], float], dict | None], audit: Callable[..., Any]) -> list[Item]:
    """Apply the remedies of `items` in order; each re-checked; the first whose re-check fails stops the rest."""
    done, stopped = 0, ""
    for item in items:
        if item.remedy is None:
            continue
        target = item.remedy["target"]
        if stopped:
            item.status, item.detail = "not applied", stopped
            audit("skipped", remedy=item.remedy_name, target=target, result=item.detail)
            continue
        if done >= cap:
            item.status, item.detail = "not applied", f"the action cap ({cap} per run) is reached"
            audit("skipped", remedy=item.remedy_name, target=target, result=item.detail)
            continue
        item.preview = None  # counted again, just before the action
        if not check_preconditions(item, ctx):
            item.status = "refused"
            item.detail = "; ".join(p["seen"] for p in item.preconditions if not p["holds"])
            audit("refused", remedy=item.remedy_name, target=target, preconditions=item.preconditions,
                  result=item.detail)
            continue
        try:
            before, after, taken = act(item, ctx, cap - done)
        except Exception as exc:  # noqa: BLE001  (the engine's, the database's or the API's errors, said and audited)
            item.status, item.detail = "failed", f"{type(exc).__name__}: {exc}"
            audit("action", remedy=item.remedy_name, target=target, what=item.remedy["what"],
                  preconditions=item.preconditions, before=item.preview, after=getattr(exc, "results", None),
                  result=item.detail)
            stopped = f"{item.remedy_name} failed"
            continue
        done += taken
        audit("action", remedy=item.remedy_name, target=target, what=item.remedy["what"],
              preconditions=item.preconditions, before=before, after=after, actions=taken, result="applied")
        left = after.get("rows") if isinstance(after, dict) and item.remedy["action"] in SQL_ACTIONS else None
        last = recheck(item.nodeids(), float(item.remedy.get("recheck_seconds", 60)))
        gone = bool(last) and all(c["outcome"] == "passed" for c in last["checks"]
                                  if c["nodeid"] == item.root["nodeid"])
        still = [c["nodeid"] for c in (last or {}).get("checks", []) if c["outcome"] != "passed"]
        item.status = "applied, red flag gone" if gone else "applied, re-check still fails"
        item.detail = f"{len(still)} of {len(item.nodeids())} re-checked still failing" if still else "all re-checked pass"
        if item.remedy["action"] in SQL_ACTIONS:
            item.detail += f"; matching rows {before.get('rows')} before, {left or 0} after"
            if left:
                item.detail += " (not 0: see the audit log)"
        elif item.remedy["action"] in API_ACTIONS:
            item.detail += f"; {taken} sync(s) triggered"
        audit("recheck", remedy=item.remedy_name, checks=item.nodeids(), still_failing=still,
              result="red flag gone" if gone else "still failing")
        if not gone:
            stopped = f"the re-check after {item.remedy_name} still fails: the rest is not applied"
    return list(items)
