"""Step 2: health checks.

    curl -I https://api.../health          # Expected: 200
    curl -I https://api.../health/ready    # Expected: 200
    curl -s https://api.../health/ready | jq .
"""
import pytest

from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.daily, pytest.mark.runbook("step-2-health-checks")]

FLAG = {"db": "D2.3", "redis": "D2.4", "celery": "D2.5"}

@pytest.mark.redflag("D2.1", "G3")
def test_health_answers_200_to_head(health_head, liveness, profile_names, evidence):
    answer = health_head
    evidence.attach_http(answer)
    assert answer.status == 200, red_flag(
        "D2.1", observed=f"HTTP {answer.status}; Allow: {answer.headers.get('allow', '-')}", names=profile_names,
        status=answer.status,
    )
    # 200 is not enough: the body must say up (contract §2.1: "up", or the older "healthy" / "ok").
    got, live = liveness
    evidence.attach_http(got)
    assert got.status == 200 and live.alive, red_flag(
        "D2.1", case="down", observed=got.render(300), names=profile_names, status=got.status,
        saying=f" saying status \"{live.status}\"" if live else "",
    )


@pytest.mark.redflag("D2.2", "G3")
def test_ready_answers_200_to_head(ready_head, components_down, evidence):
    evidence.attach_http(ready_head)
    assert ready_head.status == 200, red_flag(
        "D2.2", status=ready_head.status,
        observed=f"HTTP {ready_head.status}; Allow: {ready_head.headers.get('allow', '-')}; "
                 f"components down: {components_down}",
    )


@pytest.mark.parametrize("component", [
    pytest.param("db", marks=pytest.mark.redflag("D2.3", "G3")),
    pytest.param("redis", marks=pytest.mark.redflag("D2.4", "G3")),
    pytest.param("celery", marks=pytest.mark.redflag("D2.5", "G3")),
])
def test_ready_component_is_up(component, readiness, profile_names, evidence):
    answer, ready = readiness
    evidence.attach_http(answer)
    part = ready.components.get(component)
    if part is not None and part.skipped:
        pytest.skip(f"the backend does not check {component} (its ENABLE_{component.upper()}_HEALTHCHECK is off)")
    assert part is not None and part.status == "up", red_flag(
        FLAG[component], names=profile_names, component=component, status=part.status if part else "absent",
        error=f" ({part.error[:160]})" if part and part.error else "",
        observed=f"status={ready.status}; {component}: status={part.status if part else '-'}, "
                 f"error={part.error if part else '-'!r}, details={part.details if part else '-'}",
    )
