"""Stand-in for the Next.js admin host: `uvicorn lab.services.admin.main:app` (port 3000).

What the runbook checks of it: `GET /api/ops/version` (contract §2.4: service, source_commit,
started_at ending in Z, environment; no api_version), always dynamic (`cache-control: no-store`,
never a cached null commit), and that pages render.

Env: SOURCE_COMMIT or NEXT_PUBLIC_SOURCE_COMMIT, NODE_ENV (production), STARTED_AT (optional
override of the process start time), API_BASE_URL (shown on /connections; the backend the admin
UI talks to).
"""

from __future__ import annotations

import html
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from lab.services.common import Env, adopt_uvicorn_logging, env_str, iso_z, setup_logging, utc_now

NO_STORE = {"cache-control": "no-store, must-revalidate"}


def _started_at(env: Env | None) -> str:
    given = env_str("STARTED_AT", None, env)
    if given:
        try:
            return iso_z(datetime.fromisoformat(given.replace("Z", "+00:00")))
        except ValueError:
            return given
    return iso_z(utc_now())


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | PMS Admin</title></head>
<body><header><nav><a href="/">Dashboard</a> | <a href="/connections">Connections</a></nav></header>
<main>{body}</main></body></html>""",
        headers=NO_STORE,
    )


def create_app(env: Env | None = None) -> FastAPI:
    started_at = _started_at(env)
    source_commit = env_str("SOURCE_COMMIT", None, env) or env_str("NEXT_PUBLIC_SOURCE_COMMIT", None, env)
    environment = env_str("NODE_ENV", "production", env)
    api_base_url = env_str("API_BASE_URL", None, env)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        setup_logging()  # at startup, not import: importing the app leaves the importer's logging alone
        yield

    app = FastAPI(lifespan=lifespan, title="pms-admin (lab)", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/api/ops/version")
    def version() -> JSONResponse:
        return JSONResponse(
            {
                "service": "pms-admin",
                "source_commit": source_commit,
                "started_at": started_at,
                "environment": environment,
            },
            headers=NO_STORE,
        )

    @app.get("/")
    def dashboard() -> HTMLResponse:
        return _page("Dashboard", "<h1>PMS Admin</h1><p>Lab admin host.</p>")

    @app.get("/connections")
    def connections() -> HTMLResponse:
        api = html.escape(api_base_url or "(API_BASE_URL not set)")
        return _page(
            "Channel connections",
            f"""<h1>Channel connections</h1>
<p>Connections are loaded in the browser from <code>{api}/api/v1/channel-connections/</code>.</p>
<div id="connections" data-api-base-url="{api}"></div>""",
        )

    return app


adopt_uvicorn_logging()
app = create_app()
