"""Run the benchmarks: python -m bench [lab|daily|dead|step4|sql ...] (default: all).

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
from datetime import datetime, timezone
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


def _pytest(*args: str) -> float:
    seconds, proc = timed([PY, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-reports", *args], timeout=600)
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


def bench_step4(connections: int = 500) -> None:
    """Step 4 over 500 connections: concurrent (16) against one request at a time, same run."""
    from pms_runbook.gateway import request_token
    from pms_runbook import parsers
    from pms_runbook.http import Target, Timeouts
    from pms_runbook.pms_api import PmsApi
    from lab.state import LabState
    from pms_runbook.secrets import Secret

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

    token = parsers.parse_token_response(request_token(Target(state.auth_url, Timeouts()), S).body).access_token
    api = Target(state.api_url, Timeouts())
    ids = [c.id for c in PmsApi(api).connections(token) if c.active]
    now = datetime.now(timezone.utc)
    results = {}
    for label, conc in (("one at a time", 1), ("concurrent", 16)):
        t0 = time.monotonic()
        PmsApi(api, concurrency=conc).sync_history(token, ids, hours=24, now=now)
        results[label] = time.monotonic() - t0
    emit(f"Step 4 sync history over {len(ids)} active connections", sequential_seconds=round(results["one at a time"], 2),
         concurrent_seconds=round(results["concurrent"], 2),
         speedup=round(results["one at a time"] / results["concurrent"], 1), target=">= 5x")
    seconds, proc = timed([PY, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-reports", "-m", "daily",
                           "checks/daily/test_step4_channel_manager.py"], timeout=600)
    emit(f"pytest Step 4 checks over {len(ids)} connections", seconds=round(seconds, 1), exit_code=proc.returncode)


def bench_sql(rows: int = 5_000_000) -> None:
    """Retention and stale-log queries on 5 million channel_sync_logs rows: time and plan."""
    import psycopg

    from lab.state import LabState
    from pms_runbook import sql
    from pms_runbook.secrets import Secret

    state = LabState.load()
    t0 = time.monotonic()
    pms_lab("seed-logs", str(rows))
    emit("bulk seed", rows=rows, seconds=round(time.monotonic() - t0, 1))
    with psycopg.connect(state.host_dsn(), autocommit=True) as admin:
        admin.execute("ANALYZE channel_sync_logs")
        total = admin.execute("SELECT count(*) FROM channel_sync_logs").fetchone()[0]
    conn = sql.connect_readonly(Secret(state.host_dsn(readonly=True)))
    for label, text, params in (("retention (90 d)", sql.RETENTION_SQL, (90,)),
                                ("stale sync logs (60 min)", sql.STALE_SQL, (60,))):
        times = []
        for _ in range(5):
            t = time.monotonic()
            conn.execute(text, params).fetchall()
            times.append(time.monotonic() - t)
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + text, params).fetchall())
        emit(f"SQL {label} on {total} rows", median_seconds=round(statistics.median(times), 3),
             max_seconds=round(max(times), 3), index_scan="Index" in plan and "Seq Scan" not in plan,
             plan=plan, target="< 1 s, index scan")
    conn.close()


BENCHES = {"lab": bench_lab, "daily": bench_daily, "dead": bench_dead, "step4": bench_step4, "sql": bench_sql}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", choices=[*BENCHES, []], default=[])
    names = parser.parse_args().names or list(BENCHES)
    emit("machine", cores=__import__("os").cpu_count(), python=sys.version.split()[0],
         date=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    for name in names:
        BENCHES[name]()
    if "step4" in names or "sql" in names:
        pms_lab("down", "--volumes")
        pms_lab("up")


if __name__ == "__main__":
    main()
