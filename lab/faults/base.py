"""How a fault is declared, and the helpers faults share.

Every fault is a subclass of `Fault` with a `name` and a `summary`: `inject` breaks the real thing (a
network, a container, a deploy, a table, rows) and waits until the symptom is observable; `heal` undoes
it. Both are idempotent. A fault that is a redeploy of one service (another commit, env or build)
subclasses `Redeploy` and only says what differs.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import ClassVar

from lab import containers, stack
from lab.state import REPO_ROOT, LabState
from lab.topology import NAMES


class Fault:
    name: ClassVar[str]
    summary: ClassVar[str]

    def inject(self, state: LabState) -> None:
        raise NotImplementedError

    def heal(self, state: LabState) -> None:
        raise NotImplementedError

    def present(self, state: LabState) -> bool:
        """Whether a heal of the whole lab must run this heal when the state does not list the fault (it may
        have been lost). True unless the fault can tell cheaply that its damage is not there: an expensive heal
        (a frontend redeploy) says so, to spare the 10 s a self-test's teardown would spend on it."""
        return True


class Redeploy(Fault):
    """A redeploy of `role` with what `changes` returns (stack.recreate's commits / overrides) or from a build
    of the lab's code patched by `patches` (module -> patch), as a bad commit would produce it; healing
    redeploys it as it should be."""

    role: ClassVar[str]
    patches: ClassVar[dict[str, Callable[[str], str]]] = {}

    def env(self, state: LabState) -> dict[str, str]:
        """The environment variables the redeploy sets otherwise."""
        return {}

    def changes(self, state: LabState) -> dict:
        env = self.env(state)
        return {"overrides": {self.role: {"env": env}}} if env else {}

    def settled(self, state: LabState) -> None:
        """Wait until the redeployed service shows the symptom."""
        wait_healthy(state)

    def healed(self, state: LabState) -> None:
        """Wait after the healing redeploy (`heal` of the lab waits until it is ready anyway)."""

    def inject(self, state: LabState) -> None:
        changes = self.changes(state)
        if self.patches:
            make_build(self.name, self.patches)
            changes["builds"] = {self.role: self.name}
        stack.recreate(state, (self.role,), **changes)
        self.settled(state)

    def heal(self, state: LabState) -> None:
        stack.recreate(state, (self.role,))  # a no-op when the right container already runs
        self.healed(state)


# --- helpers ------------------------------------------------------------------------------------------


def container(role: str):
    return containers.find(containers.client(), NAMES[role])


def stop(role: str, timeout: float) -> None:
    ct = container(role)
    if ct.status == "running":
        ct.stop(timeout=timeout)


def remove(name: str) -> None:
    """Remove a container a fault added (only those: the lab's own names are healed, not removed)."""
    ct = containers.find(containers.client(), name)
    if ct is not None:
        ct.remove(force=True)


def celery_workers(state: LabState):
    _, body = stack.readiness(state)
    return (((body.get("components") or {}).get("celery") or {}).get("details") or {}).get("workers")


def wait_ready_code(state: LabState, code: int, timeout: float = 20) -> None:
    stack.wait_until(lambda: stack.readiness(state)[0] == code, timeout, what=f"/health/ready {code}")


def wait_healthy(state: LabState) -> None:
    stack.wait_healthy(state, timeout=60)


def wait_admin_serving(state: LabState) -> None:
    stack.wait_until(lambda: http_status(f"{state.admin_url}/api/ops/version") == 200, 30, what="pms-admin")


def wait_gateway(state: LabState) -> None:
    stack.wait_until(lambda: http_status(f"{state.auth_url}/auth/v1/health") == 200, 30, what="the gateway")


def other_commit(commit: str) -> str:
    """A plausible different SHA: what a redeploy of another commit would inject."""
    return "".join("0123456789abcdef"[(int(ch, 16) + 7) % 16] for ch in commit)


def make_build(name: str, patches: dict[str, Callable[[str], str]]) -> None:
    """A derived build of the lab's code, as a bad commit would produce it."""
    build = containers.build_dir(name)
    if build.exists():
        shutil.rmtree(build)
    shutil.copytree(REPO_ROOT / "lab", build / "lab", ignore=shutil.ignore_patterns("__pycache__", "frontend"))
    for module, patch in patches.items():
        target = build / "lab" / module
        patched = patch(target.read_text())
        if patched == target.read_text():
            raise RuntimeError(f"fault build {name}: the patch of {module} changed nothing (code moved?)")
        target.write_text(patched)


def http_status(url: str, method: str = "GET", **kwargs) -> int:
    import httpx

    try:
        return httpx.request(method, url, timeout=3, **kwargs).status_code
    except httpx.HTTPError:
        return 0
