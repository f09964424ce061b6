"""Step 6: monthly code quality check: no browser popups (alert/confirm/prompt) reintroduced.

    bash frontend/scripts/check_no_browser_popups.sh
"""
import pytest

from pms_runbook.popups import format_hits, scan
from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.monthly, pytest.mark.nightly, pytest.mark.runbook("step-6-retention-reminder-weeklymonthly")]


@pytest.mark.normal
@pytest.mark.redflag("D6.2")
def test_frontend_has_no_browser_popups(frontend_dir, evidence):
    hits = scan(frontend_dir)
    evidence.attach_text("popup guard", format_hits(hits) or "no hit")
    assert not hits, red_flag(
        f"browser popups detected in {frontend_dir}: {len(hits)} call(s)",
        observed=format_hits(hits),
        fix="replace alert() with in-app banners/toasts (useToast), confirm() with in-app dialogs, "
            "prompt() with in-app forms",
    )
