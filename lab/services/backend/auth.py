"""Bearer-JWT auth and tenant resolution for the PMS API (contract §3.2, §3.3).

The PMS API checks the Supabase JWT itself (HS256, JWT_SECRET, audience JWT_AUDIENCE); it needs
no `apikey` header. The agency comes from `x-agency-id` (membership checked), then an
`agency_id` claim, then the user's first team membership.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import jwt
from fastapi import HTTPException, Request
from psycopg.rows import dict_row

log = logging.getLogger("pms.auth")

_BEARER = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    agency_id: UUID
    role: str
    email: str | None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers=_BEARER)


def verify_token(request: Request) -> dict[str, Any]:
    """Claims of a valid bearer token, or 401 with the runbook's exact detail strings."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Not authenticated")
    settings = request.app.state.settings
    if not settings.jwt_secret:
        log.error("JWT token validation failed: JWT_SECRET is not set")
        raise _unauthorized("Invalid authentication token")
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            audience=settings.jwt_audience,
            options={"require": ["sub", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        log.info("JWT token validation failed: token has expired")
        raise _unauthorized("Token has expired") from None
    except jwt.PyJWTError as exc:
        log.warning("JWT token validation failed: %s (%s)", exc, type(exc).__name__)
        raise _unauthorized("Invalid authentication token") from None
    try:
        UUID(str(claims["sub"]))
    except ValueError:
        log.warning("JWT token validation failed: sub is not a UUID")
        raise _unauthorized("Invalid authentication token") from None
    return claims


def _parse_uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise HTTPException(status_code=400, detail=f"Invalid {what}: must be a UUID") from None


def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated user and the agency the request acts for."""
    claims = verify_token(request)
    user_id = UUID(str(claims["sub"]))
    requested = request.headers.get("x-agency-id")
    claimed = claims.get("agency_id")
    db = request.app.state.db
    with db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        if requested:
            agency_id = _parse_uuid(requested.strip(), "x-agency-id header")
            cur.execute(
                "SELECT role FROM team_members WHERE agency_id = %s AND user_id = %s", (agency_id, user_id)
            )
            row = cur.fetchone()
            if row is None:
                raise HTTPException(status_code=403, detail="Not a member of the agency in x-agency-id")
            return Principal(user_id, agency_id, row["role"], claims.get("email"))
        if claimed:
            agency_id = _parse_uuid(str(claimed), "agency_id claim")
            cur.execute(
                "SELECT role FROM team_members WHERE agency_id = %s AND user_id = %s", (agency_id, user_id)
            )
            row = cur.fetchone()
            if row is not None:
                return Principal(user_id, agency_id, row["role"], claims.get("email"))
        cur.execute(
            """SELECT agency_id, role FROM team_members WHERE user_id = %s
                       ORDER BY created_at, agency_id LIMIT 1""",
            (user_id,),
        )
        row = cur.fetchone()
    if row is None:
        # contract §3.2: a user with no membership at all is 404
        raise HTTPException(status_code=404, detail="No agency membership found for this user")
    return Principal(user_id, row["agency_id"], row["role"], claims.get("email"))
