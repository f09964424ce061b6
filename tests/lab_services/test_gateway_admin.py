"""The auth gateway and the admin host, in-process (no servers needed)."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
from fastapi.testclient import TestClient

from lab.services.admin.main import create_app as create_admin
from lab.services.auth.main import create_app as create_gateway

SECRET = "gateway-test-secret-0123456789abcdef"
ANON = "anon-key-for-tests"
USER_ID = str(uuid.uuid4())
TOKEN_URL = "/auth/v1/token?grant_type=password"


@pytest.fixture
def gateway() -> TestClient:
    users = json.dumps([{"id": USER_ID, "email": "Ops@Lab.test", "password": "s3cret"}])
    return TestClient(
        create_gateway({"ANON_KEY": ANON, "JWT_SECRET": SECRET, "JWT_EXP": "120", "LAB_USERS_JSON": users})
    )


def login(gateway: TestClient, password: str = "s3cret", apikey: str | None = ANON):
    headers = {"apikey": apikey} if apikey else {}
    return gateway.post(TOKEN_URL, headers=headers, json={"email": "ops@lab.test", "password": password})


def test_password_grant_returns_a_supabase_session(gateway):
    response = login(gateway)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 120 and body["refresh_token"]
    assert body["user"]["id"] == USER_ID and body["user"]["role"] == "authenticated"
    token = body["access_token"]
    assert token.count(".") == 2 and len(token) > 100
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="authenticated")
    assert (
        claims["sub"] == USER_ID and claims["role"] == "authenticated" and claims["email"] == "Ops@Lab.test"
    )
    assert claims["exp"] - claims["iat"] == 120 and claims["iss"]


def test_wrong_password_is_400_invalid_grant(gateway):
    response = login(gateway, password="nope")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "Invalid login credentials"}


def test_token_needs_the_anon_key(gateway):
    missing = login(gateway, apikey=None)
    assert missing.status_code == 401 and missing.json() == {"message": "No API key found in request"}
    wrong = login(gateway, apikey="other-key")
    assert wrong.status_code == 401


def test_user_endpoint_needs_bearer_and_apikey(gateway):
    token = login(gateway).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert gateway.get("/auth/v1/user", headers=bearer).status_code == 401
    ok = gateway.get("/auth/v1/user", headers={**bearer, "apikey": ANON})
    assert ok.status_code == 200 and ok.json()["role"] == "authenticated" and ok.json()["id"] == USER_ID
    expired = jwt.encode({"sub": USER_ID, "aud": "authenticated", "exp": int(time.time()) - 5}, SECRET)
    assert (
        gateway.get(
            "/auth/v1/user", headers={"Authorization": f"Bearer {expired}", "apikey": ANON}
        ).status_code
        == 401
    )


def test_refresh_token_grant_is_single_use(gateway):
    refresh = login(gateway).json()["refresh_token"]
    url = "/auth/v1/token?grant_type=refresh_token"
    assert gateway.post(url, headers={"apikey": ANON}, json={"refresh_token": refresh}).status_code == 200
    assert gateway.post(url, headers={"apikey": ANON}, json={"refresh_token": refresh}).status_code == 400


def test_gateway_health_needs_no_key(gateway):
    assert gateway.get("/auth/v1/health").status_code == 200


def test_admin_version_is_dynamic_and_complete():
    client = TestClient(create_admin({"SOURCE_COMMIT": "abc1234", "NODE_ENV": "production"}))
    response = client.get("/api/ops/version")
    assert response.status_code == 200
    assert "no-store" in response.headers["cache-control"]
    body = response.json()
    assert set(body) == {"service", "source_commit", "started_at", "environment"}
    assert body["service"] == "pms-admin" and body["source_commit"] == "abc1234"
    assert body["environment"] == "production" and body["started_at"].endswith("Z")


def test_admin_commit_falls_back_to_next_public_and_else_null():
    fallback = (
        TestClient(create_admin({"NEXT_PUBLIC_SOURCE_COMMIT": "def5678"})).get("/api/ops/version").json()
    )
    assert fallback["source_commit"] == "def5678"
    assert TestClient(create_admin({})).get("/api/ops/version").json()["source_commit"] is None


def test_admin_pages_render():
    client = TestClient(create_admin({"API_BASE_URL": "http://pms-backend:8000"}))
    assert client.get("/").status_code == 200
    page = client.get("/connections")
    assert page.status_code == 200 and "http://pms-backend:8000" in page.text
