"""pms-backend: `uvicorn lab.services.backend.main:app` (or `python -m lab.services.backend`).

Env (all optional except DATABASE_URL and JWT_SECRET for a useful backend): DATABASE_URL,
REDIS_URL, CELERY_BROKER_URL, CELERY_RESULT_BACKEND, JWT_SECRET, JWT_AUDIENCE,
ENABLE_REDIS_HEALTHCHECK, ENABLE_CELERY_HEALTHCHECK, SOURCE_COMMIT, ENVIRONMENT,
SYNC_LOG_STALE_MINUTES, DB_STARTUP_MAX_WAIT_SECONDS, DB_STARTUP_RETRY_INTERVAL_SECONDS,
DB_BACKGROUND_RECONNECT_ENABLED, DB_BACKGROUND_RECONNECT_INTERVAL_SECONDS, LOG_LEVEL
(see settings.py for the lab-only timeouts).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
from contextlib import asynccontextmanager

from celery import Celery
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from lab.services.backend import admin_catalogues, bookings, edge, errors, pricing, public_site, website_admin
from lab.services.backend.channel_manager import router as channel_router
from lab.services.backend.db import Database
from lab.services.backend.health import readiness
from lab.services.backend.settings import Settings
from lab.services.common import adopt_uvicorn_logging, celery_settings, iso_z, setup_logging, utc_now

log = logging.getLogger("pms.backend")

API_VERSION = "0.1.0"


def make_celery(settings: Settings) -> Celery:
    """A producer-only Celery app: tasks are sent by name; the worker holds their code."""
    app = Celery("pms-backend", set_as_current=False)
    app.conf.update(
        celery_settings(
            {
                "CELERY_BROKER_URL": settings.celery_broker_url or "",
                "CELERY_RESULT_BACKEND": settings.celery_result_backend or "",
            }
        )
    )
    return app


def _head_or_json(request: Request, status_code: int, body: dict) -> Response:
    """HEAD answers the same status as GET with an empty body (contract §2.3)."""
    if request.method == "HEAD":
        return Response(status_code=status_code, media_type="application/json")
    return JSONResponse(status_code=status_code, content=body)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    started_at = utc_now()
    db = Database(settings)
    celery_app = make_celery(settings)
    ready_pool = cf.ThreadPoolExecutor(max_workers=24, thread_name_prefix="ready")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        setup_logging()  # here, not at import: importing the app must not touch the importer's logging
        log.info(
            "Starting pms-backend (PID=%d, environment=%s, source_commit=%s)",
            os.getpid(),
            settings.environment,
            settings.source_commit,
        )
        db.start()
        yield
        db.close()
        ready_pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="pms-backend (lab)", version=API_VERSION, lifespan=lifespan)
    app.state.settings = settings
    app.state.db = db
    app.state.celery = celery_app
    errors.install(app)

    @app.api_route("/health", methods=["GET", "HEAD"])
    def health(request: Request) -> Response:
        # Liveness only: never touches the DB or Redis, so it stays 200 in degraded mode.
        return _head_or_json(request, 200, {"status": "up", "checked_at": iso_z(utc_now())})

    @app.api_route("/health/ready", methods=["GET", "HEAD"])
    def health_ready(request: Request) -> Response:
        status_code, body = readiness(settings, celery_app, ready_pool)
        if status_code != 200:
            down = {k: v["error"] for k, v in body["components"].items() if v["status"] != "up"}
            log.warning("Readiness check failed: %s", down)
        return _head_or_json(request, status_code, body)

    @app.get("/api/v1/ops/version")
    def version() -> dict:
        return {
            "service": "pms-backend",
            "source_commit": settings.source_commit,
            "environment": settings.environment,
            "api_version": API_VERSION,
            "started_at": started_at.isoformat(),
        }

    app.include_router(channel_router)
    for guest_facing in (bookings, website_admin, public_site, pricing, admin_catalogues):
        app.include_router(guest_facing.router)
    edge.install(app)  # CORS, the public host allowlist, the public rate limits (contract §10.2)
    return app


adopt_uvicorn_logging()
app = create_app()
