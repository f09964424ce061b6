"""Step 4's window arithmetic over parsed batches."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pms_runbook.resources.channel_manager import Batch, BatchWindow, parse_batch_list, render, summarize

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 1, 6, 10, 0, tzinfo=UTC)


def batch(i, status, *, hours_ago=None, updated_hours_ago=None, other=0, **counts):
    sc = {"triggered": 0, "running": 0, "success": 0, "failed": 0, "other": other}
    sc.update(counts)
    return Batch(
        batch_id=f"b{i}", connection_id="c", batch_status=status, status_counts=sc,
        created_at_min=NOW - timedelta(hours=hours_ago) if hours_ago is not None else None,
        updated_at_max=NOW - timedelta(hours=updated_hours_ago) if updated_hours_ago is not None else None,
    )


def test_recorded_list_window():
    batches = parse_batch_list((DATA / "batches_items.json").read_bytes())
    w = summarize(batches, now=NOW, hours=24)
    # success at 09:00 and failed at 03:00 are in; the running batch of 2026-01-04 21:00 is out
    assert (w.total, w.failed, w.running, w.success) == (2, 1, 0, 1)
    assert w.failed_share == 0.5 and not w.all_running and w.other_count == 0
    assert [b.batch_status for b in w.batches] == ["success", "failed"]  # newest first
    assert w.seen == 3


def test_empty_window():
    w = summarize([batch(1, "success", hours_ago=30)], now=NOW)
    assert w.total == 0 and w.empty and w.failed_share == 0.0 and not w.all_running


def test_all_running_and_stale():
    w = summarize([batch(1, "running", hours_ago=3, triggered=3), batch(2, "running", hours_ago=0.5, running=1)],
                  now=NOW)
    assert w.all_running and w.running == 2
    assert [b.batch_id for b in w.running_older_than(60)] == ["b1"]


def test_failed_share_threshold_edge():
    bs = [batch(i, "failed" if i == 0 else "success", hours_ago=1 + i * 0.1) for i in range(10)]
    w = summarize(bs, now=NOW)
    assert w.failed_share == pytest.approx(0.10)
    assert not w.failed_share > 0.10  # exactly 10 % is not "above 10 %"


def test_unexpected_statuses():
    w = summarize([batch(1, "unknown", hours_ago=1, other=3), batch(2, "success", hours_ago=2, other=1),
                   batch(3, "cancelled", hours_ago=2)], now=NOW)
    assert w.other_batches == 2 and w.other_count == 4
    assert {b.batch_id for b in w.unexpected()} == {"b1", "b2", "b3"}


def test_updated_at_fallback_and_undated():
    w = summarize([batch(1, "success", updated_hours_ago=2), batch(2, "success")], now=NOW)
    assert w.total == 1 and w.undated == 1


def test_clock_skew_future_batches_count_and_naive_now_is_utc():
    w = summarize([batch(1, "success", hours_ago=-0.1)], now=NOW.replace(tzinfo=None))
    assert w.total == 1


def test_window_edges_and_hours():
    bs = [batch(1, "success", hours_ago=24), batch(2, "success", hours_ago=24.01)]
    assert summarize(bs, now=NOW).total == 1
    assert summarize(bs, now=NOW, hours=48).total == 2
    with pytest.raises(ValueError):
        summarize(bs, now=NOW, hours=0)


def test_render():
    batches = parse_batch_list((DATA / "batches_items.json").read_bytes())
    text = render(summarize(batches, now=NOW))
    lines = text.splitlines()
    assert lines[0].startswith("2 batch(es) in the last 24 h (failed 1, running 0, success 1")
    assert "failed share 50%" in lines[0]
    assert lines[1].split()[:2] == ["BATCH", "STATUS"]
    assert "b7c1e8d2-0a4f-4c5e-9d3b-2f1e0a9b8c71" in lines[2] and "2026-01-06 09:00:00Z" in lines[2]
    assert render(summarize([], now=NOW)).startswith("0 batch(es)")
    many = summarize([batch(i, "success", hours_ago=1) for i in range(60)], now=NOW)
    assert render(many, limit=5).endswith("... and 55 more")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["success", "failed", "running", "unknown", "x"]),
                          st.none() | st.floats(-5, 100), st.integers(0, 5)), max_size=30))
def test_summary_invariants(spec):
    bs = [batch(i, s, hours_ago=h, other=o) for i, (s, h, o) in enumerate(spec)]
    w = summarize(bs, now=NOW)
    assert isinstance(w, BatchWindow)
    assert w.total == w.failed + w.running + w.success + w.other_batches == len(w.batches)
    assert w.total + w.undated <= w.seen == len(bs)
    assert 0.0 <= w.failed_share <= 1.0
    assert w.all_running == (w.total > 0 and w.running == w.total)
    assert all(b.when >= NOW - timedelta(hours=24) for b in w.batches)
