"""Step 4 arithmetic: one connection's sync batches within the last N hours.

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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .parsers import Batch

__all__ = ["KNOWN_BATCH_STATUSES", "BatchWindow", "render", "summarize"]

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
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [head] + ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]
    if len(window.batches) > limit:
        lines.append(f"... and {len(window.batches) - limit} more")
    return "\n".join(lines)
