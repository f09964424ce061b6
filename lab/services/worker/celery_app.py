"""pms-worker-v2's Celery app: `celery -A lab.services.worker.celery_app:app worker`.

Env: CELERY_BROKER_URL (falls back to REDIS_URL), CELERY_RESULT_BACKEND, DATABASE_URL (tasks),
SOURCE_COMMIT (logged at startup, so `docker logs` tells which code runs).
"""

from __future__ import annotations

import logging

from celery import Celery
from celery.signals import worker_ready

from lab.services.common import celery_settings, env_str

app = Celery("pms-worker-v2", include=["lab.services.worker.tasks"])
app.conf.update(celery_settings())

log = logging.getLogger("pms.worker")


@worker_ready.connect
def _log_commit(sender=None, **_kwargs) -> None:
    log.info("pms-worker-v2 ready (SOURCE_COMMIT=%s)", env_str("SOURCE_COMMIT", "(not set)"))
