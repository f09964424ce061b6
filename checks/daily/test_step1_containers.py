"""Step 1: verify containers + deployed commit.

    docker ps --format 'table {{.Names}}\t{{.Status}}\t{{.Image}}' | grep -E 'pms-backend|pms-admin|pms-worker'
    docker exec pms-backend env | grep SOURCE_COMMIT
"""
import pytest

from pms_runbook.parsers import commit_matches
from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.daily, pytest.mark.runbook("step-1-verify-containers--deployed-commit")]

PMS_CONTAINERS = [
    pytest.param("backend", marks=[pytest.mark.redflag("D1.1"), pytest.mark.blocker], id="pms-backend"),
    pytest.param("admin", marks=[pytest.mark.redflag("D1.2"), pytest.mark.critical], id="pms-admin"),
    pytest.param("worker", marks=[pytest.mark.redflag("D1.3"), pytest.mark.critical], id="pms-worker-v2"),
]


@pytest.mark.parametrize("role", PMS_CONTAINERS)
def test_pms_container_is_up(role, names, containers, restart_counts_a_moment_later):
    name = names[role]
    container = containers.named(name)
    # Caught between two crashes a restart loop looks Up: a climbing restart count says otherwise.
    looping = name in restart_counts_a_moment_later and restart_counts_a_moment_later[name].looping
    assert container is not None and container.up and not looping, red_flag(
        f"{name} is {'missing' if container is None else 'in a restart loop' if looping else 'not Up'}",
        observed=containers.matching("pms-").table(),
        fix=f"docker logs {name} --tail 50   then fix the cause and redeploy {name} in Coolify",
    )


@pytest.mark.critical
@pytest.mark.redflag("D1.4")
def test_no_pms_container_is_restarting(pms_containers, restart_counts_a_moment_later):
    restarting = [c.name for c in pms_containers if c.restarting]
    looping = {name: look for name, look in restart_counts_a_moment_later.items() if look.looping}
    assert not restarting and not looping, red_flag(
        f"restarting: {', '.join(restarting or looping)}",
        observed="\n".join(f"{c.name}: {c.status_text}, RestartCount={c.restart_count}" for c in pms_containers)
                 + "".join(f"\n{n}: RestartCount {lk.first_count} -> {lk.second_count} two seconds later"
                           for n, lk in looping.items()),
        fix=f"docker logs {(restarting or list(looping))[0]} --tail 50   (ImportError/NameError at import time: "
            "fix the code, redeploy)",
    )


@pytest.mark.critical
@pytest.mark.redflag("D1.5")
def test_old_worker_is_not_running_beside_v2(names, containers):
    old, v2 = containers.named(names["old_worker"]), containers.named(names["worker"])
    assert old is None or not old.up, red_flag(
        f"the old {names['old_worker']} is running"
        + (f" alongside {names['worker']}" if v2 is not None and v2.up else f" ({names['worker']} is not up)"),
        observed=containers.matching(names["old_worker"]).table(),
        fix=f"docker stop {names['old_worker']}   then turn off its Coolify auto-deploy and delete the app",
    )


@pytest.mark.critical
@pytest.mark.redflag("D1.6")
def test_deployed_commit_is_the_expected_one(deployed_commits, expected_commit):
    if not expected_commit and len(deployed_commits) < 2:
        # The version endpoint compared with itself proves nothing.
        pytest.skip("no deployed commit to compare with (no Docker access and no --expected-commit)\n"
                    f"only {', '.join(deployed_commits)} was read: give --expected-commit SHA, or "
                    "--docker-host ssh://user@host to compare the containers' SOURCE_COMMIT")
    observed = "\n".join(f"{where:28} {commit or '(not set)'}" for where, commit in deployed_commits.items())
    if expected_commit:
        wrong = [w for w, c in deployed_commits.items() if not commit_matches(c, expected_commit)]
        assert not wrong, red_flag(
            f"SOURCE_COMMIT does not match the expected deploy {expected_commit} on {', '.join(wrong)}",
            observed=observed,
            fix="redeploy in Coolify, backend first, then the worker (never both in parallel); "
                "verify with pms_verify_deploy.sh",
        )
    else:
        distinct = {(c or "").lower() for c in deployed_commits.values()}
        assert len(distinct) == 1 and "" not in distinct, red_flag(
            "backend, worker and admin do not run the same commit",
            observed=observed,
            fix="redeploy the lagging service in Coolify (backend first, then the worker); "
                "pass --expected-commit SHA to compare with main",
        )
