"""One throwaway PMS stack for the lab-service tests: PostgreSQL, Redis, pms-backend, one worker.

Everything listens on 127.0.0.1 and is stopped by PID at the end of the session. Tests that
break something (schema, Redis, a second worker) put it back before they return.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import jwt
import psycopg
import pytest

from lab import migrate, seed
from lab.services.common import connect
from tests.lab_services import procs

JWT_SECRET = "lab-test-secret-9f1e2d3c4b5a69788796a5b4c3d2e1f0"
ANON_KEY = "lab-test-anon-key"
ADMIN_USER_ID = uuid.UUID("a0000000-0000-4000-8000-00000000a001")
ADMIN_EMAIL = "ops@lab.test"
ADMIN_PASSWORD = "correct horse battery staple"
SOURCE_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def make_token(
    sub: uuid.UUID | str = ADMIN_USER_ID,
    *,
    secret: str = JWT_SECRET,
    ttl: int = 600,
    aud: str = "authenticated",
    **claims,
) -> str:
    now = int(time.time())
    payload = {"sub": str(sub), "aud": aud, "role": "authenticated", "iat": now, "exp": now + ttl, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


@dataclass
class LabStack:
    stack: procs.Stack
    backend_url: str
    worker: procs.Proc
    seeded: seed.SeedResult

    @property
    def db_url(self) -> str:
        return self.stack.pg.url

    def logs(self) -> str:
        """Tails of every process log, for assertion messages."""
        parts = []
        for proc in self.stack.procs:
            parts.append(f"----- {proc.name} (pid {proc.pid}) -----\n{proc.log()[-2500:]}")
        return "\n".join(parts)


def wait_ready(url: str, timeout: float = 30) -> dict:
    def ready():
        response = httpx.get(url + "/health/ready", timeout=5)
        return response.json() if response.status_code == 200 else None

    return procs.wait_for(ready, timeout, interval=0.3, what="/health/ready 200")


@pytest.fixture(scope="session")
def lab() -> Iterator[LabStack]:
    base = procs.make_base()
    pg = procs.start_postgres(base)
    redis = procs.start_redis(base)
    env = {
        "DATABASE_URL": pg.url,
        "REDIS_URL": redis.url,
        "CELERY_BROKER_URL": redis.url,
        "CELERY_RESULT_BACKEND": redis.url[:-1] + "1",
        "JWT_SECRET": JWT_SECRET,
        "JWT_AUDIENCE": "authenticated",
        "SOURCE_COMMIT": SOURCE_COMMIT,
        "ENVIRONMENT": "lab",
        "WORKER_WAIT_TIMEOUT": "20",
        "WORKER_WAIT_INTERVAL": "0.5",
        "LAB_ADAPTER_MIN_SECONDS": "0.1",
        "LAB_ADAPTER_MAX_SECONDS": "0.4",
    }
    stack = procs.Stack(base, pg, redis, env)
    try:
        with connect(pg.url) as conn:
            migrate.apply(conn)
            seeded = seed.seed(conn, admin_user_id=ADMIN_USER_ID)
        _proc, url = procs.start_backend(stack)
        worker = procs.start_worker(stack)
        lab = LabStack(stack, url, worker, seeded)
        try:
            wait_ready(url, 40)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{lab.logs()}") from None
        yield lab
    finally:
        stack.stop_all()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def db(lab: LabStack) -> Iterator[psycopg.Connection]:
    with connect(lab.db_url) as conn:
        yield conn


@pytest.fixture
def api(lab: LabStack) -> Iterator[httpx.Client]:
    """The backend, authenticated as the ops admin (Bearer only, no apikey: contract §3.1)."""
    headers = {"Authorization": f"Bearer {make_token()}"}
    with httpx.Client(base_url=lab.backend_url, headers=headers, timeout=15) as client:
        yield client


@pytest.fixture
def anon(lab: LabStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lab.backend_url, timeout=15) as client:
        yield client


@pytest.fixture
def scratch(lab) -> Iterator[psycopg.Connection]:
    """A fresh, empty database on the test server, dropped afterwards."""
    name = f"scratch_{uuid.uuid4().hex[:10]}"
    with connect(lab.db_url) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = lab.db_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        with connect(url) as conn:
            yield conn
    finally:
        with connect(lab.db_url) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
