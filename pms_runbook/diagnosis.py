"""The diagnosis of a run: which failing checks are root causes and which follow from one.

The graph is data (data/diagnosis.toml: which check explains which, under which observed evidence); a check
follows from another only when that other failed in the same run, so a check whose explainers all passed is
its own root cause. Chains are followed to their end.

    roots = diagnose(results, names)   # {nodeid: None (a root cause) or the nodeid of its root cause}
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
FAILING = ("red_flag", "could_not_check")
_ID = re.compile(r"[A-Z]\d+(\.\d+)?$")
_EDGE_KEYS = {"cause", "explains", "outcomes", "matching", "cause_matching", "same_container"}


@dataclass(frozen=True)
class Edge:
    cause: tuple[str, ...]
    explains: tuple[str, ...]
    outcomes: tuple[str, ...] = FAILING
    matching: re.Pattern | None = None
    cause_matching: re.Pattern | None = None
    same_container: bool = False


def _expand(selectors: Iterable[str], groups: Mapping[str, Sequence[str]], seen: tuple = ()) -> tuple[str, ...]:
    out: list[str] = []
    for s in selectors:
        if s.startswith("@"):
            name = s[1:]
            if name not in groups or name in seen:
                raise ValueError(f"diagnosis.toml: unknown or circular group {s!r}")
            out += _expand(groups[name], groups, (*seen, name))
        else:
            out.append(s)
    return tuple(out)


def _regex(text: str | None) -> re.Pattern | None:
    return re.compile(text, re.IGNORECASE) if text else None


@cache
def load(path: Path = DATA / "diagnosis.toml") -> tuple[Edge, ...]:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    groups = raw.get("groups", {})
    edges = []
    for i, entry in enumerate(raw.get("edge", [])):
        unknown = set(entry) - _EDGE_KEYS
        if unknown:
            raise ValueError(f"diagnosis.toml, edge {i + 1}: unknown key(s) {', '.join(sorted(unknown))}")
        outcomes = tuple(entry.get("outcomes", FAILING))
        if set(outcomes) - set(FAILING):
            raise ValueError(f"diagnosis.toml, edge {i + 1}: outcomes are of {', '.join(FAILING)}")
        edges.append(Edge(_expand([entry["cause"]], groups), _expand(entry["explains"], groups), outcomes,
                          _regex(entry.get("matching")), _regex(entry.get("cause_matching")),
                          bool(entry.get("same_container", False))))
    return tuple(edges)


def check_name(nodeid: str) -> str:
    """`test_pms_container_is_up[pms-backend]` from its node ID."""
    return nodeid.rsplit("::", 1)[-1]


def selects(selector: str, result: Mapping) -> bool:
    """Does `selector` (a check name, a check name with its parameter, or a red-flag ID) name this result?"""
    if _ID.match(selector):
        ids = result.get("ids") or ()
        return bool(ids) and ids[0] == selector
    name = check_name(result["nodeid"])
    return name == selector if "[" in selector else name.split("[", 1)[0] == selector


def _named(text: str, names: Iterable[str]) -> set[str]:
    return {n for n in names if n and re.search(rf"(?<![\w.-]){re.escape(n)}(?![\w.-])", text)}


def _applies(edge: Edge, cause: Mapping, result: Mapping, containers: Sequence[str]) -> bool:
    if result["outcome"] not in edge.outcomes:
        return False
    if not any(selects(s, cause) for s in edge.cause) or not any(selects(s, result) for s in edge.explains):
        return False
    if edge.matching and not edge.matching.search(result.get("text", "")):
        return False
    if edge.cause_matching and not edge.cause_matching.search(cause.get("text", "")):
        return False
    if edge.same_container:
        named = _named(cause.get("text", ""), containers) | _named(check_name(cause["nodeid"]), containers)
        theirs = _named(result.get("text", ""), containers) | _named(check_name(result["nodeid"]), containers)
        if not named & theirs:
            return False
    return True


def explainers(results: Sequence[Mapping], containers: Sequence[str] = (),
               edges: Sequence[Edge] | None = None) -> dict[str, list[str]]:
    """For each failing result, the failing results that explain it, the preferred (first edge) first."""
    edges = load() if edges is None else edges
    failing = [r for r in results if r["outcome"] in FAILING]
    out: dict[str, list[str]] = {}
    for r in failing:
        found: list[str] = []
        for edge in edges:
            for c in failing:
                if c["nodeid"] != r["nodeid"] and c["nodeid"] not in found and _applies(edge, c, r, containers):
                    found.append(c["nodeid"])
        out[r["nodeid"]] = found
    return out


def diagnose(results: Sequence[Mapping], containers: Sequence[str] = (),
             edges: Sequence[Edge] | None = None) -> dict[str, str | None]:
    """{nodeid: None if a root cause, else the nodeid of the root cause it follows from}, failing results only."""
    by = explainers(results, containers, edges)

    def root(nodeid: str, seen: frozenset) -> str:
        for cause in by.get(nodeid, ()):
            if cause not in seen:
                return root(cause, seen | {nodeid})
        return nodeid

    out: dict[str, str | None] = {}
    for nodeid in by:
        found = root(nodeid, frozenset())
        out[nodeid] = None if found == nodeid else found
    # a cycle of explainers leaves one of them pointing at a check that itself follows: point it at the end
    for nodeid, target in list(out.items()):
        while target is not None and out.get(target) is not None and out[target] != nodeid:
            target = out[target]
        out[nodeid] = None if target == nodeid else target
    return out


def selector_cycles(edges: Sequence[Edge] | None = None) -> list[list[str]]:
    """Cycles of the graph of selectors (a check name with parameters stands for its function too)."""
    edges = load() if edges is None else edges
    graph: dict[str, set[str]] = {}
    for e in edges:
        for c in e.cause:
            graph.setdefault(c.split("[")[0], set()).update(x.split("[")[0] for x in e.explains)
    cycles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt == node:
                continue  # a function's parameters explain each other (pms-backend's crash explains nothing else)
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles
