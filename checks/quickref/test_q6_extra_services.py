"""Quick reference: "Extra service billing error — per_unit_night not saving". Both billing-unit CHECKs accept
per_unit_night, the tables and their trigger function exist, and the API offers the unit."""
import pytest

from pms_runbook.redflag import CouldNotCheck, red_flag
from pms_runbook.resources import extra_services
from pms_runbook.resources.pms_api import expect_ok

pytestmark = [pytest.mark.postdeploy, pytest.mark.nightly,
              pytest.mark.runbook("16-extra-services.md#migration-per_unit_night-2026-02-15")]


@pytest.mark.daily
@pytest.mark.redflag("Q6")
def test_the_billing_unit_constraints_accept_per_unit_night(profile_names, db, evidence):
    schema = extra_services.billing_schema(db)
    evidence.attach_text("billing_unit constraints (pg_constraint)",
                         "\n".join(f"{t}.{n}: {d}" for t, n, d in schema.constraints) or "none")
    assert not schema.missing_tables and schema.set_updated_at, red_flag(
        "Q6", names=profile_names, case="tables",
        observed=f"to_regclass NULL for {', '.join(schema.missing_tables) or 'none'}; "
                 f"set_updated_at() {'present' if schema.set_updated_at else 'missing'}")
    old = schema.without_unit()
    assert not old, red_flag("Q6", names=profile_names, observed="\n".join(f"{t}.{n}: {d}" for t, n, d in old),
                             constraints=", ".join(n for _t, n, _d in old))


@pytest.mark.redflag("Q6")
def test_the_api_offers_per_unit_night(profile_names, openapi, pms, token, evidence):
    answer, doc = openapi
    assert extra_services.SERVICES in doc.paths, red_flag(
        "Q6", names=profile_names, case="route", observed=f"/openapi.json has no {extra_services.SERVICES}")
    schema = doc.response_schema(extra_services.SERVICES)
    enum = doc.enum_of(schema, "billing_unit") if schema else None
    if enum is None:
        raise CouldNotCheck("the BillingUnit enum in /openapi.json", f"{extra_services.SERVICES} has no billing_unit enum")
    evidence.attach_text(f"{schema}.billing_unit in /openapi.json", ", ".join(sorted(enum)))
    assert extra_services.UNIT in enum, red_flag("Q6", names=profile_names, case="literal",
                                                 observed=f"BillingUnit: {', '.join(sorted(enum))}")
    evidence.attach_http(expect_ok(pms.target.get(extra_services.SERVICES, token=token), token))
