"""Run the benchmarks: python -m bench [lab|lab-image|daily|baseline|dead|silent|step4|sql ...] (default: all).

Each benchmark prints one JSON line per figure. Timings are wall-clock on this machine; where a
figure is a ratio, both sides are measured in the same run, since absolute times here are noisy.
`step4` and `sql` rebuild the lab with 500 connections / 5 million sync logs and leave a fresh
default lab behind.
"""
from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def emit(name: str, **values) -> None:
    print(json.dumps({"bench": name, **values}), flush=True)


def timed(cmd: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kwargs)
    return time.monotonic() - t0, proc


def pms_lab(*args: str) -> float:
    seconds, proc = timed([PY, "-m", "lab", *args], timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"pms-lab {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds


def bench_lab() -> None:
    """pms-lab up from cold (no containers, no data), then break and heal of every fault."""
    from lab.faults import FAULTS

    pms_lab("down", "--volumes")
    emit("lab up (cold: no containers, no data, image cached)", seconds=round(pms_lab("up"), 1), target="< 60")
    emit("lab up (already up)", seconds=round(pms_lab("up"), 1))
    for fault in FAULTS:
        b = pms_lab("break", fault)
        h = pms_lab("heal", fault)
        emit(f"fault {fault}", break_seconds=round(b, 1), heal_seconds=round(h, 1), target="< 10 each")


def bench_lab_image() -> None:
    """pms-lab up from nothing at all: no containers, no data, no runtime image (it is built offline)."""
    import docker

    from lab import image

    pms_lab("down", "--volumes")
    client = docker.from_env()
    for img in client.images.list(name=image.IMAGE_REPO):
        client.images.remove(img.id, force=True)
    emit("lab up (cold: no containers, no data, no image)", seconds=round(pms_lab("up"), 1), target="< 60")


def _pytest(*args: str, reports: bool = False) -> float:
    seconds, proc = timed([PY, "-m", "pytest", "-p", "no:cacheprovider", "-q", *([] if reports else ["--no-reports"]),
                           *args], timeout=600)
    if proc.returncode not in (0,):
        raise SystemExit(f"pytest {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-3000:]}")
    return seconds


def bench_daily(repeat: int = 5) -> None:
    """`pytest -m daily` on a healthy lab against bare pytest start-up (collection only) of the same tree."""
    base = [_pytest("-m", "daily", "--collect-only") for _ in range(repeat)]
    daily = [_pytest("-m", "daily") for _ in range(repeat)]
    par = [_pytest("-m", "daily", "-n", "2") for _ in range(repeat)]
    b, d, p = statistics.median(base), statistics.median(daily), statistics.median(par)
    emit("pytest -m daily (healthy lab)", median_seconds=round(d, 2), baseline_startup_seconds=round(b, 2),
         checks_add_seconds=round(d - b, 2), ratio_to_startup=round(d / b, 2), target="checks add < 2 s",
         runs=repeat)
    emit("pytest -m daily -n 2 (healthy lab)", median_seconds=round(p, 2), baseline_startup_seconds=round(b, 2),
         checks_add_seconds=round(p - b, 2), ratio_to_startup=round(p / b, 2), runs=repeat)


def bench_edge(repeat: int = 3) -> None:
    """The lab through coolify-proxy (the lab profile's default) against its direct ports, and the heal of a
    healthy lab (every self-test's teardown)."""
    import os

    from lab import faults
    from lab.state import LabState

    pms_lab("up")
    runs = {}
    for via in ("1", "0"):
        os.environ["PMS_LAB_VIA_EDGE"] = via
        runs[via] = statistics.median(_pytest("-m", "daily") for _ in range(repeat))
    os.environ.pop("PMS_LAB_VIA_EDGE")
    emit("pytest -m daily through the edge / direct ports", edge_seconds=round(runs["1"], 2),
         direct_seconds=round(runs["0"], 2), runs=repeat)
    state, heals = LabState.load(), {}
    for forced in (True, False):  # forced: every heal runs, as before Fault.present() (a frontend redeploy each)
        for fault in faults.FAULTS.values():
            if forced:
                fault.present = lambda state: True
            else:
                vars(fault).pop("present", None)
        heals[forced] = []
        for _ in range(repeat):
            t0 = time.monotonic()
            faults.heal(state)
            heals[forced].append(time.monotonic() - t0)
    emit("heal of a healthy lab (every fault's heal, then ready and the proxy serving)",
         median_seconds=round(statistics.median(heals[False]), 2),
         every_heal_forced_seconds=round(statistics.median(heals[True]), 2), runs=repeat)


def bench_baseline(repeat: int = 5) -> None:
    """`pytest -m daily` against bench/daily_baseline.sh (Steps 1-5 by hand: docker, curl, jq), whole processes,
    alternating the two commands so that both see the same machine."""
    import os

    from lab.state import LabState

    info = LabState.load().connection_info()
    env = {**os.environ, "API": info["api_url"], "SB_URL": info["sb_url"], "ANON_KEY": info["anon_key"],
           "EMAIL": info["admin_email"], "PASSWORD": info["admin_password"], "SUPABASE_NET": info["supabase_network"],
           "DB_DSN": info["db_dsn"]}
    bash, daily, with_reports, par = [], [], [], []
    for _ in range(repeat):
        seconds, proc = timed(["bash", str(ROOT / "bench" / "daily_baseline.sh")], env=env, timeout=120)
        if proc.returncode != 0:
            raise SystemExit(f"the bash baseline saw a red flag on the lab:\n{proc.stdout[-2000:]}")
        bash.append(seconds)
        daily.append(_pytest("-m", "daily"))
        with_reports.append(_pytest("-m", "daily", reports=True))
        par.append(_pytest("-m", "daily", "-n", "2"))
    b, d, r = statistics.median(bash), statistics.median(daily), statistics.median(with_reports)
    emit("pytest -m daily --no-reports vs the bash baseline (healthy lab)", pytest_median_seconds=round(d, 2),
         bash_median_seconds=round(b, 2), ratio=round(d / b, 2), target="ratio <= 0.5", runs=repeat)
    emit("pytest -m daily (HTML, JUnit, Allure results) vs the bash baseline", pytest_median_seconds=round(r, 2),
         bash_median_seconds=round(b, 2), ratio=round(r / b, 2), target="ratio <= 0.5", runs=repeat)
    p = statistics.median(par)
    emit("pytest -m daily -n 2 --no-reports vs the bash baseline", pytest_median_seconds=round(p, 2),
         bash_median_seconds=round(b, 2), ratio=round(p / b, 2), runs=repeat)
    # Bytecode caching decides start-up: say which way this run went (see BENCHMARKS.md).
    emit("bytecode", PYTHONDONTWRITEBYTECODE=os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
         repo_caches=sum(1 for _ in ROOT.glob("*/**/__pycache__/*.pyc") if ".venv" not in _.parts))


def _black_hole() -> tuple[int, threading.Event]:
    """A port that accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    stop = threading.Event()
    held = []

    def accept():
        srv.settimeout(0.5)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue
        for c in held:
            c.close()
        srv.close()

    threading.Thread(target=accept, daemon=True).start()
    return srv.getsockname()[1], stop


def bench_dead() -> None:
    """Every selection against a black-holed and a closed API/auth/admin: bounded by the timeouts."""
    port, stop = _black_hole()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    try:
        for label, p in (("black hole", port), ("closed port", closed)):
            url = f"http://127.0.0.1:{p}"
            for sel in ("daily", "postdeploy", "nightly"):
                seconds, proc = timed([PY, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-reports", "-m", sel,
                                       "--api-url", url, "--admin-url", url, "--sb-url", url, "--ready-wait", "5"],
                                      timeout=600)
                emit(f"dead target ({label}): -m {sel}", seconds=round(seconds, 1), exit_code=proc.returncode,
                     configured="connect 3 s, read 10 s, total 20 s per exchange; ready wait 5 s")
    finally:
        stop.set()


def bench_silent(repeat: int = 3) -> None:
    """Every selection against a silent target (HTTP and the database both black holes: connections accepted,
    never a byte back) with the staging profile's own timeouts, as tests/unit/test_hostile_targets.py runs it:
    the figure is one read timeout per silent host when a host's probes go out together. No lab needed."""
    import os
    import tempfile

    http_port, stop_http = _black_hole()
    db_port, stop_db = _black_hole()
    url = f"http://127.0.0.1:{http_port}"
    drop = ("PMS_", "SB_", "SUPABASE_", "EXPECT", "DOCKER_", "PYTEST_", "ANON_KEY")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop) and k not in ("EMAIL", "PASSWORD")}
    env.update({"ANON_KEY": "anon-key-of-the-bench", "PMS_ADMIN_EMAIL": "ops@example.test",
                "PMS_ADMIN_PASSWORD": "password-of-the-bench", "PMS_DOCKER_HOST": "none",
                "PMS_DB_DSN": f"postgresql://pms_runbook_ro:bench@127.0.0.1:{db_port}/postgres",
                "PMS_MIGRATIONS_DIR": str(ROOT / "lab" / "migrations")})
    commit = "--expected-commit=" + "0" * 40
    runs = {"daily": ["-m", "daily"], "postdeploy --expected-commit": ["-m", "postdeploy", commit],
            "postdeploy --expected-commit --ready-wait=0": ["-m", "postdeploy", commit, "--ready-wait=0"],
            "nightly": ["-m", "nightly"], "weekly or monthly": ["-m", "weekly or monthly"]}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for label, args in runs.items():
                seconds, codes = [], set()
                for i in range(repeat):
                    reports = Path(tmp) / f"{label.replace(' ', '_')}-{i}"
                    took, proc = timed([PY, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--pms-env=staging",
                                        f"--api-url={url}", f"--admin-url={url}", f"--sb-url={url}",
                                        f"--reports-dir={reports}", f"--env-file={reports / 'no.env'}", *args],
                                       env=env, timeout=600)
                    seconds.append(round(took, 1))
                    codes.add(proc.returncode)
                emit(f"silent target: -m {label}", seconds=seconds, median_seconds=statistics.median(seconds),
                     exit_codes=sorted(codes), target="< 15 s, exit 10 (could not check)",
                     configured="staging profile's timeouts; HTTP and DB black holes")
    finally:
        stop_http.set()
        stop_db.set()


