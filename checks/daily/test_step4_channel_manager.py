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


@pytest.mark.redflag("D4.1")
def test_every_active_connection_synced_in_the_last_24h(step4, thresholds):
    silent = step4.where(lambda w: w.total == 0)
    assert not silent, red_flag(
        "D4.1", observed="\n".join(c.label for c in silent.values()), count=len(silent),
        hours=f"{thresholds.window_hours:g}",
    )
    step4.require_all_read()


@pytest.mark.redflag("D4.2")
def test_failed_batches_stay_under_the_threshold(step4, thresholds, failed_batch_evidence, profile_names, evidence):
    high = step4.where(lambda w: w.total and w.failed_share > thresholds.failed_share_max)
    for cid, details in failed_batch_evidence(high).items():
        evidence.attach_text(f"failed batches of {high[cid].label}", details)
    assert not high, red_flag(
        "D4.2", observed=_table(high), names=profile_names, share=f"{thresholds.failed_share_max:.0%}",
        hours=f"{thresholds.window_hours:g}", count=len(high),
    )
    step4.require_all_read()


@pytest.mark.redflag("D4.3")
def test_recent_batches_are_not_all_stuck_running(step4, thresholds, profile_names):
    # A batch that started a minute ago is running, not stuck: stuck is running past the stale threshold.
    stuck = step4.where(lambda w: w.all_running and len(w.running_older_than(thresholds.stale_minutes)) == w.total)
    assert not stuck, red_flag("D4.3", observed=_table(stuck), names=profile_names, count=len(stuck))
    step4.require_all_read()


@pytest.mark.redflag("D4.4")
def test_recent_batches_hold_no_unexpected_status(step4):
    odd = step4.where(lambda w: w.other_count > 0 or w.other_batches > 0)
    assert not odd, red_flag("D4.4", observed=_table(odd), count=len(odd))
    step4.require_all_read()


@pytest.mark.redflag("D4.5")
def test_every_active_connection_is_seen_by_the_api_or_the_database(step4):
    assert not step4.not_listed, red_flag("D4.5", observed="\n".join(step4.not_listed), count=len(step4.not_listed))
    if step4.blind:
        raise CouldNotCheck("every agency's active connections (Step 4)", "; ".join(step4.blind),
                            hint="give PMS_DB_DSN of the read-only role (README: A read-only database role for "
                                 "the suite), with a policy or BYPASSRLS that lets it read every row")
    step4.require_all_read()
