"""The runbook's Top 5 failure modes, as diagnostics: when the symptom is there, name the cause and the fix.

| # | Issue                        | Quick Fix                                                        |
| 1 | DB DNS / Network Disconnect  | docker network connect bccg4gs4o4kgsowocw08wkw4 pms-backend      |
| 2 | ImportError at Startup       | docker logs pms-backend --tail 50                                |
| 3 | JWT 401 Despite Valid Token  | fresh token; match JWT_SECRET; apikey only on the gateway        |
| 4 | Schema Drift (503)           | bash backend/scripts/ops/apply_supabase_migrations.sh            |
| 5 | Smoke Script Variable Errors | configuration validated before any check runs (exit code 4)      |
"""
import pytest

from pms_runbook import logscan
from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.postdeploy, pytest.mark.runbook("top-5-failure-modes-and-fixes")]


@pytest.mark.blocker
@pytest.mark.redflag("F1")
def test_no_db_dns_or_network_disconnect(readiness, names, containers, resolve_in_backend):
    from pms_runbook.roles import DB_HOST, describe_networks, dns_fix, network_findings  # F1's own plumbing

    _, ready = readiness
    db = ready.components.get("db")
    backend, db_container = containers.named(names["backend"]), containers.named(names["db"])
    model = names["network_model"]
    # The network model in force: v1 the backend on the Supabase network, v2 the DB aliased into coolify.
    findings = network_findings(model, backend, db_container, names=names)
    resolves = bool(backend and backend.up and resolve_in_backend(DB_HOST)[0] == 0)
    db_down = db is not None and db.status != "up"
    assert not db_down and not findings and resolves, red_flag(
        f"DB DNS / network disconnect: {names['backend']} cannot reach {DB_HOST} (network model {model})",
        observed=f"ready db: {db.status if db else '-'} ({db.error if db else '-'}); "
                 f"getent hosts {DB_HOST}: {'resolves' if resolves else 'empty'}; "
                 + ("; ".join(f.problem for f in findings) or "networks as the model expects")
                 + "\n" + describe_networks(backend, db_container),
        fix="   ".join(dict.fromkeys([f.fix for f in findings] or [dns_fix(model, names)]))
            + "   (no restart needed: the background reconnect heals it)",
        see_also="02-database.md#db-dns--degraded-mode",
    )


@pytest.mark.blocker
@pytest.mark.redflag("F2")
def test_no_container_crashes_at_startup(pms_containers, log_tails, evidence):
    crashing = {}
    for c in pms_containers:
        if c.restarting or c.restart_count > 0 or not c.up:
            hit = logscan.startup_crash(log_tails.get(c.name, []))
            if hit:
                crashing[c.name] = hit.line
    for name in crashing:
        evidence.attach_text(f"docker logs {name} --tail 100", "\n".join(log_tails[name]))
    assert not crashing, red_flag(
        f"ImportError at startup: {', '.join(crashing)} crashes while importing its code",
        observed="\n".join(f"{name}: {line}" for name, line in crashing.items()),
        fix=f"docker logs {next(iter(crashing))} --tail 50: fix the import in the code, then redeploy "
            "(Coolify: redeploy, not restart)",
    )


@pytest.mark.blocker
@pytest.mark.redflag("F3")
def test_api_accepts_the_gateway_token(jwt_verdict):
    verdict, observed = jwt_verdict
    assert verdict is None, red_flag(f"JWT 401 despite a fresh token: {verdict}", observed=observed,
                                     fix=verdict, see_also="03-auth.md#token-validation-apikey-header")


@pytest.mark.critical
@pytest.mark.redflag("F4")
def test_api_shows_no_schema_drift(schema_probe):
    drifted = {endpoint: message for endpoint, message in schema_probe.items() if message}
    assert not drifted, red_flag(
        "schema drift: the API answers 503 \"schema not installed or out of date\"",
        observed="\n".join(f"{e}: {m}" for e, m in drifted.items()),
        fix="CONFIRM_PROD=1 bash backend/scripts/ops/apply_supabase_migrations.sh   then re-check with --status",
        see_also="02-database.md#schema-drift",
    )


@pytest.mark.critical
@pytest.mark.redflag("F4")
def test_every_migration_is_applied(applied_migrations, expected_migrations):
    missing = sorted(set(expected_migrations) - set(applied_migrations))
    assert not missing, red_flag(
        f"{len(missing)} migration(s) missing from pms_schema_migrations (Pending > 0)",
        observed="\n".join(missing),
        fix="CONFIRM_PROD=1 bash backend/scripts/ops/apply_supabase_migrations.sh   (--dry-run lists them first)",
        see_also="02-database.md#db-migrations-production",
    )
