"""Read a container's log tail the way the runbook tells a human to.

- `worker_trouble(lines)`: Step 5, "look for: connection errors, task failures, retry exhaustion"
  in `docker logs pms-worker-v2 --tail 50` (contract §4.7, §5.3).
- `startup_crash(lines)`: Top-5 #2, an ImportError (or NameError, SyntaxError ...) traceback at
  import time that makes a container restart-loop.
- `db_degraded(lines)`: the §5.3 "DB DNS / degraded mode" signatures of the backend, and
  `db_recovered(lines)` for the recovery line that ends an episode.

Input is a log tail as one string, bytes, or an iterable of lines. Every returned line is stripped
of ANSI colours and scrubbed of registered secrets. Work is bounded: at most `MAX_LINES` lines (the
last ones) and `MAX_LINE_CHARS` characters per line are looked at.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pms_runbook import secrets

__all__ = [
    "CONNECTION_ERROR",
    "DB_DEGRADED",
    "DB_RECOVERED",
    "MAX_LINES",
    "RETRY_EXHAUSTION",
    "STARTUP_CRASH",
    "TASK_FAILURE",
    "Hit",
    "db_degraded",
    "db_recovered",
    "format_hits",
    "startup_crash",
    "startup_signatures",
    "worker_trouble",
]

CONNECTION_ERROR = "connection error"
TASK_FAILURE = "task failure"
RETRY_EXHAUSTION = "retry exhaustion"
STARTUP_CRASH = "startup crash"
DB_DEGRADED = "db degraded"
DB_RECOVERED = "db recovered"

MAX_LINES = 20_000
MAX_LINE_CHARS = 4_000

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# `docker logs --timestamps` prefix: removed so that line-start patterns (tracebacks) still match
_DOCKER_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}) ")


@dataclass(frozen=True)
class Hit:
    kind: str
    line: str  # the log line, ANSI-free and scrubbed
    lineno: int = 0  # 1-based position in the tail that was scanned

    def __str__(self) -> str:
        return f"[{self.kind}] {self.line}"


# Most specific first: a line is reported once, under the first kind whose pattern matches.
_RETRY_EXHAUSTION = re.compile(r"Max retries exceeded|MaxRetriesExceededError", re.IGNORECASE)
_CONNECTION_ERROR = re.compile(
    r"Cannot connect to (?:redis|amqp)"
    r"|Connection to broker lost"
    r"|\bError 111\b"
    r"|\bErrno 111\b"
    r"|connection refused"
    r"|Name or service not known"
    r"|Temporary failure in name resolution"
    r"|name resolution failed"
    r"|Database is temporarily unavailable"
    r"|(?:psycopg2?|asyncpg|sqlalchemy\.exc)\.\w*OperationalError"
    r"|\bOperationalError\b"
    r"|ConnectionRefusedError"
    r"|Connect call failed"
    r"|could not connect to server"
    r"|could not translate host name"
    r"|Authentication required\."
    r"|invalid username-password pair",
    re.IGNORECASE,
)
_TASK_FAILURE = re.compile(
    r"\bTask [\w.]+\[[^\]]*\] raised unexpected"
    r"|\braised unexpected:"
    r"|\bfailed:"
    r"|\b(?:ERROR|CRITICAL)/[A-Za-z]"  # celery's [date: ERROR/ForkPoolWorker-1] level marker
    r"|Failed to update sync log",
)

_EXC_LINE = re.compile(
    r"^\s*(?:[A-Za-z_][\w.]*\.)?"
    r"(ImportError|ModuleNotFoundError|NameError|SyntaxError|IndentationError|TabError)"
    r"(?::\s|:$|$)"
)
_ASGI_LOAD = re.compile(r"Error loading ASGI app|Could not import module", re.IGNORECASE)
_NODE_LOAD = re.compile(r"^Error: Cannot find module '")  # Node's MODULE_NOT_FOUND at start (the Next.js admin)
_TRACEBACK = "Traceback (most recent call last):"

_DB_DEGRADED = re.compile(
    r"Database connection pool creation FAILED"
    r"|Service degraded"
    r"|DEGRADED MODE"
    r"|Database connection attempt \d+ failed"
    r"|Database unavailable"
    r"|Database is temporarily unavailable"
    r"|gaierror"
    r"|Temporary failure in name resolution"
    r"|Name or service not known"
    r"|name resolution failed",
    re.IGNORECASE,
)
_DB_RECOVERED = re.compile(
    r"Background reconnection: SUCCESS"
    r"|NORMAL MODE \(DB available\)"
    r"|Database connection pool created successfully",
    re.IGNORECASE,
)
_STARTUP = re.compile(r"Started server process|pool created successfully")


def _lines(lines: str | bytes | Iterable[str] | None) -> list[str]:
    if lines is None:
        return []
    if isinstance(lines, (bytes, bytearray)):
        lines = bytes(lines[-MAX_LINES * MAX_LINE_CHARS:]).decode("utf-8", errors="replace")
    if isinstance(lines, str):
        seq = lines.splitlines()
    else:
        seq = []
        for item in lines:
            if isinstance(item, (bytes, bytearray)):
                item = bytes(item).decode("utf-8", errors="replace")
            seq.extend(str(item).splitlines() or [""])
            if len(seq) > 4 * MAX_LINES:
                seq = seq[-MAX_LINES:]
    seq = seq[-MAX_LINES:]
    return [_DOCKER_TS.sub("", _ANSI.sub("", s[:MAX_LINE_CHARS]), count=1).rstrip("\r") for s in seq]


def _hit(kind: str, line: str, i: int) -> Hit:
    return Hit(kind, secrets.scrub(line.strip()), i + 1)


def classify(line: str) -> str | None:
    """The worker-trouble kind of one log line, or None."""
    if _RETRY_EXHAUSTION.search(line):
        return RETRY_EXHAUSTION
    if _CONNECTION_ERROR.search(line):
        return CONNECTION_ERROR
    if _TASK_FAILURE.search(line):
        return TASK_FAILURE
    return None


def worker_trouble(lines: str | bytes | Iterable[str] | None) -> list[Hit]:
    """Connection errors, task failures and retry exhaustion in a worker log tail, in log order.

    A line is reported once, under its most specific kind (retry exhaustion, then connection
    error, then task failure). Traceback continuation lines are not reported on their own unless
    they match a pattern themselves.
    """
    hits = []
    for i, line in enumerate(_lines(lines)):
        kind = classify(line)
        if kind:
            hits.append(_hit(kind, line, i))
    return hits


def startup_crash(lines: str | bytes | Iterable[str] | None) -> Hit | None:
    """The last import-time crash in the tail: an ImportError / ModuleNotFoundError / NameError /
    SyntaxError (or IndentationError) exception line of a traceback, or uvicorn's "Error loading
    ASGI app". A log message that merely mentions one of these names does not count.
    """
    seq = _lines(lines)
    found: Hit | None = None
    in_traceback = False
    for i, line in enumerate(seq):
        if _TRACEBACK in line:
            in_traceback = True
            continue
        m = _EXC_LINE.match(line)
        if m and (in_traceback or not line[:1].isspace()):
            found = _hit(STARTUP_CRASH, line, i)
            in_traceback = False
            continue
        if _ASGI_LOAD.search(line) or _NODE_LOAD.match(line):
            found = _hit(STARTUP_CRASH, line, i)
            continue
        if in_traceback and line and not line[:1].isspace() and not line.startswith(("During handling",
                                                                                       "The above exception")):
            in_traceback = False  # the traceback ended in another exception type
    return found


def db_degraded(lines: str | bytes | Iterable[str] | None, *, since_recovery: bool = False) -> list[Hit]:
    """§5.3 signatures (pool creation FAILED, Service degraded, DEGRADED MODE, gaierror / name
    resolution, Database unavailable). With `since_recovery`, only the hits after the last recovery
    line ("Background reconnection: SUCCESS", "pool created successfully") count.
    """
    seq = _lines(lines)
    start = 0
    if since_recovery:
        rec = db_recovered(seq)
        start = rec.lineno if rec else 0
    return [_hit(DB_DEGRADED, line, i) for i, line in enumerate(seq)
            if i >= start and _DB_DEGRADED.search(line) and not _DB_RECOVERED.search(line)]


def db_recovered(lines: str | bytes | Iterable[str] | None) -> Hit | None:
    """The last recovery line of the tail, if any."""
    found = None
    for i, line in enumerate(_lines(lines)):
        if _DB_RECOVERED.search(line):
            found = _hit(DB_RECOVERED, line, i)
    return found


def startup_signatures(lines: str | bytes | Iterable[str] | None) -> list[Hit]:
    """`Started server process` / `pool created successfully` lines (more than one per container
    lifetime is contract §9 #22)."""
    return [_hit("startup", line, i) for i, line in enumerate(_lines(lines)) if _STARTUP.search(line)]


def format_hits(hits: Iterable[Hit], *, limit: int = 20) -> str:
    hits = list(hits)
    out = [str(h) for h in hits[:limit]]
    if len(hits) > limit:
        out.append(f"... and {len(hits) - limit} more")
    return "\n".join(out)


class WorkerLog:
    """The worker's log tail, judged from its last (re)connect on: older errors are history, not the present."""

    RECOVERY = ("Connected to redis://", " ready.")

    def __init__(self, lines: list[str]):
        start = max((i for i, line in enumerate(lines) if any(m in line for m in self.RECOVERY)), default=-1)
        self.lines = lines
        self.current = lines[start + 1:]
        self.trouble = worker_trouble(self.current)