class LatencyProxy:
    """A TCP proxy on 127.0.0.1 that delays every chunk by `one_way` seconds in each direction: the lab's API
    as seen from an ops laptop or CI runner far from the VPS (production is not on loopback)."""

    def __init__(self, target_port: int, one_way: float):
        import asyncio

        self.target_port, self.one_way = target_port, one_way
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait(10)

    def _run(self) -> None:
        import asyncio

        async def pipe(reader, writer):
            try:
                while chunk := await reader.read(65536):
                    await asyncio.sleep(self.one_way)
                    writer.write(chunk)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        async def handle(client_r, client_w):
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
            await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))

        async def main():
            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            self.ready.set()
            async with server:
                await server.serve_forever()

        self.loop.run_until_complete(main())


def bench_step4(connections: int = 500, one_way_ms: float = 20) -> None:
    """Step 4 over 500 connections: concurrent (16) against one request at a time, same run, on loopback
    and through a 20 ms one-way (40 ms round trip) link."""
    from lab.state import LabState
    from pms_runbook.resources.auth import parse_token_response, request_token
    from pms_runbook.resources.pms_api import PmsApi
    from pms_runbook.secrets import Secret
    from pms_runbook.transports.http import Target, Timeouts

    pms_lab("down", "--volumes")
    pms_lab("up", "--connections", str(connections))
    state = LabState.load()

    class S:  # the settings the gateway helper reads
        anon_key = Secret(state.secrets.anon_key)
        admin_email = state.secrets.admin_email
        admin_password = Secret(state.secrets.admin_password)

        @staticmethod
        def require(*_):
            return None

    token = parse_token_response(request_token(Target(state.auth_url, Timeouts()), S).body).access_token
    proxy = LatencyProxy(state.ports.api, one_way_ms / 1000)
    now = datetime.now(UTC)
    links = (("loopback", state.api_url), (f"{2 * one_way_ms:g} ms round trip", f"http://127.0.0.1:{proxy.port}"))
    for link, url in links:
        api = Target(url, Timeouts())
        ids = [c.id for c in PmsApi(api).connections(token) if c.active]
        results = {}
        for label, conc in (("one at a time", 1), ("concurrent", 16)):
            t0 = time.monotonic()
            PmsApi(api, concurrency=conc).sync_history(token, ids, hours=24, now=now)
            results[label] = time.monotonic() - t0
        emit(f"Step 4 sync history over {len(ids)} active connections ({link})",
             sequential_seconds=round(results["one at a time"], 2), concurrent_seconds=round(results["concurrent"], 2),
             speedup=round(results["one at a time"] / results["concurrent"], 1), target=">= 5x")
    seconds, proc = timed([PY, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-reports", "-m", "daily",
                           "checks/daily/test_step4_channel_manager.py"], timeout=600)
    emit(f"pytest Step 4 checks over {len(ids)} connections (loopback)", seconds=round(seconds, 1),
         exit_code=proc.returncode)


