"""The channel manager: channel connections and their sync batches (Step 4), parsed and summarised.

GET /api/v1/channel-connections/, .../{id}/sync-batches and .../sync-batches/{batch_id}.

Step 4 arithmetic (`summarize`): one connection's sync batches within the last N hours.

The checklist's red flags read off a `BatchWindow`:
  - no batch at all in the window          -> `total == 0`
  - failed batches above 10 % of the window -> `failed_share > threshold`
  - every recent batch stuck in running     -> `all_running`
  - unexpected status values                -> `other_count > 0` (status_counts.other), or
                                               `other_batches > 0` (batch_status outside the known set)
A batch belongs to the window by `created_at_min`, falling back to `updated_at_max`; a batch with
neither is counted in `undated` and left out of the window.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pms_runbook.render import table
from pms_runbook.resources.answer import (
    BadAnswer,
    excerpt_of,
    expect_object,
    json_type,
    load_json,
    loose_str,
    opt_str,
    timestamp_field,
    total,
)


@dataclass(frozen=True)
class Connection:
    id: str
    status: str | None
    platform_type: str | None
    property_id: str | None
    platform_listing_id: str | None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.status == "active"


def _items(data: Any, endpoint: str, body: Any) -> list:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        items = data.get("items")
        if isinstance(items, list):
            return items
        if "items" in data:
            raise BadAnswer(endpoint, f"`items` is {json_type(items)}, expected an array", excerpt_of(body))
        raise BadAnswer(endpoint, "expected an array or an object with `items`", excerpt_of(body))
    raise BadAnswer(endpoint, f"answer is {json_type(data)}, expected an array or {{items:[…]}}", excerpt_of(body))


def _id(d: Mapping, key: str, endpoint: str, body: Any, path: str) -> str:
    v = d.get(key)
    if isinstance(v, bool) or v is None:
        raise BadAnswer(endpoint, f"{path}{key} missing", excerpt_of(body))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str) and v.strip() and len(v) <= 200:
        return v
    raise BadAnswer(endpoint, f"{path}{key} is {json_type(v)}, expected an id string", excerpt_of(body))


def _opt_id(d: Mapping, key: str, endpoint: str, body: Any, path: str) -> str | None:
    if d.get(key) is None:
        return None
    return _id(d, key, endpoint, body, path)


def _connection(item: Any, i: int, endpoint: str, body: Any) -> Connection:
    path = f"items[{i}]."
    if not isinstance(item, dict):
        raise BadAnswer(endpoint, f"items[{i}] is {json_type(item)}, expected an object", excerpt_of(body))
    return Connection(
        id=_id(item, "id", endpoint, body, path),
        status=opt_str(item, "status", endpoint, body, path=path),
        platform_type=opt_str(item, "platform_type", endpoint, body, path=path),
        property_id=_opt_id(item, "property_id", endpoint, body, path),
        platform_listing_id=_opt_id(item, "platform_listing_id", endpoint, body, path),
        raw=item,
    )


@total("/api/v1/channel-connections/")
def parse_connection_list(body: Any, *, endpoint: str = "/api/v1/channel-connections/",
                          max_bytes: int | None = None) -> list[Connection]:
    """A bare array (deployed) or `{items:[…]}` (accepted by the scripts)."""
    data = load_json(body, endpoint=endpoint, max_bytes=max_bytes)
    return [_connection(item, i, endpoint, body) for i, item in enumerate(_items(data, endpoint, body))]


@total("/api/v1/channel-connections/{id}")
def parse_connection(body: Any, *, endpoint: str = "/api/v1/channel-connections/{id}",
                     max_bytes: int | None = None) -> Connection:
    data = expect_object(load_json(body, endpoint=endpoint, max_bytes=max_bytes), endpoint, body)
    return _connection(data, 0, endpoint, body)


STATUS_COUNT_KEYS = ("triggered", "running", "success", "failed", "other")
_COUNT_FOLD = {"queued": "triggered"}  # the server counts queued as triggered


@dataclass(frozen=True)
class Operation:
    operation_type: str | None
    status: str | None
    updated_at: datetime | None
    error: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Batch:
    batch_id: str
    connection_id: str | None
    batch_status: str  # success | failed | running | unknown | anything else, kept as is
    status_counts: dict[str, int]
    created_at_min: datetime | None
    updated_at_max: datetime | None
    operations: tuple[Operation, ...] = ()
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def when(self) -> datetime | None:
        """The time that places the batch in a window: created_at_min, else updated_at_max."""
        return self.created_at_min or self.updated_at_max

    @property
    def total_ops(self) -> int:
        return sum(self.status_counts.values())


def _count(v: Any, key: str, endpoint: str, body: Any) -> int:
    if isinstance(v, bool):
        raise BadAnswer(endpoint, f"status_counts.{key} is a boolean", excerpt_of(body))
    if isinstance(v, int):
        if v < 0 or v > 10**12:
            raise BadAnswer(endpoint, f"status_counts.{key} = {v} is out of range", excerpt_of(body))
        return v
    if isinstance(v, float) and math.isfinite(v) and v.is_integer() and 0 <= v <= 1e12:
        return int(v)
    if v is None:
        return 0
    raise BadAnswer(endpoint, f"status_counts.{key} is {json_type(v)}, expected a count", excerpt_of(body))


def _counts_from_ops(ops: Iterable[Operation]) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_COUNT_KEYS, 0)
    for op in ops:
        s = _COUNT_FOLD.get(op.status or "", op.status or "")
        counts[s if s in counts and s != "other" else "other"] += 1
    return counts


def _batch(item: Any, i: int | None, endpoint: str, body: Any) -> Batch:
    path = f"items[{i}]." if i is not None else ""
    if not isinstance(item, dict):
        raise BadAnswer(endpoint, f"{path or 'answer '}is {json_type(item)}, expected a batch object",
                        excerpt_of(body))
    status = opt_str(item, "batch_status", endpoint, body, path=path)
    if status is None:
        raise BadAnswer(endpoint, f"{path}batch_status missing", excerpt_of(body))

    ops_raw = item.get("operations")
    ops: list[Operation] = []
    if ops_raw is not None:
        if not isinstance(ops_raw, list):
            raise BadAnswer(endpoint, f"{path}operations is {json_type(ops_raw)}, expected an array",
                            excerpt_of(body))
        for j, op in enumerate(ops_raw[:10_000]):
            opath = f"{path}operations[{j}]."
            if not isinstance(op, dict):
                raise BadAnswer(endpoint, f"{opath[:-1]} is {json_type(op)}, expected an object", excerpt_of(body))
            ops.append(Operation(
                operation_type=opt_str(op, "operation_type", endpoint, body, path=opath),
                status=opt_str(op, "status", endpoint, body, path=opath),
                updated_at=timestamp_field(op, "updated_at", endpoint, body, strict=False),
                error=loose_str(op.get("error")),
                raw=op,
            ))

    sc = item.get("status_counts")
    if sc is None:
        counts = _counts_from_ops(ops) if ops else dict.fromkeys(STATUS_COUNT_KEYS, 0)
    elif isinstance(sc, dict):
        counts = dict.fromkeys(STATUS_COUNT_KEYS, 0)
        for key, v in list(sc.items())[:100]:
            n = _count(v, str(key)[:40], endpoint, body)
            k = _COUNT_FOLD.get(key, key)
            counts[k if k in counts else "other"] += n
    else:
        raise BadAnswer(endpoint, f"{path}status_counts is {json_type(sc)}, expected an object", excerpt_of(body))

    return Batch(
        batch_id=_id(item, "batch_id", endpoint, body, path),
        connection_id=_opt_id(item, "connection_id", endpoint, body, path),
        batch_status=status,
        status_counts=counts,
        created_at_min=timestamp_field(item, "created_at_min", endpoint, body, strict=True, path=path),
        updated_at_max=timestamp_field(item, "updated_at_max", endpoint, body, strict=True, path=path),
        operations=tuple(ops),
        raw=item,
    )


@total("/api/v1/channel-connections/{id}/sync-batches")
def parse_batch_list(body: Any, *, endpoint: str = "/api/v1/channel-connections/{id}/sync-batches",
                     max_bytes: int | None = None) -> list[Batch]:
    """`{items, limit, offset}` (checklist) or a bare array (LEG API reference)."""
    data = load_json(body, endpoint=endpoint, max_bytes=max_bytes)
    return [_batch(item, i, endpoint, body) for i, item in enumerate(_items(data, endpoint, body))]


@total("/api/v1/channel-connections/{id}/sync-batches/{batch_id}")
def parse_batch(body: Any, *, endpoint: str = "/api/v1/channel-connections/{id}/sync-batches/{batch_id}",
                max_bytes: int | None = None) -> Batch:
    data = load_json(body, endpoint=endpoint, max_bytes=max_bytes)
    return _batch(data, None, endpoint, body)


# POST {SB_URL}/auth/v1/token?grant_type=password


# "unknown" is documented too, but it is the server's "could not tell": it counts in other_batches
KNOWN_BATCH_STATUSES = frozenset({"success", "failed", "running"})


@dataclass(frozen=True)
class BatchWindow:
    total: int
    failed: int
    running: int
    success: int
    other_batches: int  # batches whose batch_status is not success/failed/running ("unknown", ...)
    other_count: int  # sum of status_counts["other"] over the window's batches
    failed_share: float  # failed / total, 0.0 for an empty window
    all_running: bool  # total > 0 and every batch is running
    batches: tuple[Batch, ...]  # the window's batches, newest first
    now: datetime | None = None
    hours: float = 24
    undated: int = 0  # batches with neither created_at_min nor updated_at_max (not in the window)
    seen: int = 0  # batches looked at, in and out of the window

    @property
    def empty(self) -> bool:
        return self.total == 0

    @property
    def start(self) -> datetime | None:
        return self.now - timedelta(hours=self.hours) if self.now else None

    def running_older_than(self, minutes: float) -> tuple[Batch, ...]:
        """Window batches still `running` whose first operation is older than `minutes` (stale)."""
        if self.now is None:
            return ()
        cutoff = self.now - timedelta(minutes=minutes)
        return tuple(b for b in self.batches
                     if b.batch_status == "running" and b.when is not None and b.when < cutoff)

    def with_status(self, status: str) -> tuple[Batch, ...]:
        return tuple(b for b in self.batches if b.batch_status == status)

    def unexpected(self) -> tuple[Batch, ...]:
        """Batches with an unknown batch_status or status_counts.other > 0."""
        return tuple(b for b in self.batches
                     if b.batch_status not in KNOWN_BATCH_STATUSES or b.status_counts.get("other", 0) > 0)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def summarize(batches: Iterable[Batch], *, now: datetime, hours: float = 24) -> BatchWindow:
    """Summarise the batches that fall in `[now - hours, now]` (later timestamps, clock skew, count too)."""
    if hours <= 0:
        raise ValueError("hours must be > 0")
    now = _aware(now)
    start = now - timedelta(hours=hours)
    window: list[Batch] = []
    undated = seen = 0
    for b in batches:
        seen += 1
        when = b.when
        if when is None:
            undated += 1
            continue
        if _aware(when) >= start:
            window.append(b)
    window.sort(key=lambda b: _aware(b.when), reverse=True)  # type: ignore[arg-type]
    total = len(window)
    failed = sum(1 for b in window if b.batch_status == "failed")
    running = sum(1 for b in window if b.batch_status == "running")
    success = sum(1 for b in window if b.batch_status == "success")
    return BatchWindow(
        total=total,
        failed=failed,
        running=running,
        success=success,
        other_batches=total - failed - running - success,
        other_count=sum(b.status_counts.get("other", 0) for b in window),
        failed_share=(failed / total) if total else 0.0,
        all_running=total > 0 and running == total,
        batches=tuple(window),
        now=now,
        hours=hours,
        undated=undated,
        seen=seen,
    )


def _fmt(dt: datetime | None) -> str:
    return _aware(dt).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if dt else "-"


def render(window: BatchWindow, *, limit: int = 50) -> str:
    """Evidence: a one-line summary and a table of the window's batches (newest first)."""
    head = (f"{window.total} batch(es) in the last {window.hours:g} h"
            f" (failed {window.failed}, running {window.running}, success {window.success},"
            f" other status {window.other_batches}; failed share {window.failed_share:.0%};"
            f" status_counts.other {window.other_count})")
    if window.undated:
        head += f"; {window.undated} undated batch(es) left out"
    if not window.batches:
        return head
    header = ("BATCH", "STATUS", "CREATED_MIN", "UPDATED_MAX", "TRIG", "RUN", "OK", "FAIL", "OTHER")
    rows = [header]
    for b in window.batches[:limit]:
        c = b.status_counts
        rows.append((b.batch_id, b.batch_status, _fmt(b.created_at_min), _fmt(b.updated_at_max),
                     str(c.get("triggered", 0)), str(c.get("running", 0)), str(c.get("success", 0)),
                     str(c.get("failed", 0)), str(c.get("other", 0))))
    lines = [head, table(rows)]
    if len(window.batches) > limit:
        lines.append(f"... and {len(window.batches) - limit} more")
    return "\n".join(lines)
