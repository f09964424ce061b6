"""Golden path 1: deploy verified (what pms_verify_deploy.sh checks, and a little more).

    [1/3] GET /health              200
    [2/3] GET /health/ready        200 (degraded mode may last ~60 s after a deploy: wait for it)
    [3/3] GET /api/v1/ops/version  source_commit starts with EXPECT_COMMIT (case-insensitive, >= 7 chars)
    admin: GET /api/ops/version?cb=<epoch> with Cache-Control: no-cache

Golden path 2 (rollback verified) is the same gate with the previous commit as --expected-commit.
"""
import pytest

from pms_runbook.redflag import red_flag
from pms_runbook.resources.health import down_summary
from pms_runbook.resources.version import commit_matches

pytestmark = [pytest.mark.postdeploy, pytest.mark.runbook("01-deployment.md#deployment-process")]


@pytest.mark.redflag("G1")
def test_health_is_200(liveness, profile_names, evidence):
    # The profile's names, not the `names` fixture: that takes the Docker snapshot before the deploy settled.
    answer, live = liveness
    evidence.attach_http(answer)
    assert answer.status == 200, red_flag("G1", case="health", observed=answer.render(300), names=profile_names,
                                          status=answer.status)
    assert live.alive, red_flag(  # contract §2.1: "up", or the older "healthy" / "ok"
        "G1", case="health-down", observed=answer.render(300), names=profile_names, status=live.status)


@pytest.mark.redflag("G1")
def test_ready_within_the_wait(ready_after_deploy, settings, profile_names, evidence):
    waited, answer, ready = ready_after_deploy
    evidence.attach_http(answer)
    down = down_summary(ready)
    assert answer.status == 200, red_flag(
        "G1", case="ready", observed=f"components down: {down}", names=profile_names, status=answer.status,
        waited=f"{waited:.0f}", limit=f"{settings.ready_wait_seconds:.0f}",
    )


@pytest.mark.redflag("G1", "G2", "D1.6")
def test_api_runs_the_expected_commit(rollout_settled, required_expected_commit, api_version, evidence):
    answer, version = api_version
    evidence.attach_http(answer)
    assert commit_matches(version.source_commit, required_expected_commit), red_flag(
        "G1", observed=f"expected {required_expected_commit}, /api/v1/ops/version source_commit="
                       f"{version.source_commit or 'null (SOURCE_COMMIT not set)'}",
    )


@pytest.mark.critical  # not G1's blocker: the admin UI down does not stop the API or the syncs
@pytest.mark.redflag("G1", "G2", "D1.2")
def test_admin_runs_the_expected_commit(rollout_settled, admin_commit, required_expected_commit, names, evidence):
    assert admin_commit.missing is None, red_flag("G1", case="admin-missing", observed=admin_commit.missing,
                                                        names=names)
    if admin_commit.failure is not None:
        raise admin_commit.failure
    answer, version = admin_commit.answer, admin_commit.version
    evidence.attach_http(answer)
    cached = answer.headers.get("x-nextjs-cache", "-")
    assert commit_matches(version.source_commit, required_expected_commit), red_flag(
        "G1", case="admin", names=names,
        observed=f"expected {required_expected_commit}, /api/ops/version source_commit="
                 f"{version.source_commit or 'null'}, x-nextjs-cache: {cached}",
    )


@pytest.mark.redflag("D1.6")
def test_backend_and_worker_run_the_same_commit(containers, names):
    backend, worker = containers.named(names["backend"]), containers.named(names["worker"])
    b = backend.env_value("SOURCE_COMMIT") if backend else None
    w = worker.env_value("SOURCE_COMMIT") if worker else None
    assert b and w and b.lower() == w.lower(), red_flag(
        "D1.6", case="worker", observed=f"{names['backend']}: {b or 'missing'}\n{names['worker']}: {w or 'missing'}")