def bench_sql(rows: int = 5_000_000) -> None:
    """Retention and stale-log queries on 5 million channel_sync_logs rows: time and plan."""
    import psycopg

    from lab.state import LabState
    from pms_runbook.resources import database
    from pms_runbook.secrets import Secret
    from pms_runbook.transports.sql import connect_readonly

    state = LabState.load()
    t0 = time.monotonic()
    old = rows // 5  # a fifth beyond the retention window, so the retention count has rows to count
    pms_lab("seed-logs", str(rows - old))
    pms_lab("seed-logs", str(old), "--min-age-days", "91", "--max-age-days", "400")
    emit("bulk seed", rows=rows, older_than_90_days=old, seconds=round(time.monotonic() - t0, 1))
    with psycopg.connect(state.host_dsn(), autocommit=True) as admin:
        admin.execute("ANALYZE channel_sync_logs")
        total = admin.execute("SELECT count(*) FROM channel_sync_logs").fetchone()[0]
    conn = connect_readonly(Secret(state.host_dsn(readonly=True)))
    for label, text, params in (("retention (90 d)", database.RETENTION_SQL, (90,)),
                                ("stale sync logs (60 min)", database.STALE_SQL, (60,)),
                                ("failure trend (24 h)", database.FAILURE_TREND_SQL, (24,))):
        times = []
        for _ in range(5):
            t = time.monotonic()
            conn.execute(text, params).fetchall()
            times.append(time.monotonic() - t)
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + text, params).fetchall())
        emit(f"SQL {label} on {total} rows", median_seconds=round(statistics.median(times), 3),
             max_seconds=round(max(times), 3), index_scan="Index" in plan and "Seq Scan on channel_sync_logs" not in plan,
             plan=plan, target="< 1 s, index scan")
    conn.close()


BENCHES = {"lab": bench_lab, "lab-image": bench_lab_image, "daily": bench_daily, "baseline": bench_baseline,
           "edge": bench_edge,
           "dead": bench_dead, "silent": bench_silent,
           "step4": bench_step4, "sql": bench_sql}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", choices=[*BENCHES, []], default=[])
    names = parser.parse_args().names or list(BENCHES)
    emit("machine", cores=__import__("os").cpu_count(), python=sys.version.split()[0],
         date=datetime.now(UTC).isoformat(timespec="seconds"))
    for name in names:
        BENCHES[name]()
    if "step4" in names or "sql" in names:
        pms_lab("down", "--volumes")
        pms_lab("up")


if __name__ == "__main__":
    main()
