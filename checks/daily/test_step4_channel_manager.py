"""Step 4: channel manager sanity check, for every active channel connection (not just one CID).

    curl -s ".../channel-connections/$CID/sync-batches?limit=10&status=any" -H "Authorization: Bearer $TOKEN"
    curl -s ".../channel-connections/$CID/sync-batches/$BATCH_ID" -H "Authorization: Bearer $TOKEN"
"""
import pytest

from pms_runbook.batches import render
from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.daily, pytest.mark.runbook("step-4-channel-manager-sanity-check")]


def _table(windows):
    return "\n\n".join(f"connection {cid}\n{render(w)}" for cid, w in windows.items())


@pytest.mark.critical
@pytest.mark.redflag("D4.1")
def test_every_active_connection_synced_in_the_last_24h(sync_windows, thresholds):
    silent = {cid: w for cid, w in sync_windows.items() if w.total == 0}
    assert not silent, red_flag(
        f"{len(silent)} active connection(s) without a sync batch in the last {thresholds.window_hours:g} h",
        observed="\n".join(silent),
        fix="check the worker (Step 3) and its log; trigger a sync: POST .../channel-connections/$CID/sync "
            "{\"sync_type\":\"full\"} and watch .../sync-batches",
    )


@pytest.mark.critical
@pytest.mark.redflag("D4.2")
def test_failed_batches_stay_under_the_threshold(sync_windows, thresholds, failed_batch_details, evidence):
    high = {cid: w for cid, w in sync_windows.items() if w.total and w.failed_share > thresholds.failed_share_max}
    for cid, details in failed_batch_details(high).items():
        evidence.attach_text(f"failed batches of {cid}", details)
    assert not high, red_flag(
        f"failed batches above {thresholds.failed_share_max:.0%} in the last {thresholds.window_hours:g} h "
        f"on {len(high)} connection(s)",
        observed=_table({cid: w for cid, w in high.items()}),
        fix="read the sync logs of the failed batches (attached) for error patterns: 'Database unavailable', "
            "'Schema drift', adapter errors, timeouts; then docker logs pms-worker-v2 --tail 100",
    )


@pytest.mark.critical
@pytest.mark.redflag("D4.3")
def test_recent_batches_are_not_all_stuck_running(sync_windows, thresholds):
    # A batch that started a minute ago is running, not stuck: stuck is running past the stale threshold.
    stuck = {cid: w for cid, w in sync_windows.items()
             if w.all_running and len(w.running_older_than(thresholds.stale_minutes)) == w.total}
    assert not stuck, red_flag(
        f"every recent batch is stuck in running on {len(stuck)} connection(s): the worker may be down",
        observed=_table(stuck),
        fix="check the worker (Step 3): docker ps | grep pms-worker; docker logs pms-worker-v2 --tail 100; "
            "stale rows are marked failed on the next trigger",
    )


@pytest.mark.normal
@pytest.mark.redflag("D4.4")
def test_recent_batches_hold_no_unexpected_status(sync_windows):
    odd = {cid: w for cid, w in sync_windows.items() if w.other_count > 0 or w.other_batches > 0}
    assert not odd, red_flag(
        f"status_counts.other > 0 (or batch_status unknown) in recent batches of {len(odd)} connection(s): "
        "unexpected status values",
        observed=_table(odd),
        fix="investigate the statuses in use: SELECT status, count(*) FROM channel_sync_logs "
            "WHERE created_at > now() - interval '24 hours' GROUP BY 1; check the schema's CHECK constraint",
    )
