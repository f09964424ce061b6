"""Faults of which containers run (runbook Steps 1 and 3): one stopped, one gone, one too many, one that
crash-loops or is OOM-killed at every start, a ghost left by a rename."""
from __future__ import annotations

from lab import containers, image, stack
from lab.faults.base import (
    Fault,
    Redeploy,
    celery_workers,
    container,
    make_build,
    other_commit,
    remove,
    stop,
    wait_admin_serving,
    wait_ready_code,
)

RENAMED_ADMIN = "pms-admin-frontend"  # the March name of the admin (contract §1.1)
OOM_LIMIT = "16m"  # below what the worker needs to import its code: the kernel kills it at every start


class OldWorkerRunning(Fault):
    name = "old-worker-running"
    summary = "the old pms-worker container runs beside pms-worker-v2: two Celery workers"

    def inject(self, state):
        c = containers.client()
        containers.run(c, containers.old_worker(state, other_commit(state.commit)), image.ensure_image(c))

        def two_workers():
            workers = celery_workers(state)
            return isinstance(workers, list) and len(workers) == 2

        stack.wait_until(two_workers, 45, what="Celery to report two workers")

    def heal(self, state):
        old = container("old_worker")
        # Stopped, not removed: `docker ps -a` listing pms-worker Exited (0) is fine (contract §1.4).
        if old is not None and old.status == "running":
            old.stop(timeout=10)


class WorkerStopped(Fault):
    name = "worker-stopped"
    summary = "pms-worker-v2 is stopped: no Celery worker, ready 503"

    def inject(self, state):
        stop("worker", timeout=10)
        wait_ready_code(state, 503, timeout=30)

    def heal(self, state):
        worker = container("worker")
        if worker is None:
            stack.recreate(state, ("worker",))
        elif worker.status != "running":
            worker.start()


class BackendCrashloop(Redeploy):
    name = "backend-crashloop"
    summary = "pms-backend redeployed with an ImportError: the container restart-loops"
    role = "backend"
    patches = {"services/backend/main.py": lambda src: (
        "from lab.services.backend.sync_engine_v2 import ChannelSyncEngine  # noqa\n" + src)}

    def changes(self, state):
        return {"overrides": {"backend": {"restart": "always"}}}

    def settled(self, state):
        def looping():
            b = container("backend")
            return b is not None and b.attrs.get("RestartCount", 0) >= 2

        stack.wait_until(looping, 40, interval=0.5, what="pms-backend to restart twice")


class AdminMissing(Fault):
    name = "admin-missing"
    summary = "the pms-admin container is gone"

    def inject(self, state):
        admin = container("admin")
        if admin is not None:
            admin.remove(force=True)

    def heal(self, state):
        stack.recreate(state, ("admin",))
        wait_admin_serving(state)


class AdminRenamedGhost(Fault):
    name = "admin-renamed-ghost"
    summary = (f"the admin renamed to {RENAMED_ADMIN} in a crash loop, the old pms-admin still Up beside it "
               "(a ghost after a rename)")

    def inject(self, state):
        future = "from __future__ import annotations\n"
        make_build(self.name, {"services/admin/main.py": lambda src: src.replace(future, future + (
            "from lab.services.admin.pages_v2 import render  # noqa  (the renamed app's first deploy)\n"), 1)})
        svc = containers.services(state, builds={"admin": self.name},
                                  overrides={"admin": {"restart": "always"}})["admin"]
        svc.name, svc.ports = RENAMED_ADMIN, {}  # the old pms-admin keeps the published port
        # Its first deploy lacks its node_modules: Node exits with "Cannot find module", Docker restarts it.
        empty = state.home / "web" / "empty" / RENAMED_ADMIN
        empty.mkdir(parents=True, exist_ok=True)
        svc.mounts = {**{h: m for h, m in svc.mounts.items() if m["bind"] != "/srv/node_modules"},
                      str(empty): {"bind": "/srv/node_modules", "mode": "ro"}}
        c = containers.client()
        containers.run(c, svc, image.ensure_image(c))
        stack.wait_until(lambda: (ct := containers.find(c, RENAMED_ADMIN)) is not None
                         and ct.attrs.get("RestartCount", 0) >= 2, 40, interval=0.5,
                         what=f"{RENAMED_ADMIN} to restart twice")

    def heal(self, state):
        remove(RENAMED_ADMIN)


class WorkerOomLoop(Redeploy):
    name = "worker-oom-loop"
    summary = (f"pms-worker-v2 redeployed under a {OOM_LIMIT} memory limit: OOM-killed at every start, "
               "restarted by Docker, RestartCount climbing")
    role = "worker"  # healing redeploys it; Docker's backoff caps the loop at one start a minute meanwhile

    def changes(self, state):
        return {"overrides": {"worker": {"mem_limit": OOM_LIMIT}}}

    def settled(self, state):
        def killed_and_climbing():
            w = container("worker")
            return w is not None and w.attrs["State"].get("OOMKilled") and w.attrs.get("RestartCount", 0) >= 4

        stack.wait_until(killed_and_climbing, 60, interval=0.5, what="pms-worker-v2 OOM-killed four times")


FAULTS = (OldWorkerRunning, WorkerStopped, BackendCrashloop, AdminMissing, AdminRenamedGhost, WorkerOomLoop)
