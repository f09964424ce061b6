"""Quick reference: "Property not on public site — Active property missing from /unterkuenfte". The public host
resolves to its agency, and every property the admin shows as listed or that the rule (is_public AND
is_active) makes public is in the public API's list, and nothing else is."""
import pytest

from pms_runbook.redflag import CouldNotCheck, red_flag
from pms_runbook.resources import public_site
from pms_runbook.resources.pms_api import expect_ok, parsed

pytestmark = [pytest.mark.postdeploy, pytest.mark.nightly, pytest.mark.runbook("29-public-website-visibility.md")]


@pytest.mark.daily
@pytest.mark.redflag("Q7")
def test_the_public_host_resolves_to_its_agency(profile_names, db, pms, public_host, evidence):
    agency = public_site.agency_of_host(db, public_host)
    answer = pms.target.get(public_site.SETTINGS, params=public_site.public_params(public_host))
    evidence.attach_http(answer)
    assert agency is not None and answer.status != 404, red_flag("Q7", names=profile_names, case="domain", host=public_host,
        observed=f"agency_domains: {'no row' if agency is None else agency} for {public_host}; "
                 f"GET {public_site.SETTINGS}?public_host={public_host} -> HTTP {answer.status}")
    expect_ok(answer)


@pytest.mark.redflag("Q7")
def test_every_public_property_is_on_the_public_site(profile_names, db, pms, agency_hosts, evidence):
    if not agency_hosts:
        raise CouldNotCheck("the public properties", "no agency has a public host in agency_domains")
    hidden, filtered, extra, unresolved = [], [], [], []
    for agency, host in sorted(agency_hosts.items()):
        stored = public_site.properties_for_guests(db, agency)
        answer = pms.target.get(public_site.PROPERTIES, params=public_site.public_params(host, limit=200))
        evidence.attach_http(answer)
        if answer.status == 404:
            unresolved.append(host)
            continue
        shown = set(parsed(expect_ok(answer), public_site.parse_property_ids))
        for p in stored:
            if p.id not in shown:
                (filtered if p.visible else hidden).append(f"{host}: {p.id} {p.name!r} {p.flags()}")
        extra += [f"{host}: {pid} (not is_public AND is_active in SQL)" for pid in sorted(shown - {p.id for p in stored
                                                                                                    if p.visible})]
    if len(unresolved) == len(agency_hosts):
        raise CouldNotCheck("the public properties", f"no public host resolves ({', '.join(unresolved)}: 404)")
    note = f"\nnot checked (host answered 404): {', '.join(unresolved)}" if unresolved else ""
    assert not hidden, red_flag("Q7", names=profile_names, observed="\n".join(hidden) + note, count=len(hidden))
    assert not filtered, red_flag("Q7", names=profile_names, case="filter", observed="\n".join(filtered) + note)
    assert not extra, red_flag("Q7", names=profile_names, case="extra", observed="\n".join(extra) + note)
