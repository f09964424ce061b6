"""How database trouble reaches the API client (contract §5.1, §4.3, §4.7).

- Schema drift (a missing table, column or function) is a 503 whose message says what is
  missing and which migration to run; readiness stays green, as in production.
- An unreachable DB is a 503 "Database is temporarily unavailable.".
- Anything else is a generic 500: exception text stays in the log, not in the body (SEC-P0).
"""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg import errors as pg_errors

from lab.services.backend.db import DatabaseUnavailable

log = logging.getLogger("pms.errors")

MIGRATIONS_HINT = (
    "Run Supabase migrations: backend/scripts/ops/apply_supabase_migrations.sh (supabase/migrations)"
)
SYNC_LOGS_MISSING = (
    "Channel sync logs schema not installed (missing table: channel_sync_logs). "
    "Run DB migration: supabase/migrations/20251227000000_create_channel_sync_logs.sql"
)
OPERATION_TYPE_BLOCKED = (
    "Database schema out of date: channel_sync_logs.operation_type constraint blocks "
    "'bookings'. Run DB migration: "
    "supabase/migrations/20260101140000_fix_channel_sync_logs_operation_type_check.sql"
)
DB_UNAVAILABLE = "Database is temporarily unavailable."

# Which migration adds a column the API reads, so the 503 names the exact file to apply.
_COLUMN_MIGRATION = {
    "platform_type": "20260101030000_channel_connections_schema_upgrade.sql",
    "status": "20260101030000_channel_connections_schema_upgrade.sql",
    "platform_metadata": "20260101030000_channel_connections_schema_upgrade.sql",
    "deleted_at": "20260101030000_channel_connections_schema_upgrade.sql",
    "batch_id": "20260101150000_add_batch_id_to_channel_sync_logs.sql",
    "property_id": "20260102000000_add_property_fields_to_channel_connections.sql",
    "platform_listing_id": "20260102000000_add_property_fields_to_channel_connections.sql",
}

SCHEMA_DRIFT_ERRORS = (
    pg_errors.UndefinedTable,
    pg_errors.UndefinedColumn,
    pg_errors.UndefinedFunction,
    pg_errors.AmbiguousFunction,
)


def service_unavailable(message: str) -> JSONResponse:
    return JSONResponse(status_code=503, content={"error": "service_unavailable", "message": message})


def schema_drift_message(exc: psycopg.Error) -> str:
    primary = (exc.diag.message_primary or str(exc)).strip()
    if isinstance(exc, pg_errors.UndefinedTable) and "channel_sync_logs" in primary:
        return SYNC_LOGS_MISSING
    if isinstance(exc, pg_errors.AmbiguousFunction):
        return f"Database schema/function definitions out of date or duplicated: {primary}. {MIGRATIONS_HINT}"
    hint = MIGRATIONS_HINT
    for column, filename in _COLUMN_MIGRATION.items():
        if f'"{column}"' in primary or f".{column}" in primary:
            hint = f"{MIGRATIONS_HINT}; missing column comes from supabase/migrations/{filename}"
            break
    return f"Database schema not installed or out of date: {primary}. {hint}"


def _database_error(request: Request, exc: psycopg.Error) -> JSONResponse:
    if isinstance(exc, SCHEMA_DRIFT_ERRORS):
        message = schema_drift_message(exc)
        log.error(
            "SCHEMA_DRIFT Schema not installed or out of date on %s %s: %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
            exc.diag.message_primary,
        )
        return service_unavailable(message)
    if (
        isinstance(exc, pg_errors.CheckViolation)
        and exc.diag.constraint_name == "channel_sync_logs_operation_type_check"
    ):
        log.error("SCHEMA_DRIFT Schema out of date: %s", exc.diag.message_primary)
        return service_unavailable(OPERATION_TYPE_BLOCKED)
    if isinstance(exc, psycopg.OperationalError):
        log.warning("Database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return service_unavailable(DB_UNAVAILABLE)
    log.exception("Database error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(status_code=500, content={"detail": "Internal server error"})


def _database_unavailable(request: Request, exc: DatabaseUnavailable) -> JSONResponse:
    log.warning("Database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return service_unavailable(DB_UNAVAILABLE)


def install(app: FastAPI) -> None:
    app.add_exception_handler(psycopg.Error, _database_error)  # type: ignore[arg-type]
    app.add_exception_handler(DatabaseUnavailable, _database_unavailable)  # type: ignore[arg-type]
