"""Throwaway PostgreSQL, Redis and service processes on 127.0.0.1, for the lab-service tests.

No Docker: PostgreSQL 15 runs from the host's binaries as the `postgres` OS user in a temp dir.
Every process started here is tracked by its PID and stopped by that PID only.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("LAB_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last_exc = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what} (last error: {last_exc!r})")


def tcp_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Proc:
    """A started process with its log file; stop() signals exactly this PID."""

    name: str
    popen: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        if self.popen.poll() is not None:
            return
        os.kill(self.popen.pid, sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)


def start_proc(
    name: str,
    argv: list[str],
    log_dir: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> Proc:
    log_path = log_dir / f"{name}.log"
    log_file = open(log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
    as_user = {"user": user, "group": user, "extra_groups": []} if user else {}
    popen = subprocess.Popen(
        argv,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=str(cwd or REPO_ROOT),
        stdin=subprocess.DEVNULL,
        **as_user,
    )
    log_file.close()
    return Proc(name, popen, log_path)


@dataclass
class Postgres:
    data_dir: Path
    port: int
    proc: Proc

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        # SIGINT = "fast shutdown": disconnect clients, stop at once.
        self.proc.stop(signal.SIGINT, timeout=15)


def start_postgres(base: Path, port: int | None = None) -> Postgres:
    """initdb + postgres as the `postgres` OS user, trust auth, 127.0.0.1 only.

    The postmaster is started with Popen(user=...) rather than through runuser, so that the PID
    held here is the postmaster itself (runuser does not forward SIGINT to its child).
    """
    data = base / "pgdata"
    base.mkdir(parents=True, exist_ok=True)
    shutil.chown(base, "postgres", "postgres")
    run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        run_as
        + [
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    port = port or free_port()
    argv = [
        str(PG_BIN / "postgres"),
        "-D",
        str(data),
        "-p",
        str(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        f"unix_socket_directories={base}",
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=200",
    ]
    proc = start_proc("postgres", argv, base, cwd=base, user="postgres")
    wait_for(lambda: tcp_open(port), 20, what="postgres to listen")
    pg = Postgres(data, port, proc)
    import psycopg

    wait_for(
        lambda: psycopg.connect(pg.url, connect_timeout=2).close() is None, 20, what="postgres to accept"
    )
    return pg


@dataclass
class Redis:
    port: int
    proc: Proc
    base: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.proc.stop(signal.SIGTERM)


def start_redis(base: Path, port: int | None = None) -> Redis:
    port = port or free_port()
    argv = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(base),
    ]
    proc = start_proc(f"redis-{port}", argv, base)
    wait_for(lambda: tcp_open(port), 10, what="redis to listen")
    return Redis(port, proc, base)


def service_env(extra: dict[str, str]) -> dict[str, str]:
    """A minimal env for a service subprocess: the repo importable, nothing from the caller."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONUNBUFFERED": "1",
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


@dataclass
class Stack:
    """What the tests talk to; procs are stopped in reverse start order."""

    base: Path
    pg: Postgres
    redis: Redis
    env: dict[str, str]
    backend_url: str = ""
    procs: list[Proc] = field(default_factory=list)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        self.redis.stop()
        self.pg.stop()


def start_backend(
    stack: Stack, extra_env: dict[str, str] | None = None, name: str = "backend"
) -> tuple[Proc, str]:
    port = free_port()
    env = service_env({**stack.env, "PORT": str(port), "HOST": "127.0.0.1", **(extra_env or {})})
    proc = start_proc(name, [PYTHON, "-m", "lab.services.backend"], stack.base, env)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: httpx.get(url + "/health", timeout=1).status_code == 200, 20, what=f"{name} /health")
    stack.procs.append(proc)
    return proc, url


def start_worker(
    stack: Stack, hostname: str | None = None, name: str = "worker", extra_env: dict[str, str] | None = None
) -> Proc:
    env = service_env({**stack.env, **(extra_env or {})})
    if hostname:
        env["CELERY_HOSTNAME"] = hostname
    proc = start_proc(name, [PYTHON, "-m", "lab.services.worker.start"], stack.base, env)
    stack.procs.append(proc)
    return proc


def make_base() -> Path:
    base = Path(tempfile.mkdtemp(prefix="lab-services-"))
    os.chmod(base, 0o755)
    return base
