"""Nightly: the sync pipeline over time. Stale sync logs and the failure trend (contract §4.6, §9 #10-11)."""
import pytest

from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.nightly, pytest.mark.runbook("04-channel-manager.md#channel-manager-error-handling--retry-logic")]


@pytest.mark.normal
@pytest.mark.redflag("N1")
def test_no_sync_log_is_stale(stale_logs, thresholds, evidence):
    evidence.attach_text("stale sync logs", "\n".join(map(str, stale_logs)) or "none")
    assert not stale_logs, red_flag(
        f"{len(stale_logs)} sync log(s) in triggered/queued/running with no update for over "
        f"{thresholds.stale_minutes} min",
        observed="\n".join(f"{r[0]} connection {r[1]} {r[2]} {r[3]} last update {r[4]}" for r in stale_logs[:20]),
        fix="check the worker (restart mid-task, OOM, lost DB/Redis, old worker on stale code); stale rows are "
            "marked failed on the next trigger of their connection, or run the manual cleanup SQL (02-database.md)",
    )


@pytest.mark.normal
@pytest.mark.redflag("N2")
def test_sync_failure_rate_stays_under_the_threshold(failure_trend, thresholds, evidence):
    evidence.attach_text(f"failed share per connection, last {thresholds.window_hours:g} h", failure_trend.render())
    high = failure_trend.above(thresholds.failed_share_max)
    assert not high, red_flag(
        f"sync log failure rate above {thresholds.failed_share_max:.0%} in the last {thresholds.window_hours:g} h "
        f"on {len(high)} connection(s)",
        observed="\n".join(f"{cid}: {failed}/{total} failed" for cid, failed, total in high),
        fix="read the failed logs' errors: 'Database unavailable', 'Schema drift', adapter errors, timeouts; "
            "docker logs pms-worker-v2 --tail 100",
    )
