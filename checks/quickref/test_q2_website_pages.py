"""Quick reference: "Website pages returns 500 — blocks Input should be a valid list". The stored blocks are
arrays; the admin list answers an array of pages whose blocks are arrays; the public home page too."""
import pytest

from fixtures.guest import not_member_note, require_some
from pms_runbook.redflag import CouldNotCheck, red_flag
from pms_runbook.resources import website_pages
from pms_runbook.resources.pms_api import expect_ok, failure_shown, parsed
from pms_runbook.resources.public_site import public_params

pytestmark = [pytest.mark.postdeploy, pytest.mark.nightly, pytest.mark.runbook("25-website-pages-blocks-500.md")]


@pytest.mark.daily
@pytest.mark.redflag("Q2")
def test_page_blocks_are_stored_as_arrays(profile_names, db, evidence):
    bad = website_pages.pages_not_arrays(db)
    evidence.attach_text("pages whose blocks are not a JSON array (SQL)",
                         "\n".join(f"{p.id} {p.slug} {p.blocks_type} agency {p.agency_id}" for p in bad) or "none")
    assert not bad, red_flag("Q2", names=profile_names, case="stored", observed="\n".join(
        f"{p.slug} ({p.id}, agency {p.agency_id}): jsonb_typeof(blocks) = {p.blocks_type}" for p in bad),
        ids=", ".join(f"'{p.id}'" for p in bad), kinds=", ".join(sorted({str(p.blocks_type) for p in bad})))


@pytest.mark.redflag("Q2")
def test_the_admin_lists_the_pages_with_their_blocks(profile_names, db, as_member, token, evidence):
    failed, skipped, checked = [], [], 0
    for agency in website_pages.agencies_with_pages(db):
        answer = as_member(website_pages.PAGES, agency)
        if answer is None:
            skipped.append(agency)
            continue
        checked += 1
        evidence.attach_http(answer)
        if answer.status == 500 and failure_shown(answer, token) is None:
            failed.append(f"agency {agency}: GET {website_pages.PAGES} -> HTTP 500 {answer.body[:160].decode(errors='replace')}")
            continue
        pages = parsed(expect_ok(answer, token), website_pages.parse_pages)
        failed += [f"agency {agency}: page {p.slug} has blocks as {p.blocks_type}" for p in pages
                   if p.blocks_type != "an array"]
    require_some(checked, f"GET {website_pages.PAGES}", skipped)
    assert not failed, red_flag("Q2", names=profile_names, observed="\n".join(failed) + not_member_note(skipped))


@pytest.mark.redflag("Q2")
def test_the_public_home_page_has_its_blocks(profile_names, pms, public_host, evidence):
    answer = pms.target.get(website_pages.PUBLIC_PAGE.format(slug="home"), params=public_params(public_host))
    evidence.attach_http(answer)
    if answer.status == 404:
        raise CouldNotCheck(answer.endpoint, f"it answered 404: no published home page, or {public_host} resolves to "
                            "no agency", hint="see the public-visibility check (Q7) for the tenant")
    assert answer.status != 500, red_flag("Q2", names=profile_names, case="public", observed=answer.render(300),
                                          host=public_host)
    page = parsed(expect_ok(answer), website_pages.parse_public_page)
    assert page.blocks_type == "an array", red_flag("Q2", names=profile_names, case="public", host=public_host,
                                                   observed=f"blocks is {page.blocks_type}")
