"""pms-worker-v2 on its own: wait-for-deps exit and the DB retry policy (contract §1.4, §4.7)."""

from __future__ import annotations

import subprocess

import pytest
from celery import Celery

from lab.services.common import AVAILABILITY_TASK, celery_settings
from tests.lab_services import procs

pytestmark = pytest.mark.slow


def test_start_exits_nonzero_when_deps_never_come(lab):
    dead = procs.free_port()
    env = procs.service_env(
        {
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{dead}/postgres",
            "CELERY_BROKER_URL": lab.stack.redis.url,
            "WORKER_WAIT_TIMEOUT": "1.5",
            "WORKER_WAIT_INTERVAL": "0.5",
        }
    )
    done = subprocess.run(
        [procs.PYTHON, "-m", "lab.services.worker.start"],
        env=env,
        cwd=procs.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert done.stdout.splitlines()[0] == "[worker] start_worker.sh active"
    assert "redis reachable" in done.stdout
    assert f"waiting for database at 127.0.0.1:{dead}" in done.stdout
    assert "dependencies not ready" in done.stdout


def test_db_outage_is_retried_with_backoff_then_max_retries(lab):
    # An isolated broker DB, so this worker neither takes the lab's tasks nor shows up in readiness.
    broker = lab.stack.redis.url[:-1] + "5"
    dead = procs.free_port()
    worker = procs.start_worker(
        lab.stack,
        hostname="celery@retry-test",
        name="worker-retry",
        extra_env={
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{dead}/postgres",
            "CELERY_BROKER_URL": broker,
            "CELERY_RESULT_BACKEND": broker,
            "WORKER_WAIT_FOR_DEPS": "false",
        },
    )
    try:
        procs.wait_for(lambda: "celery@retry-test ready." in worker.log(), 30, what="retry worker ready")
        client = Celery("retry-test-client", set_as_current=False)
        client.conf.update(celery_settings({"CELERY_BROKER_URL": broker}))
        client.send_task(AVAILABILITY_TASK, args=["00000000-0000-4000-8000-000000000000"])
        procs.wait_for(lambda: "Max retries exceeded" in worker.log(), 20, interval=0.3, what="max retries")
        log = worker.log()
        for delay in (1, 2, 4):
            assert f"in {delay}s (retry" in log, log[-3000:]
        assert "Database is temporarily unavailable" in log
    finally:
        worker.stop()
