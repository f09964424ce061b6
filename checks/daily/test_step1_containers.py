"""Step 1: verify containers + deployed commit.

    docker ps --format 'table {{.Names}}\t{{.Status}}\t{{.Image}}' | grep -E 'pms-backend|pms-admin|pms-worker'
    docker exec pms-backend env | grep SOURCE_COMMIT
"""
import pytest

from pms_runbook.catalogue import RUNBOOK_NAMES
from pms_runbook.redflag import red_flag
from pms_runbook.resources.roles import ghosts
from pms_runbook.resources.version import commit_matches

pytestmark = [pytest.mark.daily, pytest.mark.runbook("step-1-verify-containers--deployed-commit")]

FLAG = {"backend": "D1.1", "admin": "D1.2", "worker": "D1.3"}
# Named after the runbook's container of the role (the detection matrix knows them so), whatever the profile's.
PMS_CONTAINERS = [pytest.param(role, marks=pytest.mark.redflag(fid), id=RUNBOOK_NAMES[role]) for role, fid in FLAG.items()]


def _restart_case(why: str) -> str | None:
    # The kernel killed it: the fix is memory, not the crash in its log.
    return "oom" if "OOMKilled" in why else None


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
    why = looping.get(name, "")
    assert up and not looping, red_flag(
        FLAG[role], observed=containers.matching("pms-").table(), case=_restart_case(why), name=name,
        state=("missing" if not present else "in a restart loop" if looping else "not Up") + (f" ({why})" if why else ""),
    )


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
        "D1.4", case=_restart_case(looping.get(first, "")), name=first,
        looping=", ".join(f"{n} ({why})" for n, why in looping.items()),
        observed="\n".join(f"{c.name}: {c.status_text}, RestartCount={c.restart_count}, OOMKilled={c.oom_killed}, "
                           f"FinishedAt={c.finished_at or '-'}" for c in pms_containers),
    )


@pytest.mark.redflag("D1.5")
def test_old_worker_is_not_running_beside_v2(names, containers):
    old, v2 = containers.named(names["old_worker"]), containers.named(names["worker"])
    assert old is None or not old.up, red_flag(
        "D1.5", observed=containers.matching(names["old_worker"]).table(), names=names,
        case=None if v2 is not None and v2.up else "alone",
    )


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
        assert not wrong, red_flag("D1.6", observed=observed, expected=expected_commit, wrong=", ".join(wrong))
    else:
        distinct = {(c or "").lower() for c in deployed_commits.values()}
        assert len(distinct) == 1 and "" not in distinct, red_flag("D1.6", case="disagree", observed=observed)


@pytest.mark.redflag("D1.7")
def test_no_ghost_container_beside_a_renamed_one(role_containers):
    found = {role: pair for role, present in role_containers.items()
             if (pair := ghosts(present, tuple(c.name for c in present)))[0]}
    assert not found, red_flag(
        "D1.7", case="removals",
        ghosts="; ".join(f"{', '.join(g.name for g in old)} still running beside {new.name}"
                         for old, new in found.values()),
        observed="\n".join(f"{c.name}: {c.status_text}, created {c.created_at or '-'}"
                           for running in role_containers.values() for c in running),
        # Removing the old one while the new one is not Up would take the role down: fix the new one first.
        removals="   ".join((f"first get {new.name} Up (D1.1-D1.4), then " if not new.up else "")
                            + " && ".join(f"docker stop {g.name} && docker rm {g.name}" for g in old)
                            for old, new in found.values()),
    )
