"""Supabase-compatible auth gateway: `uvicorn lab.services.auth.main:app` (port 9999).

It reproduces what the runbook touches of Kong + GoTrue (contract §3.1):
- POST /auth/v1/token?grant_type=password with `apikey` and JSON email/password -> HS256 JWT;
  also grant_type=refresh_token;
- GET /auth/v1/user with Bearer + apikey (401 without apikey, as Kong does);
- GET /auth/v1/health.

Env: ANON_KEY (the apikey to require), JWT_SECRET, JWT_EXP (token TTL in s, 3600),
JWT_ISSUER (default http://supabase-auth:9999/auth/v1), LAB_USERS_JSON
(`[{"id": uuid, "email": ..., "password": ...}]`).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lab.services.common import Env, adopt_uvicorn_logging, env_int, env_str, iso_z, setup_logging, utc_now

log = logging.getLogger("pms.auth_gateway")


@dataclass(frozen=True)
class User:
    id: str
    email: str
    password: str


def load_users(raw: str | None) -> dict[str, User]:
    """Users by lower-cased email, from LAB_USERS_JSON."""
    if not raw:
        return {}
    users = {}
    for entry in json.loads(raw):
        user = User(str(uuid.UUID(str(entry["id"]))), str(entry["email"]), str(entry["password"]))
        users[user.email.lower()] = user
    return users


def _error(status: int, **body: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content=body)


def create_app(env: Env | None = None) -> FastAPI:
    anon_key = env_str("ANON_KEY", None, env)
    secret = env_str("JWT_SECRET", None, env)
    ttl = env_int("JWT_EXP", 3600, env)
    issuer = env_str("JWT_ISSUER", "http://supabase-auth:9999/auth/v1", env)
    users = load_users(env_str("LAB_USERS_JSON", None, env))
    refresh_tokens: dict[str, str] = {}  # refresh token -> user id
    lock = threading.Lock()
    created_at = iso_z(utc_now())

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        setup_logging()  # at startup, not import: importing the app leaves the importer's logging alone
        yield

    app = FastAPI(lifespan=lifespan, title="auth gateway (lab)")

    def apikey_problem(request: Request) -> JSONResponse | None:
        """Kong's key-auth: no key -> 401, a wrong key -> 401 (kept apart for debugging)."""
        given = request.headers.get("apikey") or request.query_params.get("apikey")
        if not given:
            return _error(401, message="No API key found in request")
        if not anon_key or not hmac.compare_digest(given, anon_key):
            return _error(401, message="Invalid authentication credentials")
        return None

    def user_json(user: User) -> dict[str, Any]:
        return {
            "id": user.id,
            "aud": "authenticated",
            "role": "authenticated",
            "email": user.email,
            "email_confirmed_at": created_at,
            "phone": "",
            "confirmed_at": created_at,
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": {},
            "identities": [],
            "created_at": created_at,
            "updated_at": created_at,
        }

    def session(user: User) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "sub": user.id,
            "aud": "authenticated",
            "role": "authenticated",
            "email": user.email,
            "iat": now,
            "exp": now + ttl,
            "iss": issuer,
            "session_id": str(uuid.uuid4()),
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": {},
            "aal": "aal1",
            "amr": [{"method": "password", "timestamp": now}],
        }
        token = jwt.encode(claims, secret, algorithm="HS256")
        refresh = secrets.token_urlsafe(24)
        with lock:
            refresh_tokens[refresh] = user.id
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": ttl,
            "expires_at": now + ttl,
            "refresh_token": refresh,
            "user": user_json(user),
        }

    @app.get("/auth/v1/health")
    def health() -> dict[str, Any]:
        return {"version": "lab", "name": "GoTrue", "description": "GoTrue-compatible lab gateway"}

    @app.post("/auth/v1/token")
    async def token(request: Request) -> JSONResponse:
        problem = apikey_problem(request)
        if problem:
            return problem
        if not secret:
            log.error("JWT_SECRET is not set; cannot sign tokens")
            return _error(500, error="server_error", error_description="JWT_SECRET is not set")
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(400, error="invalid_request", error_description="Could not read the JSON body")
        grant = request.query_params.get("grant_type")
        if grant == "password":
            email = str(body.get("email") or "").lower()
            password = str(body.get("password") or "")
            user = users.get(email)
            if user is None or not hmac.compare_digest(password, user.password):
                log.info("Login failed for %s", email or "(no email)")
                return _error(400, error="invalid_grant", error_description="Invalid login credentials")
            log.info("Login succeeded for %s", email)
            return JSONResponse(session(user))
        if grant == "refresh_token":
            with lock:
                user_id = refresh_tokens.pop(str(body.get("refresh_token") or ""), None)
            user = next((u for u in users.values() if u.id == user_id), None)
            if user is None:
                return _error(
                    400,
                    error="invalid_grant",
                    error_description="Invalid Refresh Token: Refresh Token Not Found",
                )
            return JSONResponse(session(user))
        return _error(
            400,
            error="unsupported_grant_type",
            error_description="grant_type must be password or refresh_token",
        )

    @app.get("/auth/v1/user")
    def current_user(request: Request) -> JSONResponse:
        problem = apikey_problem(request)
        if problem:
            return problem
        scheme, _, raw = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return _error(
                401, code=401, error_code="no_authorization", msg="This endpoint requires a Bearer token"
            )
        try:
            claims = jwt.decode(raw.strip(), secret or "", algorithms=["HS256"], audience="authenticated")
        except jwt.ExpiredSignatureError:
            return _error(
                401,
                code=401,
                error_code="bad_jwt",
                msg="invalid JWT: unable to parse or verify "
                "signature, token has invalid claims: token is expired",
            )
        except jwt.PyJWTError as exc:
            return _error(
                401,
                code=401,
                error_code="bad_jwt",
                msg=f"invalid JWT: unable to parse or verify signature, {exc}",
            )
        user = next((u for u in users.values() if u.id == claims.get("sub")), None)
        if user is None:
            return _error(
                404, code=404, error_code="user_not_found", msg="User from sub claim in JWT does not exist"
            )
        return JSONResponse(user_json(user))

    return app


adopt_uvicorn_logging()
app = create_app()
