"""Faults of the networks and of Redis (runbook Step 5, failure mode F1): the backend off the Supabase
network (for good, or for a while after a deploy), the v2 DB alias lost, Redis stopped (with or without
another Redis running)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from lab import containers, image, stack
from lab.faults.base import Fault, container, remove, stop, wait_ready_code
from lab.state import REPO_ROOT, LabState
from lab.topology import NAMES

SLOW_READY_SECONDS = 15
DECOY_REDIS = "coolify-redis"  # another accepted Redis name, not the one the backend's REDIS_URL names


def _on_network(ct, network: str) -> bool:
    ct.reload()
    return network in ct.attrs["NetworkSettings"]["Networks"]


def reconnect_backend(state: LabState) -> None:
    backend = container("backend")
    if backend is not None and not _on_network(backend, state.supabase_network):
        containers.client().networks.get(state.supabase_network).connect(backend)


class DbNetworkDisconnect(Fault):
    name = "db-network-disconnect"
    summary = "pms-backend leaves the Supabase network: supabase-db no longer resolves, ready 503"

    def inject(self, state):
        backend = container("backend")
        if _on_network(backend, state.supabase_network):
            containers.client().networks.get(state.supabase_network).disconnect(backend)
        wait_ready_code(state, 503)

    def heal(self, state):
        reconnect_backend(state)


def _reconnector_pidfile(state: LabState):
    return state.home / "slow-ready.pid"


def _stop_reconnector(state: LabState) -> None:
    """End the pending reconnect this fault started (by its PID), so an old one cannot heal a new break."""
    pidfile = _reconnector_pidfile(state)
    if pidfile.exists():
        try:
            os.kill(int(pidfile.read_text()), signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            pass
        pidfile.unlink(missing_ok=True)


def reconnect_backend_later(seconds: float) -> None:
    """The slow-ready reconnector's body (a process of its own, so `pms-lab break` can return)."""
    import time

    time.sleep(seconds)
    state = LabState.load()
    reconnect_backend(state)
    _reconnector_pidfile(state).unlink(missing_ok=True)


class SlowReady(Fault):
    name = "slow-ready"
    summary = (f"pms-backend loses supabase-db right after a deploy; the network returns {SLOW_READY_SECONDS}s "
               "later (degraded mode, then ready)")

    def inject(self, state):
        _stop_reconnector(state)
        backend = container("backend")
        if _on_network(backend, state.supabase_network):
            containers.client().networks.get(state.supabase_network).disconnect(backend)
        # The network comes back on its own, as the auto-heal cron would do it; heal does it at once.
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from lab.faults.network import reconnect_backend_later; "
                                   "reconnect_backend_later(float(sys.argv[1]))", str(SLOW_READY_SECONDS)],
            cwd=REPO_ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _reconnector_pidfile(state).write_text(str(proc.pid))
        wait_ready_code(state, 503)

    def heal(self, state):
        _stop_reconnector(state)
        reconnect_backend(state)


class DbAliasLost(Fault):
    name = "db-alias-lost"
    summary = ("network model v2: the DB container disconnected from coolify, supabase-db no longer resolves for "
               "pms-backend (ready 503)")

    def inject(self, state):
        if state.network_model != "v2":
            raise SystemExit("pms-lab: db-alias-lost is a v2 fault; run `pms-lab up --network-model v2` first")
        db = container("db")
        if _on_network(db, state.coolify_network):
            containers.client().networks.get(state.coolify_network).disconnect(db)
        wait_ready_code(state, 503)

    def heal(self, state):
        db = container("db")
        if state.network_model != "v2" or db is None:
            return
        if not _on_network(db, state.coolify_network):
            containers.client().networks.get(state.coolify_network).connect(db, aliases=[NAMES["db"]])


class RedisDown(Fault):
    name = "redis-down"
    summary = "supabase-redis is stopped: redis and celery down, worker logs connection errors"

    def inject(self, state):
        stop("redis", timeout=5)
        wait_ready_code(state, 503)
        worker = container("worker")
        stack.wait_until(
            lambda: b"Cannot connect to redis" in worker.logs(tail=50)
            or b"Connection to broker lost" in worker.logs(tail=50),
            30, what="the worker to log the broker connection loss",
        )

    def heal(self, state):
        redis = container("redis")
        if redis is not None and redis.status != "running":
            redis.start()


class RedisDecoy(Fault):
    name = "redis-decoy"
    summary = f"supabase-redis (the backend's REDIS_URL) is stopped while another Redis, {DECOY_REDIS}, runs"

    def inject(self, state):
        c = containers.client()
        decoy = containers.services(state)["redis"]
        decoy.name = DECOY_REDIS
        containers.run(c, decoy, image.ensure_image(c))
        RedisDown().inject(state)

    def heal(self, state):
        remove(DECOY_REDIS)
        RedisDown().heal(state)


FAULTS = (DbNetworkDisconnect, SlowReady, DbAliasLost, RedisDown, RedisDecoy)
