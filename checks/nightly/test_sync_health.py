"""Nightly: the sync pipeline over time. Stale sync logs and the failure trend (contract §4.6, §9 #10-11)."""
import pytest

from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.nightly, pytest.mark.runbook("04-channel-manager.md#channel-manager-error-handling--retry-logic")]


@pytest.mark.redflag("N1")
def test_no_sync_log_is_stale(stale_logs, thresholds, evidence):
    evidence.attach_text("stale sync logs", "\n".join(map(str, stale_logs)) or "none")
    assert not stale_logs, red_flag(
        "N1", count=len(stale_logs), minutes=thresholds.stale_minutes,
        observed="\n".join(f"{r[0]} connection {r[1]} {r[2]} {r[3]} last update {r[4]}" for r in stale_logs[:20]),
    )


@pytest.mark.redflag("N2")
def test_sync_failure_rate_stays_under_the_threshold(failure_trend, thresholds, profile_names, evidence):
    evidence.attach_text(f"failed share per connection, last {thresholds.window_hours:g} h", failure_trend.render())
    high = failure_trend.above(thresholds.failed_share_max)
    assert not high, red_flag(
        "N2", names=profile_names, share=f"{thresholds.failed_share_max:.0%}", hours=f"{thresholds.window_hours:g}",
        count=len(high), observed="\n".join(f"{cid}: {failed}/{total} failed" for cid, failed, total in high),
    )
