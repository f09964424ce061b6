"""Faults that are a redeploy gone wrong (Step 1's commit, Step 2's health, the post-deploy gate): another
commit, no commit, a build that breaks an endpoint, the healthcheck gates turned off."""
from __future__ import annotations

from lab import stack
from lab.faults.base import Redeploy, http_status, other_commit, wait_admin_serving, wait_healthy


class OtherCommit(Redeploy):
    """A redeploy of `role` from another commit than the rest of the lab runs."""

    def changes(self, state):
        return {"commits": {self.role: other_commit(state.commit)}}

    healed = Redeploy.settled


class CommitMismatch(OtherCommit):
    name = "commit-mismatch"
    summary = "pms-backend redeployed with another SOURCE_COMMIT than worker and admin"
    role = "backend"


class WorkerOldCommit(OtherCommit):
    name = "worker-old-commit"
    summary = "pms-worker-v2 still runs the previous commit after the backend was redeployed"
    role = "worker"


class AdminCommitUnset(Redeploy):
    name = "admin-commit-unset"
    summary = "pms-admin redeployed without SOURCE_COMMIT: /api/ops/version reports null"
    role = "admin"

    def env(self, state):
        return {"SOURCE_COMMIT": ""}

    def settled(self, state):
        wait_admin_serving(state)

    healed = settled


class LegacyHealthHead(Redeploy):
    name = "legacy-health-head"
    summary = "pms-backend redeployed from a build older than 62d7c80: HEAD /health* answers 405"
    role = "backend"
    patches = {"services/backend/main.py": lambda src: src
               .replace('@app.api_route("/health", methods=["GET", "HEAD"])', '@app.get("/health")')
               .replace('@app.api_route("/health/ready", methods=["GET", "HEAD"])', '@app.get("/health/ready")')}

    def settled(self, state):
        stack.wait_until(lambda: http_status(f"{state.api_url}/health", "HEAD") == 405, 60,
                         what="HEAD /health to answer 405")
        wait_healthy(state)


LIST_LIMIT = 3


class ConnectionListTruncated(Redeploy):
    name = "connection-list-truncated"
    summary = (f"pms-backend redeployed with a list endpoint cut at {LIST_LIMIT} rows: active connections of the "
               "ops agency are missing from GET /channel-connections/")
    role = "backend"
    patches = {"services/backend/channel_manager.py": lambda src: src.replace(
        'WHERE agency_id = %s AND deleted_at IS NULL ORDER BY created_at, id"""',
        f'WHERE agency_id = %s AND deleted_at IS NULL ORDER BY created_at, id LIMIT {LIST_LIMIT}"""')}


GATES_OFF = {"ENABLE_REDIS_HEALTHCHECK": "false", "ENABLE_CELERY_HEALTHCHECK": "false"}


class HealthcheckGatesOff(Redeploy):
    name = "healthcheck-gates-off"
    summary = ("pms-backend redeployed with ENABLE_REDIS_HEALTHCHECK and ENABLE_CELERY_HEALTHCHECK false: "
               "/health/ready no longer checks Redis and Celery")
    role = "backend"

    def env(self, state):
        return dict(GATES_OFF)

    def settled(self, state):
        def gated():
            code, body = stack.readiness(state)
            parts = body.get("components") or {}
            return code == 200 and all((parts.get(p) or {}).get("details", {}).get("skipped")
                                       for p in ("redis", "celery"))

        stack.wait_until(gated, 60, what="/health/ready 200 with redis and celery skipped")

    def healed(self, state):
        stack.wait_until(lambda: http_status(f"{state.api_url}/health") == 200, 60, what="pms-backend /health")


FAULTS = (CommitMismatch, WorkerOldCommit, AdminCommitUnset, LegacyHealthHead, ConnectionListTruncated,
          HealthcheckGatesOff)
