"""Step 6: retention reminder (weekly/monthly).

    SELECT COUNT(*) FILTER (WHERE created_at < NOW() - INTERVAL '90 days') AS logs_older_than_90d
    FROM public.channel_sync_logs;
"""
import pytest

from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.weekly, pytest.mark.nightly, pytest.mark.runbook("step-6-retention-reminder-weeklymonthly")]


@pytest.mark.redflag("D6.1")
def test_sync_logs_are_within_the_retention_window(retention, thresholds, evidence):
    evidence.attach_text("channel_sync_logs", retention.render())
    days = thresholds.retention_days
    assert retention.older == 0, red_flag(
        "D6.1", older=retention.older, days=days,
        observed=f"total {retention.total}, oldest {retention.oldest}, newest {retention.newest}, "
                 f"older than {days} d: {retention.older}, table size {retention.size}",
    )
