"""Quick reference: "Amenities filter empty — /unterkuenfte filter shows no amenities". The anon policies are
in place, and for every agency with a public host the public filter offers as many amenities as the chapter's
reference SQL finds (the API reads as anon, the SQL role sees every row)."""
import pytest

from pms_runbook.redflag import CouldNotCheck, red_flag
from pms_runbook.resources import public_site
from pms_runbook.resources.pms_api import expect_ok, parsed

pytestmark = [pytest.mark.postdeploy, pytest.mark.nightly,
              pytest.mark.runbook("10-amenities-admin-ui.md#public-amenities-filter-rls")]


@pytest.mark.daily
@pytest.mark.redflag("Q5")
def test_the_anon_amenities_policies_exist(profile_names, db, evidence):
    present = public_site.anon_policies(db)
    evidence.attach_text("anon policies on amenities / property_amenities (pg_policies)", ", ".join(sorted(present)) or "none")
    missing = [p for p in public_site.ANON_POLICIES if p not in present]
    assert not missing, red_flag("Q5", names=profile_names, case="policies", observed=f"pg_policies lacks {', '.join(missing)}",
                                 missing=", ".join(missing))


@pytest.mark.redflag("Q5")
def test_the_public_filter_offers_the_amenities_of_public_properties(profile_names, db, pms, agency_hosts, evidence):
    if not agency_hosts:
        raise CouldNotCheck("the public amenities filter", "no agency has a public host in agency_domains")
    failed, unresolved = [], []
    for agency, host in sorted(agency_hosts.items()):
        expected = public_site.reference_amenities(db, agency)
        answer = pms.target.get(public_site.FILTER_OPTIONS, params=public_site.public_params(host))
        evidence.attach_http(answer)
        if answer.status == 404:
            unresolved.append(host)
            continue
        if answer.status == 500:
            failed.append(f"{host}: filter-options -> HTTP 500 (SQL finds {len(expected)} amenities)")
            continue
        got = parsed(expect_ok(answer), public_site.parse_amenity_names)
        if len(got) != len(expected):
            failed.append(f"{host} (agency {agency}): API {len(got)} amenities {got}, SQL {len(expected)} {expected}")
    if len(unresolved) == len(agency_hosts):
        raise CouldNotCheck("the public amenities filter", f"no public host resolves ({', '.join(unresolved)}: 404)",
                            hint="see the public-visibility check (Q7)")
    note = f"\nnot checked (host answered 404, see Q7): {', '.join(unresolved)}" if unresolved else ""
    assert not failed, red_flag("Q5", names=profile_names, observed="\n".join(failed) + note)
