"""Step 3: exactly one Celery worker. Two workers run every sync task twice.

    docker ps --format 'table {{.Names}}\t{{.Status}}' | grep pms-worker
    curl -s https://api.../health/ready | jq '.components.celery'
"""
import pytest

from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.daily, pytest.mark.runbook("step-3-worker-singleton-enforcement")]

FIX = "docker stop pms-worker   (keep pms-worker-v2), then: curl -s .../health/ready | jq '.components.celery.status'"


@pytest.mark.critical
@pytest.mark.redflag("D3.1")
def test_at_most_one_worker_container_is_up(names, containers):
    workers = containers.matching(names["old_worker"])
    assert len(workers.up) <= 1, red_flag(
        f"{len(workers.up)} worker containers are up: {', '.join(w.name for w in workers.up)}",
        observed=workers.table(),
        fix=FIX,
    )


@pytest.mark.critical
@pytest.mark.redflag("D3.2")
def test_celery_reports_exactly_one_worker(readiness):
    _, ready = readiness
    celery = ready.components.get("celery")
    if celery is not None and celery.skipped:
        pytest.skip("the backend does not check Celery (ENABLE_CELERY_HEALTHCHECK is off): count the workers by hand")
    workers = ready.workers
    # Production names are celery@<container-id>: count them, don't match "pms-worker-v2".
    assert workers is not None and len(workers) == 1, red_flag(
        f"Celery reports {len(workers) if workers is not None else 'no'} workers, expected exactly 1",
        observed=f"workers={workers}; celery status={celery.status if celery else '-'}, "
                 f"error={celery.error if celery else '-'!r}",
        fix=FIX if workers else "start or redeploy pms-worker-v2; check CELERY_BROKER_URL, its networks and its CMD",
    )
