"""Log-tail signatures, against recorded log tails (tests/unit/data/*.log)."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pms_runbook.resources import logs as L
from pms_runbook.secrets import Secret

DATA = Path(__file__).parent / "data"


def log(name: str) -> str:
    return (DATA / name).read_text()


def kinds(hits):
    return [h.kind for h in hits]


def test_healthy_worker_has_no_trouble():
    assert L.worker_trouble(log("worker_healthy.log")) == []


def test_redis_down_worker():
    hits = L.worker_trouble(log("worker_redis_down.log"))
    assert set(kinds(hits)) == {L.CONNECTION_ERROR}
    text = "\n".join(h.line for h in hits)
    for sig in ("Connection to broker lost", "Error 111", "Temporary failure in name resolution",
                "Name or service not known"):
        assert sig in text
    assert all(h.lineno > 0 for h in hits)
    assert "Trying again" not in text  # retry notices are not trouble by themselves


def test_db_down_worker_every_kind():
    hits = L.worker_trouble(log("worker_db_down.log"))
    by_kind = {k: [h.line for h in hits if h.kind == k] for k in set(kinds(hits))}
    assert set(by_kind) == {L.CONNECTION_ERROR, L.TASK_FAILURE, L.RETRY_EXHAUSTION}
    assert any("MaxRetriesExceededError" in line for line in by_kind[L.RETRY_EXHAUSTION])
    assert any("raised unexpected: ValueError" in line for line in by_kind[L.TASK_FAILURE])
    assert any("Failed to update sync log" in line for line in by_kind[L.TASK_FAILURE])
    assert any("Sync failed: adapter timeout" in line for line in by_kind[L.TASK_FAILURE])
    assert any("psycopg.OperationalError" in line for line in by_kind[L.CONNECTION_ERROR])
    assert any("Name or service not known" in line for line in by_kind[L.CONNECTION_ERROR])
    # "received" lines are not trouble
    assert not any("received" in h.line for h in hits)


def test_one_hit_per_line_most_specific_kind():
    line = ("[2026-01-06 03:20:11,502: ERROR/ForkPoolWorker-2] Task app.x[1] raised unexpected: "
            "MaxRetriesExceededError(\"Can't retry\")")
    assert kinds(L.worker_trouble([line])) == [L.RETRY_EXHAUSTION]
    line2 = "[2026-01-06 03:20:00,000: ERROR/ForkPoolWorker-1] Task app.x[2] raised unexpected: OperationalError('x')"
    assert kinds(L.worker_trouble(line2)) == [L.CONNECTION_ERROR]
    assert kinds(L.worker_trouble("[..: ERROR/MainProcess] something else")) == [L.TASK_FAILURE]


def test_input_forms_ansi_and_scrubbing():
    Secret("hunter2-redis-pw", "redis")
    raw = b"\x1b[31m[2026-01-06 03:12:44,512: ERROR/MainProcess] consumer: Cannot connect to " \
          b"redis://:hunter2-redis-pw@supabase-redis:6379/0: Error 111 connecting\x1b[0m\r\n"
    for form in (raw, raw.decode(), [raw.decode()], iter([raw])):
        hits = L.worker_trouble(form)
        assert kinds(hits) == [L.CONNECTION_ERROR]
        assert "\x1b" not in hits[0].line and "hunter2" not in hits[0].line and "***" in hits[0].line
    assert L.worker_trouble(None) == [] and L.worker_trouble("") == []


def test_startup_crash_importerror_loop():
    hit = L.startup_crash(log("backend_importerror.log"))
    assert hit is not None and hit.kind == L.STARTUP_CRASH
    assert hit.line.startswith("ImportError: cannot import name 'trigger_full_sync'")
    assert hit.lineno == len(log("backend_importerror.log").splitlines())  # the last one


def test_startup_crash_nameerror_and_others():
    assert L.startup_crash(log("backend_nameerror.log")).line.startswith("NameError: name 'visitor_tax_router'")
    tb = ["Traceback (most recent call last):", '  File "/app/app/main.py", line 3', "    def f(:",
          "        ^", "SyntaxError: invalid syntax"]
    assert L.startup_crash(tb).line == "SyntaxError: invalid syntax"
    mod = ["Traceback (most recent call last):", '  File "x", line 1, in <module>',
           "ModuleNotFoundError: No module named 'app.visitor_tax'"]
    assert "ModuleNotFoundError" in L.startup_crash(mod).line
    asgi = ['ERROR:    Error loading ASGI app. Could not import module "app.main".']
    assert L.startup_crash(asgi) is not None


def test_docker_timestamps_prefix_is_tolerated():
    stamped = [f"2026-01-06T10:00:0{i}.123456789Z {line}" for i, line in
               enumerate(log("backend_nameerror.log").splitlines())]
    assert L.startup_crash(stamped).line.startswith("NameError: name 'visitor_tax_router'")


def test_startup_crash_not_for_mentions():
    assert L.startup_crash(log("backend_healthy.log")) is None  # "(ImportError), falling back" is a mention
    assert L.startup_crash(log("worker_db_down.log")) is None  # ValueError traceback is not an import crash
    assert L.startup_crash("INFO handled NameError gracefully") is None
    assert L.startup_crash(None) is None


def test_db_degraded_signatures():
    hits = L.db_degraded(log("backend_degraded.log"))
    text = "\n".join(h.line for h in hits)
    for sig in ("Database connection attempt 1 failed", "Temporary failure in name resolution",
                "Name or service not known", "pool creation FAILED", "DEGRADED MODE", "Service degraded"):
        assert sig in text
    assert all(h.kind == L.DB_DEGRADED for h in hits)
    assert L.db_degraded(log("backend_healthy.log")) == []
    assert L.db_recovered(log("backend_degraded.log")) is None


def test_db_recovered_ends_the_episode():
    rec = L.db_recovered(log("backend_recovered.log"))
    assert rec is not None and "NORMAL MODE" in rec.line
    assert L.db_degraded(log("backend_recovered.log"))  # the history is still there
    assert L.db_degraded(log("backend_recovered.log"), since_recovery=True) == []
    assert L.db_degraded(log("backend_degraded.log"), since_recovery=True)  # no recovery: all count


def test_startup_signatures():
    sig = L.startup_signatures(log("backend_healthy.log"))
    assert len(sig) == 2  # one "Started server process", one "pool created successfully"
    assert len(L.startup_signatures(log("backend_healthy.log") * 2)) == 4


def test_bounded_work():
    big = ["x" * 100_000] * 10 + ["[..: ERROR/MainProcess] Connection to broker lost"]
    hits = L.worker_trouble(big)
    assert kinds(hits) == [L.CONNECTION_ERROR]
    many = "noise\n" * (L.MAX_LINES + 10) + "Max retries exceeded\n"
    hits = L.worker_trouble(many)
    assert kinds(hits) == [L.RETRY_EXHAUSTION] and hits[0].lineno == L.MAX_LINES


def test_format_hits():
    hits = L.worker_trouble(log("worker_redis_down.log"))
    out = L.format_hits(hits, limit=2)
    assert out.splitlines()[0].startswith("[connection error] ")
    assert out.endswith(f"... and {len(hits) - 2} more")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=30) | st.binary(max_size=500) | st.text(max_size=500))
def test_never_raises(lines):
    for fn in (L.worker_trouble, L.db_degraded, L.startup_signatures):
        assert isinstance(fn(lines), list)
    for fn in (L.startup_crash, L.db_recovered):
        assert fn(lines) is None or isinstance(fn(lines), L.Hit)
