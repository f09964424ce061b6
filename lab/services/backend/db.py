"""The backend's database access: a small connection pool with the production startup story.

Contract §1.4 / §5.3: at startup the backend retries the DB every DB_STARTUP_RETRY_INTERVAL_SECONDS
for up to DB_STARTUP_MAX_WAIT_SECONDS; if it never answers, the app runs in DEGRADED MODE (API
calls answer 503) and a background task retries every DB_BACKGROUND_RECONNECT_INTERVAL_SECONDS.
The log lines are the ones the runbook greps for ("pool created successfully", generation=N).

The retries run in a background thread, so the process serves /health (and a 503 /health/ready)
while it waits, which is what "ready may be 503 for up to about 60 s after a deploy" describes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from lab.services.backend.settings import Settings
from lab.services.common import connect, db_host_port, describe_db_error

log = logging.getLogger("pms.db")

# A pooled connection idle for longer than this is checked with SELECT 1 before use, so a DB
# restart costs no request a 503 once the DB is back.
_REVALIDATE_AFTER_SECONDS = 5.0
_MODULE_ID = uuid.uuid4().hex[:8]  # constant per process: "module_id stays constant"


class DatabaseUnavailable(Exception):
    """No usable connection: the pool does not exist (degraded) or the DB does not answer."""


class Database:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.url = settings.database_url
        self.host = db_host_port(self.url)[0] if self.url else "?"
        self.mode = "starting"  # starting -> normal | degraded -> normal
        self.generation = 0
        self.pool_id: str | None = None
        self._idle: list[tuple[psycopg.Connection, float]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._startup, name="db-startup", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._discard_idle()

    def _startup(self) -> None:
        s = self.settings
        if not self.url:
            log.error("DATABASE_URL is not set. App will start in DEGRADED MODE (DB unavailable).")
            self.mode = "degraded"
            return
        started = time.monotonic()
        attempt = 0
        while not self._stop.is_set():
            attempt += 1
            try:
                self._create_pool(attempt)
                return
            except psycopg.Error as exc:
                elapsed = time.monotonic() - started
                if elapsed + s.db_startup_retry_interval_seconds > s.db_startup_max_wait_seconds:
                    log.error(
                        "Database connection pool creation FAILED after %d attempts (%s). "
                        "App will start in DEGRADED MODE (DB unavailable). "
                        "Background reconnection will retry every %.0fs.",
                        attempt,
                        describe_db_error(exc),
                        s.db_background_reconnect_interval_seconds,
                    )
                    log.warning("Service degraded: database unavailable at startup")
                    self.mode = "degraded"
                    break
                log.warning(
                    "Database connection attempt %d failed (%s). Retrying in %.1fs",
                    attempt,
                    describe_db_error(exc),
                    s.db_startup_retry_interval_seconds,
                )
                self._stop.wait(s.db_startup_retry_interval_seconds)
        if self.mode == "degraded" and s.db_background_reconnect_enabled:
            self._background_reconnect()

    def _background_reconnect(self) -> None:
        interval = self.settings.db_background_reconnect_interval_seconds
        attempt = 0
        while not self._stop.wait(interval):
            attempt += 1
            try:
                self._create_pool(attempt)
                log.info("Background reconnection: SUCCESS. App is now in NORMAL MODE (DB available).")
                return
            except psycopg.Error as exc:
                log.warning(
                    "Background reconnection attempt %d failed (%s). Next try in %.0fs",
                    attempt,
                    describe_db_error(exc),
                    interval,
                )

    def _create_pool(self, attempt: int) -> None:
        conn = self._open()
        conn.execute("SELECT 1")
        with self._lock:
            self.generation += 1
            self.pool_id = uuid.uuid4().hex[:12]
            self._idle.append((conn, time.monotonic()))
            self.mode = "normal"
        log.info(
            "Database connection pool created successfully (PID=%d, host=%s, generation=%d, attempt=%d, "
            "pool_id=%s, module_id=%s)",
            os.getpid(),
            self.host,
            self.generation,
            attempt,
            self.pool_id,
            _MODULE_ID,
        )

    # --- connections -------------------------------------------------------------------------

    def _open(self) -> psycopg.Connection:
        return connect(self.url, connect_timeout=self.settings.db_connect_timeout_seconds)

    def _checkout(self) -> psycopg.Connection:
        while True:
            with self._lock:
                if not self._idle:
                    break
                conn, since = self._idle.pop()
            if conn.closed or conn.broken:
                continue
            if time.monotonic() - since > _REVALIDATE_AFTER_SECONDS:
                try:
                    conn.execute("SELECT 1")
                except psycopg.Error:
                    # One dead idle connection means the others died with it (DB restart,
                    # network gone): drop them all instead of timing out on each in turn.
                    conn.close()
                    self._discard_idle()
                    continue
            return conn
        try:
            return self._open()
        except psycopg.OperationalError as exc:
            log.warning("Database connection failed: %s", describe_db_error(exc))
            raise DatabaseUnavailable(describe_db_error(exc)) from exc

    def _discard_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            conn.close()

    def _checkin(self, conn: psycopg.Connection) -> None:
        reusable = (
            not conn.closed
            and not conn.broken
            and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        )
        if reusable:
            with self._lock:
                if len(self._idle) < self.settings.db_pool_max_idle:
                    self._idle.append((conn, time.monotonic()))
                    return
        conn.close()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """An autocommit connection; use `with conn.transaction():` to group writes."""
        if self.mode != "normal":
            raise DatabaseUnavailable(f"database pool not available (mode={self.mode})")
        conn = self._checkout()
        try:
            yield conn
        finally:
            self._checkin(conn)
