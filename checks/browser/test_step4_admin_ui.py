"""Step 4 in the browser: "Navigate to admin .../connections, click any connection, check the Sync History
section (expect batches from the last 24 h), filter by Failed (expect 0 or few)".

The walk (fixtures/browser.py) opens every active connection's Connection Details; each check reads it and
compares what the page showed with what the API says. A screenshot of each page is attached as evidence.
"""
import pytest

from pms_runbook.redflag import CouldNotCheck, red_flag
from pms_runbook.resources import admin_ui
from pms_runbook.resources.channel_manager import parse_batch_list

pytestmark = [pytest.mark.browser, pytest.mark.daily, pytest.mark.nightly,
              pytest.mark.runbook("step-4-channel-manager-sanity-check")]


@pytest.fixture
def walked(admin_ui_walk, request):
    admin_ui.attach_screenshots(request, admin_ui_walk)
    if admin_ui_walk.failure:
        raise CouldNotCheck("the admin UI walk", admin_ui_walk.failure)
    return admin_ui_walk


@pytest.mark.redflag("D6.2")
def test_no_browser_dialog_opens_during_the_walk(walked, settings, profile_names):
    assert not walked.dialogs, red_flag("D6.2", case="live", observed="\n".join(walked.dialogs), names=profile_names,
                                        admin_url=settings.admin_url, count=len(walked.dialogs))


@pytest.mark.redflag("Q8")
def test_sync_history_is_shown_for_every_active_connection(walked, settings, profile_names):
    broken = [f"{h.connection_id} ({status}): {why}" for h in walked.histories for status, why in h.errors.items()]
    assert walked.histories, red_flag("Q8", case="none", observed="/connections listed no active connection",
                                      admin_url=settings.admin_url, names=profile_names)
    assert not broken, red_flag("Q8", observed="\n".join(broken), admin_url=settings.admin_url, names=profile_names,
                                count=sum(1 for h in walked.histories if h.errors))


@pytest.mark.redflag("Q8")
def test_sync_history_agrees_with_the_api(walked, pms, token, settings, evidence, profile_names):
    disagree = []
    for history in walked.histories:
        for status, shown in history.batches.items():
            if status in history.errors:
                continue  # the check above names it
            answer = pms.target.get(f"/api/v1/channel-connections/{history.connection_id}/sync-batches",
                                    params={"limit": 50, "offset": 0, "status": status}, token=token)
            evidence.attach_http(answer)
            api_ids = {b.batch_id for b in parse_batch_list(answer.body)} if answer.status == 200 else None
            if api_ids is None:
                raise CouldNotCheck(answer.endpoint, f"the API answered {answer.status}")
            ui_ids = {b["batch_id"] for b in shown}
            if not ui_ids <= api_ids or (api_ids and not ui_ids):
                disagree.append(f"{history.connection_id} ({status}): page shows {len(ui_ids)} batch(es), the API "
                                f"{len(api_ids)}; on the page only: {sorted(ui_ids - api_ids)[:3]}")
    assert not disagree, red_flag("Q8", case="disagree", observed="\n".join(disagree), admin_url=settings.admin_url,
                                  count=len(disagree), names=profile_names)
