"""Step 3: exactly one Celery worker. Two workers run every sync task twice.

    docker ps --format 'table {{.Names}}\t{{.Status}}' | grep pms-worker
    curl -s https://api.../health/ready | jq '.components.celery'
"""
import pytest

from pms_runbook.redflag import red_flag

pytestmark = [pytest.mark.daily, pytest.mark.runbook("step-3-worker-singleton-enforcement")]


@pytest.mark.redflag("D3.1")
def test_at_most_one_worker_container_is_up(names, containers):
    workers = containers.matching(names["old_worker"])
    assert len(workers.up) <= 1, red_flag(
        "D3.1", observed=workers.table(), names=names, count=len(workers.up),
        workers=", ".join(w.name for w in workers.up),
    )


@pytest.mark.redflag("D3.2")
def test_celery_reports_exactly_one_worker(readiness, profile_names):
    _, ready = readiness
    celery = ready.components.get("celery")
    if celery is not None and celery.skipped:
        pytest.skip("the backend does not check Celery (ENABLE_CELERY_HEALTHCHECK is off): count the workers by hand")
    workers, count = ready.workers, ready.worker_count
    # Production names are celery@<container-id>: count them, don't match "pms-worker-v2". Without names, the
    # count is the error's ("found 2"): two workers are not "no worker".
    assert count == 1, red_flag(
        "D3.2", case=None if count else "none", names=profile_names, count=count if count is not None else "no",
        observed=f"workers={workers}; celery status={celery.status if celery else '-'}, "
                 f"error={celery.error if celery else '-'!r}",
    )
