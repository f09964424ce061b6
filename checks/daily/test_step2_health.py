"""Step 2: health checks.

    curl -I https://api.../health          # Expected: 200
    curl -I https://api.../health/ready    # Expected: 200
    curl -s https://api.../health/ready | jq .
"""
import pytest

from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.daily, pytest.mark.runbook("step-2-health-checks")]

TRIAGE = {
    "db": ("check DB DNS / degraded mode: docker exec pms-backend getent hosts supabase-db; "
           "docker network connect bccg4gs4o4kgsowocw08wkw4 pms-backend", "db-dns--degraded-mode"),
    "redis": ("verify the Redis container is running: docker ps | grep redis", "step-5-quick-issue-triage-if-red-flags-found"),
    "celery": ("check the worker (Step 3): docker ps | grep pms-worker; docker logs pms-worker-v2 --tail 50",
               "step-3-worker-singleton-enforcement"),
}


@pytest.mark.blocker
@pytest.mark.redflag("D2.1", "G3")
def test_health_answers_200_to_head(health_head, liveness, pms, evidence):
    answer = health_head
    evidence.attach_http(answer)
    assert answer.status == 200, red_flag(
        f"HEAD /health answered {answer.status}, not 200",
        observed=f"HTTP {answer.status}; Allow: {answer.headers.get('allow', '-')}",
        fix="405 with 'Allow: GET' is a backend older than 62d7c80: redeploy main; "
            "otherwise the process is down: docker logs pms-backend --tail 50 (Step 1)",
    )
    # 200 is not enough: the body must say up (contract §2.1: "up", or the older "healthy" / "ok").
    got, live = liveness
    evidence.attach_http(got)
    assert got.status == 200 and live.alive, red_flag(
        f"GET /health answered {got.status}" + (f" saying status \"{live.status}\"" if live else "")
        + ", not up",
        observed=got.render(300),
        fix=f"the backend reports itself down: docker logs {pms.names['backend']} --tail 50; "
            "redeploy it if it does not recover (Coolify: redeploy, not restart)",
    )


@pytest.mark.blocker
@pytest.mark.redflag("D2.2", "G3")
def test_ready_answers_200_to_head(ready_head, components_down, evidence):
    evidence.attach_http(ready_head)
    assert ready_head.status == 200, red_flag(
        f"HEAD /health/ready answered {ready_head.status}, not 200",
        observed=f"HTTP {ready_head.status}; Allow: {ready_head.headers.get('allow', '-')}; "
                 f"components down: {components_down}",
        fix="see the component that is down (the checks below); right after a deploy, degraded mode may last ~60 s; "
            "405 with 'Allow: GET' is a backend older than 62d7c80: redeploy main",
    )


@pytest.mark.parametrize("component", [
    pytest.param("db", marks=[pytest.mark.redflag("D2.3", "G3"), pytest.mark.blocker]),
    pytest.param("redis", marks=[pytest.mark.redflag("D2.4", "G3"), pytest.mark.critical]),
    pytest.param("celery", marks=[pytest.mark.redflag("D2.5", "G3"), pytest.mark.critical]),
])
def test_ready_component_is_up(component, readiness, evidence):
    answer, ready = readiness
    evidence.attach_http(answer)
    part = ready.components.get(component)
    if part is not None and part.skipped:
        pytest.skip(f"the backend does not check {component} (its ENABLE_{component.upper()}_HEALTHCHECK is off)")
    fix, anchor = TRIAGE[component]
    assert part is not None and part.status == "up", red_flag(
        f"{component}: \"{part.status if part else 'absent'}\" in /health/ready"
        + (f" ({part.error[:160]})" if part and part.error else ""),
        observed=f"status={ready.status}; {component}: status={part.status if part else '-'}, "
                 f"error={part.error if part else '-'!r}, details={part.details if part else '-'}",
        fix=fix,
        see_also=anchor,
    )
