"""Which container is checked: accepted names, ghosts, restart history, the configured Redis, network models."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pms_runbook import catalogue, config
from pms_runbook.resources import roles
from pms_runbook.resources.containers import parse_container

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
ADMIN = ("pms-admin", "pms-admin-frontend")
NAMES = {"backend": "pms-backend", "db": "supabase-db-bccg4gs4o4kgsowocw08wkw4", "coolify_network": "coolify",
         "supabase_network": "bccg4gs4o4kgsowocw08wkw4"}


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def container(name, *, status="running", restarts=0, oom=False, started=NOW - timedelta(days=3),
              finished=None, created=None, memory=0, env=(), networks=None):
    networks = networks if networks is not None else {"coolify": []}
    return parse_container({
        "Name": "/" + name, "Id": "0123456789abcdef", "RestartCount": restarts, "Created": _iso(created or started),
        "State": {"Status": status, "Running": status in ("running", "restarting"), "Restarting": status == "restarting",
                  "OOMKilled": oom, "StartedAt": _iso(started),
                  "FinishedAt": _iso(finished) if finished else "0001-01-01T00:00:00Z", "ExitCode": 0},
        "Config": {"Env": list(env), "Image": "img"}, "HostConfig": {"Memory": memory},
        "NetworkSettings": {"Networks": {n: {"Aliases": a} for n, a in networks.items()}},
    }, now=NOW)


def test_the_running_name_wins_over_a_ghost_listed_first():
    old = container("pms-admin", status="exited", created=NOW - timedelta(days=60))
    new = container("pms-admin-frontend", created=NOW - timedelta(days=1))
    assert roles.pick([old, new], ADMIN) == "pms-admin-frontend"
    assert roles.pick([], ADMIN) == "pms-admin"  # nothing there: the checklist name for the messages


def test_a_ghost_running_beside_the_renamed_container_is_found():
    old = container("pms-admin", created=NOW - timedelta(days=60))
    new = container("pms-admin-frontend", status="restarting", restarts=9, created=NOW - timedelta(hours=1))
    ghosts, newest = roles.ghosts([old, new], ADMIN)
    assert [g.name for g in ghosts] == ["pms-admin"] and newest.name == "pms-admin-frontend"
    assert roles.pick([old, new], ADMIN) == "pms-admin"  # the Up one plays the role; Step 1 judges both
    stopped = container("pms-admin", status="exited", created=NOW - timedelta(days=60))
    assert roles.ghosts([stopped, new], ADMIN) == ([], None)  # a stopped old name is no ghost


def test_oom_killed_every_ten_minutes_is_a_restart_loop_though_up_3_minutes():
    c = container("pms-worker-v2", restarts=40, oom=True, started=NOW - timedelta(minutes=3),
                  finished=NOW - timedelta(minutes=3, seconds=1), created=NOW - timedelta(hours=7),
                  memory=256 * 1024 * 1024)
    why = roles.restart_trouble(c, restart_count_max=3, now=NOW)
    assert why and "OOMKilled" in why and "RestartCount 40" in why and "256 MiB" in why
    fix = catalogue.message("D1.4", case="oom", name=c.name, looping=why).fix  # Step 1's fix for a kill
    assert "memory limit of pms-worker-v2" in fix and "docker inspect pms-worker-v2" in fix


@pytest.mark.parametrize("restarts, oom, finished_ago, red", [
    (1, False, timedelta(days=20), False),  # restarted once long ago, Up since: history
    (3, False, timedelta(days=2), False),  # at the limit
    (4, False, timedelta(days=2), True),  # over restart_count_max since it was created
    (1, True, timedelta(days=20), False),  # OOM-killed once, weeks ago (Docker keeps OOMKilled true)
    (1, True, timedelta(hours=2), True),  # OOM-killed today
])
def test_restart_history_rule(restarts, oom, finished_ago, red):
    c = container("pms-backend", restarts=restarts, oom=oom, started=NOW - finished_ago + timedelta(seconds=1),
                  finished=NOW - finished_ago, created=NOW - timedelta(days=30))
    assert bool(roles.restart_trouble(c, restart_count_max=3, now=NOW)) is red


def test_the_redis_checked_is_the_one_the_backend_url_names_and_its_password_is_masked():
    backend = container("pms-backend", env=["REDIS_URL=redis://:s3cr%2Bt@coolify-redis:6379/0"])
    target = roles.redis_of(backend)
    assert target.host == "coolify-redis" and target.source == "pms-backend REDIS_URL"
    assert "s3cr" not in target.shown_url and target.shown_url == "redis://:***@coolify-redis:6379/0"
    decoy = container("supabase-redis")
    aliased = container("redis-7f3a", status="exited", networks={"coolify": ["coolify-redis"]})
    assert [c.name for c in roles.answering_to([decoy, aliased], target.host)] == ["redis-7f3a"]


def test_the_broker_url_is_read_when_redis_url_is_absent():
    backend = container("pms-backend", env=["CELERY_BROKER_URL=redis://:pw@pms-redis:6379/0"])
    assert roles.redis_of(backend).host == "pms-redis"
    assert roles.redis_of(container("pms-backend")).host is None


def test_network_models_judge_different_hosts():
    v1_backend = container("pms-backend", networks={"coolify": [], "bccg4gs4o4kgsowocw08wkw4": []})
    v2_backend = container("pms-backend", networks={"coolify": []})
    bridged_db = container(NAMES["db"], networks={"bccg4gs4o4kgsowocw08wkw4": [], "coolify": ["supabase-db"]})
    plain_db = container(NAMES["db"], networks={"bccg4gs4o4kgsowocw08wkw4": []})
    assert roles.network_findings("v1", v1_backend, plain_db, names=NAMES) == []
    assert roles.network_findings("v2", v2_backend, bridged_db, names=NAMES) == []
    # A correct v2 host read with the v1 rule is flagged: the setting matters.
    assert roles.network_findings("v1", v2_backend, bridged_db, names=NAMES)
    lost = roles.network_findings("v2", v2_backend, plain_db, names=NAMES)
    assert [f.fix for f in lost] == [f"docker network connect --alias supabase-db coolify {NAMES['db']}"]
    no_alias = container(NAMES["db"], networks={"coolify": []})
    assert "disconnect" in roles.network_findings("v2", v2_backend, no_alias, names=NAMES)[0].fix


def test_network_model_setting_precedence():
    assert config.resolve(environ={}, lab_status=lambda: {}).network_model == "v1"
    assert config.resolve(environ={}, lab_status=lambda: {"network_model": "v2"}).network_model == "v2"
    assert config.resolve(options={"network_model": "v1"}, environ={"PMS_NETWORK_MODEL": "v2"}).network_model == "v1"
    assert config.resolve(environ={"PMS_NETWORK_MODEL": "v2"}).network_model == "v2"
    with pytest.raises(config.ConfigError, match="network_model"):
        config.resolve(environ={"PMS_NETWORK_MODEL": "bridge"})


def test_lab_status_names_keep_the_profiles_other_accepted_names():
    s = config.resolve(environ={}, lab_status=lambda: {"containers": {"admin": "pms-admin"}})
    assert s.container_names("admin") == ("pms-admin", "pms-admin-frontend")
