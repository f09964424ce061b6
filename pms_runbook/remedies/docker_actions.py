"""What the Docker remedies check and do, with the elevated Docker client: preconditions (read only), then
one bounded action (`docker network connect`, `docker start`, `docker stop`), each returning what it saw."""
from __future__ import annotations

from typing import Any


def _get(client, name: str):
    import docker

    try:
        return client.containers.get(name)
    except docker.errors.NotFound:
        return None


def state(client, name: str) -> dict[str, Any]:
    """`docker inspect` in brief: status, restarting, networks; {'status': 'missing'} for none."""
    c = _get(client, name)
    if c is None:
        return {"name": name, "status": "missing"}
    s = c.attrs.get("State", {})
    return {"name": name, "status": s.get("Status"), "restarting": bool(s.get("Restarting")),
            "oom_killed": bool(s.get("OOMKilled")),
            "networks": sorted(c.attrs.get("NetworkSettings", {}).get("Networks") or {})}


def precondition(client, check: str, remedy: dict, names: dict) -> tuple[bool, str]:
    """(holds, what was seen) for one precondition of remedies.toml."""
    kind, _, arg = check.partition(":")
    target = remedy["target"]
    if kind == "network_model":
        return names.get("network_model") == arg, f"network model {names.get('network_model')}"
    if kind == "container_exists":
        st = state(client, target)
        return st["status"] != "missing", f"{target}: {st['status']}"
    if kind == "container_running":
        st = state(client, arg or target)
        return st["status"] == "running" and not st["restarting"], f"{arg or target}: {st['status']}"
    if kind == "container_stopped":
        st = state(client, target)
        ok = st["status"] in ("exited", "created") and not st["restarting"] and not st["oom_killed"]
        why = " (OOM-killed: raise its memory limit, a human's fix)" if st.get("oom_killed") else ""
        return ok, f"{target}: {st['status']}{why}"
    if kind == "other_worker_running":
        st = state(client, arg)
        ok = st["status"] == "running" and not st["restarting"]
        return ok, (f"{arg}: {st['status']}" + ("" if ok else f" (refused: {target} is the only worker)"))
    if kind == "backend_running":
        st = state(client, names["backend"])
        return st["status"] == "running", f"{names['backend']}: {st['status']} (backend before worker)"
    if kind == "not_attached":
        st = state(client, target)
        net = remedy["network"]
        return net not in st.get("networks", []), f"{target} networks: {', '.join(st.get('networks', [])) or '-'}"
    return False, f"unknown precondition {check!r}"


def apply(client, remedy: dict) -> dict[str, Any]:
    """The action; returns the target's state after it."""
    action, target = remedy["action"], remedy["target"]
    if action == "docker_network_connect":
        client.networks.get(remedy["network"]).connect(target)
    elif action == "docker_start":
        _get(client, target).start()
    elif action == "docker_stop":
        _get(client, target).stop(timeout=20)
    else:
        raise ValueError(f"unknown Docker action {action!r}")
    return state(client, target)
