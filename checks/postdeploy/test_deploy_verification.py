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

REDEPLOY = "redeploy in Coolify (backend first, wait for /health/ready, then the worker); never both in parallel"


@pytest.mark.blocker
@pytest.mark.redflag("G1")
def test_health_is_200(liveness, pms, evidence):
    # The profile's name, not the `names` fixture: that takes the Docker snapshot before the deploy settled.
    answer, live = liveness
    evidence.attach_http(answer)
    assert answer.status == 200, red_flag(
        f"GET /health answered {answer.status}", observed=answer.render(300),
        fix=f"the backend process is not serving: docker logs {pms.names['backend']} --tail 50",
    )
    assert live.alive, red_flag(  # contract §2.1: "up", or the older "healthy" / "ok"
        f"GET /health answered 200 saying status \"{live.status}\", not up", observed=answer.render(300),
        fix=f"the backend reports itself down: docker logs {pms.names['backend']} --tail 50; redeploy it",
    )


@pytest.mark.blocker
@pytest.mark.redflag("G1")
def test_ready_within_the_wait(ready_after_deploy, settings, evidence):
    waited, answer, ready = ready_after_deploy
    evidence.attach_http(answer)
    down = down_summary(ready)
    assert answer.status == 200, red_flag(
        f"/health/ready still {answer.status} after waiting {waited:.0f}s (limit {settings.ready_wait_seconds:.0f}s)",
        observed=f"components down: {down}",
        fix="DB degraded: docker network connect bccg4gs4o4kgsowocw08wkw4 pms-backend; "
            "celery down: check pms-worker-v2 (Step 3); redis down: check supabase-redis",
        see_also="02-database.md#db-dns--degraded-mode",
    )


@pytest.mark.blocker
@pytest.mark.redflag("G1", "G2", "D1.6")
def test_api_runs_the_expected_commit(rollout_settled, required_expected_commit, api_version, evidence):
    answer, version = api_version
    evidence.attach_http(answer)
    assert commit_matches(version.source_commit, required_expected_commit), red_flag(
        "the API does not run the expected commit",
        observed=f"expected {required_expected_commit}, /api/v1/ops/version source_commit="
                 f"{version.source_commit or 'null (SOURCE_COMMIT not set)'}",
        fix=REDEPLOY,
    )


@pytest.mark.critical
@pytest.mark.redflag("G1", "G2", "D1.2")
def test_admin_runs_the_expected_commit(rollout_settled, admin_commit, required_expected_commit, names, evidence):
    assert admin_commit.missing is None, red_flag(
        f"{names['admin']} is missing or not Up: its commit cannot be verified",
        observed=admin_commit.missing,
        fix=f"docker ps -a | grep {names['admin']}; docker logs {names['admin']} --tail 50   then redeploy "
            f"{names['admin']} in Coolify and re-run this gate",
        see_also="step-1-verify-containers--deployed-commit",
    )
    if admin_commit.failure is not None:
        raise admin_commit.failure
    answer, version = admin_commit.answer, admin_commit.version
    evidence.attach_http(answer)
    cached = answer.headers.get("x-nextjs-cache", "-")
    assert commit_matches(version.source_commit, required_expected_commit), red_flag(
        "the admin host does not report the expected commit",
        observed=f"expected {required_expected_commit}, /api/ops/version source_commit="
                 f"{version.source_commit or 'null'}, x-nextjs-cache: {cached}",
        fix="null with x-nextjs-cache: HIT is the statically cached route: force dynamic rendering; "
            "otherwise redeploy pms-admin",
    )


@pytest.mark.critical
@pytest.mark.redflag("D1.6")
def test_backend_and_worker_run_the_same_commit(containers, names):
    backend, worker = containers.named(names["backend"]), containers.named(names["worker"])
    b = backend.env_value("SOURCE_COMMIT") if backend else None
    w = worker.env_value("SOURCE_COMMIT") if worker else None
    assert b and w and b.lower() == w.lower(), red_flag(
        "backend and worker do not run the same commit",
        observed=f"{names['backend']}: {b or 'missing'}\n{names['worker']}: {w or 'missing'}",
        fix="redeploy the worker after the backend is ready, from the same commit (tasks hitting old code stay "
            "stuck in triggered)",
    )
