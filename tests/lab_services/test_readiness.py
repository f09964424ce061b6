"""Readiness against real failures: a second Celery worker, Redis gone (contract §2.2, red flags D2-D3)."""

from __future__ import annotations

import socket
import threading
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


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers (a black-holed peer)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)  # held open, never read, never written

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def test_ready_answers_in_time_when_db_and_redis_never_answer(lab):
    silent = SilentServer()
    try:
        url = f"redis://127.0.0.1:{silent.port}/0"
        _proc, backend = procs.start_backend(
            lab.stack,
            name="backend-blackhole",
            extra_env={
                "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{silent.port}/postgres",
                "REDIS_URL": url,
                "CELERY_BROKER_URL": url,
                "CELERY_RESULT_BACKEND": url,
            },
        )
        for _ in range(2):
            started = time.monotonic()
            response = httpx.get(backend + "/health/ready", timeout=10)
            elapsed = time.monotonic() - started
            assert response.status_code == 503
            assert elapsed < 3.5, f"readiness took {elapsed:.1f}s against silent peers"
            components = response.json()["components"]
            assert {name: c["status"] for name, c in components.items()} == {
                "db": "down",
                "redis": "down",
                "celery": "down",
            }
            assert components["celery"]["error"] == "Celery inspect timeout (broker may be unreachable)"
        assert httpx.get(backend + "/health", timeout=2).status_code == 200
    finally:
        lab.stack.procs[-1].stop()
        silent.close()


def test_disabled_gates_report_skipped_and_do_not_fail_ready(lab):
    _proc, backend = procs.start_backend(
        lab.stack,
        name="backend-gates-off",
        extra_env={"ENABLE_REDIS_HEALTHCHECK": "false", "ENABLE_CELERY_HEALTHCHECK": "false"},
    )
    try:
        response = httpx.get(backend + "/health/ready", timeout=10)
        assert response.status_code == 200
        components = response.json()["components"]
        assert components["redis"] == {**components["redis"], "status": "up", "details": {"skipped": True}}
        assert components["celery"]["details"] == {"skipped": True}
    finally:
        lab.stack.procs[-1].stop()
