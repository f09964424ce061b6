"""The runbook's Top 5 failure modes, as diagnostics: when the symptom is there, name the cause and the fix.

| # | Issue                        | Quick Fix                                                        |
| 1 | DB DNS / Network Disconnect  | docker network connect bccg4gs4o4kgsowocw08wkw4 pms-backend      |
| 2 | ImportError at Startup       | docker logs pms-backend --tail 50                                |
| 3 | JWT 401 Despite Valid Token  | fresh token; match JWT_SECRET; apikey only on the gateway        |
| 4 | Schema Drift (503)           | bash backend/scripts/ops/apply_supabase_migrations.sh            |
| 5 | Smoke Script Variable Errors | configuration validated before any check runs (exit code 4)      |
"""
from datetime import UTC, datetime

import pytest

from pms_runbook.redflag import CouldNotCheck, red_flag
from pms_runbook.resources.auth import auth_refusal, gateway_refusal
from pms_runbook.resources.errors import no_agency, schema_drift_message
from pms_runbook.resources.logs import startup_crash
from pms_runbook.resources.pms_api import diagnose_unauthorized

pytestmark = [pytest.mark.postdeploy, pytest.mark.runbook("top-5-failure-modes-and-fixes")]


@pytest.mark.redflag("F1")
def test_no_db_dns_or_network_disconnect(readiness, names, containers, resolve_in_backend):
    from pms_runbook.resources.roles import DB_HOST, describe_networks, network_findings  # F1's own plumbing

    _, ready = readiness
    db = ready.components.get("db")
    backend, db_container = containers.named(names["backend"]), containers.named(names["db"])
    model = names["network_model"]
    # The network model in force: v1 the backend on the Supabase network, v2 the DB aliased into coolify.
    findings = network_findings(model, backend, db_container, names=names)
    resolves = bool(backend and backend.up and resolve_in_backend(DB_HOST)[0] == 0)
    db_down = db is not None and db.status != "up"
    assert not db_down and not findings and resolves, red_flag(
        "F1", case="findings" if findings else model, names=names, db_host=DB_HOST,
        fixes="   ".join(dict.fromkeys(f.fix for f in findings)),
        observed=f"ready db: {db.status if db else '-'} ({db.error if db else '-'}); "
                 f"getent hosts {DB_HOST}: {'resolves' if resolves else 'empty'}; "
                 + ("; ".join(f.problem for f in findings) or "networks as the model expects")
                 + "\n" + describe_networks(backend, db_container),
    )


@pytest.mark.redflag("F2")
def test_no_container_crashes_at_startup(pms_containers, log_tails, evidence):
    crashing = {}
    for c in pms_containers:
        if c.restarting or c.restart_count > 0 or not c.up:
            hit = startup_crash(log_tails.get(c.name, []))
            if hit:
                crashing[c.name] = hit.line
    for name in crashing:
        evidence.attach_text(f"docker logs {name} --tail 100", "\n".join(log_tails[name]))
    assert not crashing, red_flag(
        "F2", crashing=", ".join(crashing), name=next(iter(crashing), ""),
        observed="\n".join(f"{name}: {line}" for name, line in crashing.items()),
    )


@pytest.mark.redflag("F3")
def test_api_accepts_the_gateway_token(jwt_exchange, pms, evidence):
    names = pms.names  # the profile's (no Docker snapshot for an HTTP check)
    gateway, tok, api = jwt_exchange.gateway, jwt_exchange.token, jwt_exchange.api
    assert tok is not None, red_flag("F3", case="gateway", observed=gateway.render(300),
                                     refusal=gateway_refusal(gateway))
    evidence.attach_http(api)
    claims = (f"token claims: aud={tok.claims.get('aud')} exp={tok.expires_at} "
              f"(expired: {tok.expired(datetime.now(UTC))})")
    refused = api.status == 401 or (api.status == 403 and auth_refusal(api.body) is not None)
    assert not refused, red_flag(
        "F3", case="refused", status=api.status, diagnosis=diagnose_unauthorized(api, tok.access_token, names),
        observed=f"{api.endpoint} -> HTTP {api.status} {api.body[:160].decode(errors='replace')}; {claims}",
    )
    agency = no_agency(api.status, api.body)
    assert agency is None, red_flag(
        "F3", case="no-agency", agency=agency,
        observed=f"{api.endpoint} -> HTTP {api.status} {api.body[:160].decode(errors='replace')}; {claims}",
    )
    # A schema-drift answer comes from a handler the token got into (F4 owns it); anything else shows nothing.
    drifted = api.status in (500, 503) and schema_drift_message(api.body)
    if api.status != 200 and not drifted:
        raise CouldNotCheck("whether the API accepts the gateway's token",
                            f"{api.endpoint} answered {api.status}, which says neither: "
                            f"{api.body[:160].decode(errors='replace')}")


@pytest.mark.redflag("F4")
def test_api_shows_no_schema_drift(schema_probe, pms, evidence):
    names = pms.names  # the profile's (no Docker snapshot for an HTTP check)
    for answer in schema_probe:
        evidence.attach_http(answer)
    drifted = {a.endpoint: schema_drift_message(a.body) for a in schema_probe if a.status in (500, 503)}
    drifted = {endpoint: message for endpoint, message in drifted.items() if message}
    assert not drifted, red_flag("F4", observed="\n".join(f"{e}: {m}" for e, m in drifted.items()),
                                 names=names)
    unread = [a for a in schema_probe if a.status != 200]
    if unread:
        raise CouldNotCheck(f"schema drift on {unread[0].endpoint}",
                            f"it answered {unread[0].status}, not an answer of its handler: "
                            f"{unread[0].body[:160].decode(errors='replace')}",
                            hint="the token or the database is the problem first (F3, Step 2)")


@pytest.mark.redflag("F4")
def test_every_migration_is_applied(applied_migrations, expected_migrations):
    missing = sorted(set(expected_migrations) - set(applied_migrations))
    assert not missing, red_flag("F4", case="migrations", observed="\n".join(missing), count=len(missing))
