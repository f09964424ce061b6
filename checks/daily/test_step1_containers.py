"""Step 1: verify containers + deployed commit.

    docker ps --format 'table {{.Names}}\t{{.Status}}\t{{.Image}}' | grep -E 'pms-backend|pms-admin|pms-worker'
    docker exec pms-backend env | grep SOURCE_COMMIT
"""
import pytest

from pms_runbook.redflag import red_flag
from pms_runbook.resources.version import commit_matches
from pms_runbook.roles import ghosts, restart_fix

pytestmark = [pytest.mark.daily, pytest.mark.runbook("step-1-verify-containers--deployed-commit")]

PMS_CONTAINERS = [
    pytest.param("backend", marks=[pytest.mark.redflag("D1.1"), pytest.mark.blocker], id="pms-backend"),
    pytest.param("admin", marks=[pytest.mark.redflag("D1.2"), pytest.mark.critical], id="pms-admin"),
    pytest.param("worker", marks=[pytest.mark.redflag("D1.3"), pytest.mark.critical], id="pms-worker-v2"),
]


@pytest.mark.parametrize("role", PMS_CONTAINERS)
def test_pms_container_is_up(role, names, containers, role_containers, restart_history,
                             restart_counts_a_moment_later):
    # Every container bearing one of the role's accepted names is judged: a crash-looping new name must
    # not hide behind an old one that is Up. A stopped old name beside an Up one is harmless (D1.7 is not).
    present = role_containers[role]
    up = [c for c in present if c.up]
    looping = {c.name: restart_history.get(c.name) or "RestartCount climbing between two looks"
               for c in present if c.name in restart_history
               or (c.name in restart_counts_a_moment_later and restart_counts_a_moment_later[c.name].looping)}
    name = next(iter(looping), None) or names[role]
    assert up and not looping, red_flag(
        f"{name} is {'missing' if not present else 'in a restart loop' if looping else 'not Up'}"
        + (f" ({looping[name]})" if name in looping else ""),
        observed=containers.matching("pms-").table(),
        fix=restart_fix(name, looping.get(name)),
    )


@pytest.mark.critical
@pytest.mark.redflag("D1.4")
def test_no_pms_container_is_restarting(pms_containers, restart_history, restart_counts_a_moment_later):
    # Restart history is judged on every PMS container, not only on a recent start: OOM-killed every ten
    # minutes reads "Up 3 minutes" between two kills.
    looping = dict(restart_history)
    for name, look in restart_counts_a_moment_later.items():
        if look.looping:
            looping.setdefault(name, f"RestartCount {look.first_count} -> {look.second_count} two seconds later")
    first = next(iter(looping), "")
    assert not looping, red_flag(
        f"restarting: {', '.join(f'{n} ({why})' for n, why in looping.items())}",
        observed="\n".join(f"{c.name}: {c.status_text}, RestartCount={c.restart_count}, OOMKilled={c.oom_killed}, "
                           f"FinishedAt={c.finished_at or '-'}" for c in pms_containers),
        fix=restart_fix(first, looping.get(first)) + ("" if "OOMKilled" in looping.get(first, "") else
                                                      "   (ImportError/NameError at import time: fix the code)"),
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


@pytest.mark.critical
@pytest.mark.redflag("D1.7")
def test_no_ghost_container_beside_a_renamed_one(role_containers):
    found = {role: pair for role, present in role_containers.items()
             if (pair := ghosts(present, tuple(c.name for c in present)))[0]}
    assert not found, red_flag(
        "ghost container after a rename: "
        + "; ".join(f"{', '.join(g.name for g in old)} still running beside {new.name}"
                    for old, new in found.values()),
        observed="\n".join(f"{c.name}: {c.status_text}, created {c.created_at or '-'}"
                           for running in role_containers.values() for c in running),
        # Removing the old one while the new one is not Up would take the role down: fix the new one first.
        fix="   ".join((f"first get {new.name} Up (D1.1-D1.4), then " if not new.up else "")
                       + " && ".join(f"docker stop {g.name} && docker rm {g.name}" for g in old)
                       for old, new in found.values())
            + "   (never rename a Coolify service while it runs)",
    )
