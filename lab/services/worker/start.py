"""`python -m lab.services.worker.start`: the lab's start_worker.sh (contract §1.4).

Prints the marker line, waits for the DB and Redis (DNS + TCP), then replaces itself with the
Celery worker. If the dependencies are not there within WORKER_WAIT_TIMEOUT it exits non-zero,
so the container's restart policy tries again: the behaviour the runbook describes.

Env: DATABASE_URL, CELERY_BROKER_URL (or REDIS_URL), WORKER_WAIT_FOR_DEPS (true),
WORKER_WAIT_TIMEOUT (60), WORKER_WAIT_INTERVAL (2), WORKER_WAIT_DB_HOST/PORT and
WORKER_WAIT_REDIS_HOST/PORT (default: taken from the URLs), CELERY_POOL (threads),
CELERY_CONCURRENCY (4), CELERY_LOGLEVEL (INFO), CELERY_MAX_TASKS_PER_CHILD, CELERY_TIME_LIMIT,
CELERY_HOSTNAME (unset: Celery's default celery@<hostname>).
"""

from __future__ import annotations

import os
import socket
import sys
import time

from lab.services.common import db_host_port, env_bool, env_float, env_int, env_str, redis_host_port

APP = "lab.services.worker.celery_app:app"


def say(message: str) -> None:
    print(f"[worker] {message}", flush=True)


def probe(host: str, port: int, timeout: float = 2.0) -> str | None:
    """None when host resolves and accepts TCP on port, else why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"DNS lookup failed ({exc})"
    last = "no address"
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as sock:
            sock.settimeout(timeout)
            try:
                sock.connect(address)
                return None
            except OSError as exc:
                last = f"TCP connect to {address[0]}:{port} failed ({exc})"
    return last


def wait_for_deps(deps: dict[str, tuple[str, int]], timeout: float, interval: float) -> bool:
    deadline = time.monotonic() + timeout
    pending = dict(deps)
    while True:
        for name, (host, port) in list(pending.items()):
            problem = probe(host, port)
            if problem is None:
                say(f"{name} reachable at {host}:{port}")
                del pending[name]
            else:
                say(f"waiting for {name} at {host}:{port}: {problem}")
        if not pending:
            return True
        if time.monotonic() + interval > deadline:
            say(
                f"ERROR: dependencies not ready after {timeout:.0f}s: {', '.join(pending)}. Exiting so the "
                "container restarts."
            )
            return False
        time.sleep(interval)


def dependencies() -> dict[str, tuple[str, int]]:
    deps: dict[str, tuple[str, int]] = {}
    db_url = env_str("DATABASE_URL")
    if db_url:
        host, port = db_host_port(db_url)
        deps["database"] = (env_str("WORKER_WAIT_DB_HOST", host), env_int("WORKER_WAIT_DB_PORT", port))
    broker = env_str("CELERY_BROKER_URL") or env_str("REDIS_URL")
    if broker:
        host, port = redis_host_port(broker)
        deps["redis"] = (env_str("WORKER_WAIT_REDIS_HOST", host), env_int("WORKER_WAIT_REDIS_PORT", port))
    return deps


def celery_argv() -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        APP,
        "worker",
        "-l",
        env_str("CELERY_LOGLEVEL", "INFO"),
        "--pool",
        env_str("CELERY_POOL", "threads"),
        "--concurrency",
        str(env_int("CELERY_CONCURRENCY", 4)),
    ]
    if env_str("CELERY_HOSTNAME"):
        argv += ["-n", env_str("CELERY_HOSTNAME")]
    if env_str("CELERY_MAX_TASKS_PER_CHILD"):
        argv += ["--max-tasks-per-child", env_str("CELERY_MAX_TASKS_PER_CHILD")]
    if env_str("CELERY_TIME_LIMIT"):
        argv += ["--time-limit", env_str("CELERY_TIME_LIMIT")]
    return argv


def main() -> int:
    say("start_worker.sh active")
    say(f"SOURCE_COMMIT={env_str('SOURCE_COMMIT', '(not set)')}")
    if env_bool("WORKER_WAIT_FOR_DEPS", True):
        deps = dependencies()
        if not wait_for_deps(
            deps, env_float("WORKER_WAIT_TIMEOUT", 60), env_float("WORKER_WAIT_INTERVAL", 2)
        ):
            return 1
    argv = celery_argv()
    say("starting: " + " ".join(argv[1:]))
    os.execvp(argv[0], argv)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
