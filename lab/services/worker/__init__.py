"""pms-worker-v2: the Celery worker that runs channel sync tasks."""
