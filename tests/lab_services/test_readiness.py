"""Readiness against real failures: a second Celery worker, Redis gone (contract §2.2, red flags D2-D3)."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.lab_services import procs
from tests.lab_services.conftest import wait_ready

pytestmark = pytest.mark.slow


def test_exactly_one_worker_is_ready(lab):
    celery = wait_ready(lab.backend_url)["components"]["celery"]
    assert celery["status"] == "up" and celery["error"] is None
    assert len(celery["details"]["workers"]) == 1


def test_a_second_worker_makes_ready_503(lab):
    old = procs.start_worker(lab.stack, hostname="celery@pms-worker-old", name="worker-old")
    try:

        def two_workers():
            response = httpx.get(lab.backend_url + "/health/ready", timeout=5)
            workers = response.json()["components"]["celery"]["details"]["workers"]
            return response if len(workers) == 2 else None

        try:
            response = procs.wait_for(two_workers, 30, interval=0.5, what="two workers")
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{old.log()[-2000:]}") from None
        assert response.status_code == 503
        celery = response.json()["components"]["celery"]
        assert celery["status"] == "down"
        assert celery["error"].startswith("Expected exactly 1 worker, found 2")
        assert "celery@pms-worker-old" in celery["error"]
        assert "celery@pms-worker-old" in celery["details"]["workers"]
        assert response.json()["status"] == "down"
        head = httpx.head(lab.backend_url + "/health/ready", timeout=5)
        assert head.status_code == 503 and head.content == b""
    finally:
        old.stop()
    wait_ready(lab.backend_url, 30)


def test_redis_down_is_503_fast_and_recovers(lab):
    redis = lab.stack.redis
    redis.stop()
    try:
        started = time.monotonic()
        response = httpx.get(lab.backend_url + "/health/ready", timeout=10)
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        components = response.json()["components"]
        assert components["db"]["status"] == "up"
        assert components["redis"]["status"] == "down" and components["redis"]["error"]
        assert components["celery"]["status"] == "down"
        assert components["celery"]["error"] == "Celery inspect timeout (broker may be unreachable)"
        assert elapsed < 3.0, f"readiness took {elapsed:.1f}s with Redis down"
        assert httpx.get(lab.backend_url + "/health", timeout=5).status_code == 200
    finally:
        # Same port again, so backend and worker find it where they left it.
        lab.stack.redis = procs.start_redis(redis.base, port=redis.port)
    wait_ready(lab.backend_url, 60)
