"""Step 5: quick issue triage.

    docker exec pms-backend getent hosts supabase-db
    docker inspect pms-backend | jq '.[0].NetworkSettings.Networks | keys'
    docker ps | grep redis
    docker logs pms-worker-v2 --tail 50
"""
import pytest

from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.daily, pytest.mark.runbook("step-5-quick-issue-triage-if-red-flags-found")]


@pytest.mark.blocker
@pytest.mark.redflag("D5.1")
def test_supabase_db_resolves_inside_pms_backend(names, resolve_in_backend):
    code, output = resolve_in_backend("supabase-db")
    assert code == 0 and output.strip(), red_flag(
        f"supabase-db does not resolve inside {names['backend']} (DNS failure)",
        observed=f"docker exec {names['backend']} getent hosts supabase-db -> exit {code}, output {output.strip()!r}",
        fix=f"docker network connect {names['supabase_network']} {names['backend']}",
        see_also="db-dns--degraded-mode",
    )


@pytest.mark.blocker
@pytest.mark.redflag("D5.2")
def test_pms_backend_is_on_the_supabase_network(names, containers):
    backend = containers.named(names["backend"])
    if backend is None:
        pytest.fail(red_flag(f"{names['backend']} is missing", observed=containers.table(),
                             fix="see Step 1"))
    assert names["supabase_network"] in backend.networks, red_flag(
        f"{names['backend']} is not attached to the Supabase network {names['supabase_network']}",
        observed=f"networks: {backend.networks}",
        fix=f"docker network connect {names['supabase_network']} {names['backend']}",
        see_also="db-dns--degraded-mode",
    )


@pytest.mark.critical
@pytest.mark.redflag("D5.3")
def test_redis_container_is_running(names, containers):
    redis = containers.named(names["redis"])
    assert redis is not None and redis.up, red_flag(
        f"the Redis container {names['redis']} is {'missing' if redis is None else 'not running'}",
        observed=containers.matching(names["redis"]).table(),
        fix=f"docker start {names['redis']} (Coolify: start the Redis service), then verify "
            "/health/ready redis is up",
    )


@pytest.mark.critical
@pytest.mark.redflag("D5.4")
def test_worker_log_is_free_of_errors(names, worker_log, log_tails):
    trouble = worker_log.trouble
    assert not trouble, red_flag(
        f"{names['worker']} log shows {', '.join(sorted({h.kind for h in trouble}))} since its last (re)connect",
        observed="\n".join(h.line for h in trouble[-10:]),
        fix="connection errors: check supabase-redis and the worker's networks, CELERY_BROKER_URL "
            "(URL-encode the password); task failures / retry exhaustion: read the sync logs",
    )
