"""Step 4: channel manager sanity check, for every active channel connection of every agency (not just one CID).

    curl -s ".../channel-connections/$CID/sync-batches?limit=10&status=any" -H "Authorization: Bearer $TOKEN" \\
         -H "x-agency-id: $AGENCY"
    curl -s ".../channel-connections/$CID/sync-batches/$BATCH_ID" -H "Authorization: Bearer $TOKEN"

The ops user's agencies are read through the API (x-agency-id per membership); every other agency's
connections through the read-only database, with the same batch figures. A red flag names the connection,
its agency and how it was read; a connection that could not be read makes the check "could not check".
"""
import pytest

from pms_runbook.redflag import CouldNotCheck, red_flag
from pms_runbook.resources.channel_manager import render

pytestmark = [pytest.mark.daily, pytest.mark.runbook("step-4-channel-manager-sanity-check")]


def _table(checked):
    return "\n\n".join(f"{c.label}\n{render(c.window)}" for c in checked.values())


@pytest.mark.critical
@pytest.mark.redflag("D4.1")
def test_every_active_connection_synced_in_the_last_24h(step4, thresholds):
    silent = step4.where(lambda w: w.total == 0)
    assert not silent, red_flag(
        f"{len(silent)} active connection(s) without a sync batch in the last {thresholds.window_hours:g} h",
        observed="\n".join(c.label for c in silent.values()),
        fix="check the worker (Step 3) and its log; trigger a sync: POST .../channel-connections/$CID/sync "
            "{\"sync_type\":\"full\"} (header x-agency-id: the connection's agency) and watch .../sync-batches",
    )
    step4.require_all_read()


@pytest.mark.critical
@pytest.mark.redflag("D4.2")
def test_failed_batches_stay_under_the_threshold(step4, thresholds, failed_batch_evidence, evidence):
    high = step4.where(lambda w: w.total and w.failed_share > thresholds.failed_share_max)
    for cid, details in failed_batch_evidence(high).items():
        evidence.attach_text(f"failed batches of {high[cid].label}", details)
    assert not high, red_flag(
        f"failed batches above {thresholds.failed_share_max:.0%} in the last {thresholds.window_hours:g} h "
        f"on {len(high)} connection(s)",
        observed=_table(high),
        fix="read the sync logs of the failed batches (attached) for error patterns: 'Database unavailable', "
            "'Schema drift', adapter errors, timeouts; then docker logs pms-worker-v2 --tail 100",
    )
    step4.require_all_read()


@pytest.mark.critical
@pytest.mark.redflag("D4.3")
def test_recent_batches_are_not_all_stuck_running(step4, thresholds):
    # A batch that started a minute ago is running, not stuck: stuck is running past the stale threshold.
    stuck = step4.where(lambda w: w.all_running and len(w.running_older_than(thresholds.stale_minutes)) == w.total)
    assert not stuck, red_flag(
        f"every recent batch is stuck in running on {len(stuck)} connection(s): the worker may be down",
        observed=_table(stuck),
        fix="check the worker (Step 3): docker ps | grep pms-worker; docker logs pms-worker-v2 --tail 100; "
            "stale rows are marked failed on the next trigger",
    )
    step4.require_all_read()


@pytest.mark.normal
@pytest.mark.redflag("D4.4")
def test_recent_batches_hold_no_unexpected_status(step4):
    odd = step4.where(lambda w: w.other_count > 0 or w.other_batches > 0)
    assert not odd, red_flag(
        f"status_counts.other > 0 (or batch_status unknown) in recent batches of {len(odd)} connection(s): "
        "unexpected status values",
        observed=_table(odd),
        fix="investigate the statuses in use: SELECT status, count(*) FROM channel_sync_logs "
            "WHERE created_at > now() - interval '24 hours' GROUP BY 1; check the schema's CHECK constraint",
    )
    step4.require_all_read()


@pytest.mark.critical
@pytest.mark.redflag("D4.5")
def test_every_active_connection_is_seen_by_the_api_or_the_database(step4):
    assert not step4.not_listed, red_flag(
        f"{len(step4.not_listed)} active connection(s) of the ops user's agencies are missing from the API's list",
        observed="\n".join(step4.not_listed),
        fix="GET /api/v1/channel-connections/ with header x-agency-id: <agency> must list them: check their "
            "deleted_at and agency_id in channel_connections, and the backend's tenant resolution (x-agency-id)",
    )
    if step4.blind:
        raise CouldNotCheck("every agency's active connections (Step 4)", "; ".join(step4.blind),
                            hint="give PMS_DB_DSN of the read-only role (README: A read-only database role for "
                                 "the suite), with a policy or BYPASSRLS that lets it read every row")
    step4.require_all_read()
