"""Step 5: quick issue triage.

    docker exec pms-backend getent hosts supabase-db
    docker inspect pms-backend | jq '.[0].NetworkSettings.Networks | keys'
    docker ps | grep redis
    docker logs pms-worker-v2 --tail 50
"""
import pytest

from pms_runbook.redflag import red_flag
from pms_runbook.resources.containers import ContainerSet
from pms_runbook.resources.roles import DB_HOST, describe_networks, network_findings

pytestmark = [pytest.mark.daily, pytest.mark.runbook("step-5-quick-issue-triage-if-red-flags-found")]


@pytest.mark.redflag("D5.1")
def test_supabase_db_resolves_inside_pms_backend(names, resolve_in_backend):
    code, output = resolve_in_backend(DB_HOST)
    assert code == 0 and output.strip(), red_flag(
        "D5.1", case=names["network_model"], names=names, db_host=DB_HOST,
        observed=f"docker exec {names['backend']} getent hosts {DB_HOST} -> exit {code}, output {output.strip()!r}",
    )


@pytest.mark.redflag("D5.2")
def test_pms_backend_is_on_the_supabase_network(names, containers):
    # v1 (checklist): the backend on the Supabase network; v2 (March): the DB aliased into coolify.
    backend, db = containers.named(names["backend"]), containers.named(names["db"])
    findings = network_findings(names["network_model"], backend, db, names=names)
    assert not findings, red_flag(
        "D5.2", case="findings", problems="; ".join(f.problem for f in findings),
        fixes="   ".join(f.fix for f in findings),
        observed=describe_networks(backend, db) + f"\n(network model {names['network_model']}: "
                 "--network-model / PMS_NETWORK_MODEL / network_model in environments.toml)",
    )


@pytest.mark.redflag("D5.3")
def test_redis_container_is_running(names, containers, backend_redis):
    # The Redis the backend is configured with, not any Redis that happens to run.
    target, serving, listed = backend_redis
    if target.host is None:  # the backend names none: judge the profile's Redis, and say so
        redis = containers.named(names["redis"])
        serving, which, how = ([redis] if redis else []), names["redis"], f"{target.source}; judged the profile's"
    else:
        which, how = target.host, f"{target.source} = {target.shown_url}"
    up = [c for c in serving if c.up]
    name = serving[0].name if serving else which
    others = [c.name for c in listed if c.up and c not in serving]
    assert up, red_flag(
        "D5.3", name=name, state="not running" if serving else "missing", how=how,
        observed=ContainerSet(tuple({c.name: c for c in serving + listed}.values())).table()
                 + (f"\n{', '.join(others)} running does not count: {names['backend']} does not use it" if others else ""),
    )


@pytest.mark.redflag("D5.4")
def test_worker_log_is_free_of_errors(names, worker_log, log_tails):
    trouble = worker_log.trouble
    assert not trouble, red_flag(
        "D5.4", observed="\n".join(h.line for h in trouble[-10:]), names=names,
        kinds=", ".join(sorted({h.kind for h in trouble})),
    )
