"""Faults, injected the way they happen in production, so the runbook sees real symptoms.

One module per area of the runbook, each listing its faults (subclasses of base.Fault) in `FAULTS`;
`inject` records a fault in the lab state, `heal` undoes faults and waits until the lab is healthy again.
"""
from __future__ import annotations

from lab import stack
from lab.faults import auth, database, deploys, edge, frontend, guest, history, network, processes, website
from lab.faults.base import Fault
from lab.state import LabState

AREAS = (network, processes, deploys, database, history, frontend, auth, guest, website, edge)
FAULTS: dict[str, Fault] = {cls.name: cls() for area in AREAS for cls in area.FAULTS}


def inject(state: LabState, name: str) -> None:
    FAULTS[name].inject(state)
    if name not in state.faults:
        state.faults.append(name)
        state.save()


def heal(state: LabState, name: str | None = None) -> None:
    names = [name] if name else list(FAULTS)
    # Heal in reverse order of injection, then the rest (a heal must work even if state was lost).
    ordered = [n for n in reversed(state.faults) if n in names] + [n for n in names if n not in state.faults]
    for n in ordered:
        if n not in state.faults and not FAULTS[n].present(state):
            continue
        FAULTS[n].heal(state)
        if n in state.faults:
            state.faults.remove(n)
            state.save()
    stack.wait_healthy(state, timeout=90)
    stack.wait_edge(state)
