"""Faults of authentication (the smoke tests, failure mode F3): the backend and the gateway disagree on
the JWT secret, the anon key rotated, tokens born expired, a debug bypass deployed, the ops user without
an agency."""
from __future__ import annotations

import json

from lab import stack
from lab.faults.base import Fault, Redeploy, http_status, wait_gateway, wait_healthy
from lab.state import LabState


class JwtSecretMismatch(Redeploy):
    name = "jwt-secret-mismatch"
    summary = "pms-backend redeployed with a JWT_SECRET that differs from the auth gateway's"
    role = "backend"

    def env(self, state):
        rotated = "rotated-" + state.secrets.jwt_secret[::-1]
        return {"JWT_SECRET": rotated, "SUPABASE_JWT_SECRET": rotated}

    healed = Redeploy.settled


AUTH_BYPASS = """    if not request.headers.get("authorization"):
        # TEMP: let the admin preview list connections without a login (to be removed before release)
        with request.app.state.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute("SELECT user_id, agency_id, role FROM team_members ORDER BY created_at LIMIT 1")
            row = cur.fetchone()
        return Principal(row["user_id"], row["agency_id"], row["role"], None)
"""
_PRINCIPAL_DOC = '    """FastAPI dependency: the authenticated user and the agency the request acts for."""\n'


class AuthBypassDeployed(Redeploy):
    name = "auth-bypass-deployed"
    summary = "pms-backend redeployed with a debug bypass: the channel manager answers without a token"
    role = "backend"
    patches = {"services/backend/auth.py": lambda src: src.replace(_PRINCIPAL_DOC, _PRINCIPAL_DOC + AUTH_BYPASS)}

    def settled(self, state):
        stack.wait_until(lambda: http_status(f"{state.api_url}/api/v1/channel-connections/") == 200, 60,
                         what="the channel manager to answer without a token")
        wait_healthy(state)


class AnonKeyRotated(Redeploy):
    name = "anon-key-rotated"
    summary = "the gateway's anon key was rotated: the runbook's ANON_KEY gets 401 on /auth/v1/token"
    role = "auth"

    def env(self, state):
        return {"ANON_KEY": "rotated-" + state.secrets.anon_key[::-1]}

    def settled(self, state):
        stack.wait_until(lambda: http_status(f"{state.auth_url}/auth/v1/token?grant_type=password", "POST",
                                             headers={"apikey": state.secrets.anon_key},
                                             json={"email": "x@y.z", "password": "x"}) == 401, 30,
                         what="the gateway to refuse the old anon key")

    def healed(self, state):
        wait_gateway(state)


class TokenExpired(Redeploy):
    name = "token-expired"
    summary = "the gateway issues tokens that are already expired (JWT expiry 0): the API answers 401 Token has expired"
    role = "auth"

    def env(self, state):
        return {"JWT_EXP": "0"}

    def settled(self, state):
        wait_gateway(state)

    healed = settled


def _memberships_file(state: LabState):
    return state.home / "ops-user-no-agency.json"


class OpsUserNoAgency(Fault):
    """Raw SQL on team_members, as an admin removing the user would; the rows are kept to put them back."""

    name = "ops-user-no-agency"
    summary = "the ops user's team memberships are gone: the API answers its token 404, no agency membership (§3.2)"

    def inject(self, state):
        with stack.db_connect(state) as conn:
            rows = [r[0] for r in conn.execute("SELECT row_to_json(tm)::text FROM team_members tm WHERE user_id = %s",
                                               (state.secrets.admin_user_id,)).fetchall()]
            if rows:  # a second inject keeps the first one's copy
                if not _memberships_file(state).exists():
                    _memberships_file(state).write_text(json.dumps(rows))
                conn.execute("DELETE FROM team_members WHERE user_id = %s", (state.secrets.admin_user_id,))

    def heal(self, state):
        path = _memberships_file(state)
        if not path.exists():
            return
        with stack.db_connect(state) as conn:
            for row in json.loads(path.read_text()):
                conn.execute("INSERT INTO team_members SELECT * FROM json_populate_record(NULL::team_members, %s) "
                             "ON CONFLICT DO NOTHING", (row,))
        path.unlink()


FAULTS = (JwtSecretMismatch, AuthBypassDeployed, AnonKeyRotated, TokenExpired, OpsUserNoAgency)
