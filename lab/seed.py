"""Seed data for the lab's PMS database: a healthy-looking channel manager.

What `seed()` leaves behind, so that every daily check is green on a fresh lab:

- an "ops" agency whose admin is the lab's ops user; its connections are mostly `active`, plus
  one `paused` and one `inactive` (those two have no batch in the last 24 h, as in production);
- a "member" agency the ops user is a manager of too (three active connections, one paused): the
  API shows it only with `x-agency-id`, as production does for a second membership;
- other agencies with two active connections and one inactive each, which the ops user is not a
  member of (only the read-only database sees them);
- for every active connection a full-sync batch every 2 h over the last 24 h (3 rows sharing a
  batch_id), all `success` except at most one failed batch per connection (8 % < 10 %);
- older history, one batch a day, all strictly newer than 89 days (a 90-day retention check
  finds nothing to purge).

Faults add and remove their own rows with `insert_batch` / `add_connection` and a `tag`, which
lands in `details->>'lab_fault'` (sync logs) or `platform_metadata->>'lab_fault'` (connections),
so `delete_tagged` removes exactly what a fault added.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg

from lab.services.common import FULL_SYNC_OPERATIONS

# Fixed namespace: the seed's ids are the same on every machine, so tests and faults can name them.
LAB_NAMESPACE = UUID("6f1c8e2a-4b7d-5e90-a1b2-c3d4e5f60718")
OPS_AGENCY_NAME = "Lab Ops Agency"
MEMBER_AGENCY_NAME = "Lab Partner Agency"
MEMBER_ACTIVE = 3  # the member agency's active connections (plus one paused)
PLATFORMS = ("airbnb", "booking_com", "vrbo", "expedia")
TERMINAL = {"success", "failed", "cancelled"}

SEED_VERSION = 2  # bump when the seed's shape changes: `pms-lab up` then seeds an existing lab again
RECENT_BATCHES = 12  # one every 2 h over the last 24 h
RECENT_SPACING = timedelta(hours=2)
RECENT_NEWEST_AGE = timedelta(minutes=10)
HISTORY_DAYS = 88  # history batches on days 1..88; with < 21 h of jitter all are < 89 days old
LEGACY_FROM_DAY = 80  # rows this old predate the batch_id migration: batch_id is NULL


def lab_uuid(*parts: object) -> UUID:
    """A stable id for a named seed object (agency, connection, user)."""
    return uuid.uuid5(LAB_NAMESPACE, ":".join(str(p) for p in parts))


@dataclass
class SeedResult:
    ops_agency_id: UUID
    admin_user_id: UUID
    active_connection_ids: list[UUID]
    paused_connection_id: UUID | None
    inactive_connection_id: UUID | None
    other_agency_ids: list[UUID]
    other_connection_ids: list[UUID]
    sync_log_rows: int
    created: bool  # False when the database was already seeded and nothing was written
    member_agency_id: UUID | None = None  # the second agency the ops user belongs to
    member_connection_ids: list[UUID] = field(default_factory=list)  # its connections, active first

    @property
    def ops_connection_ids(self) -> list[UUID]:
        """Every connection the ops user sees in the list endpoint."""
        extra = [c for c in (self.paused_connection_id, self.inactive_connection_id) if c]
        return self.active_connection_ids + extra


@dataclass
class _Rows:
    """Sync-log rows collected in memory and written with one COPY."""

    rows: list[tuple] = field(default_factory=list)

    def batch(
        self,
        rng: random.Random,
        *,
        tenant_id: UUID,
        connection_id: UUID,
        platform: str,
        created_at: datetime,
        statuses: Sequence[str],
        with_batch_id: bool = True,
        source: str = "lab_seed",
    ) -> datetime:
        batch_id = _rng_uuid(rng) if with_batch_id else None
        last = created_at
        for op, status in zip(FULL_SYNC_OPERATIONS, statuses, strict=False):
            created = created_at + timedelta(milliseconds=rng.randint(0, 300))
            updated = created + timedelta(seconds=rng.uniform(1.5, 8.0))
            error = "Channel API error: 502 Bad Gateway (simulated)" if status == "failed" else None
            details = {"platform": platform, "manual_trigger": False, "source": source}
            self.rows.append(
                (
                    str(_rng_uuid(rng)),
                    str(tenant_id),
                    str(connection_id),
                    op,
                    "outbound",
                    status,
                    json.dumps(details),
                    error,
                    str(_rng_uuid(rng)),
                    created,
                    updated,
                    str(batch_id) if batch_id else None,
                )
            )
            last = max(last, updated)
        return last


_LOG_COLUMNS = (
    "id",
    "tenant_id",
    "connection_id",
    "operation_type",
    "direction",
    "status",
    "details",
    "error",
    "task_id",
    "created_at",
    "updated_at",
    "batch_id",
)


def _rng_uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


@dataclass
class _Seeding:
    """Connections of the seed: an active one with 24 h of batches and its history, or a parked one
    (paused or deactivated a few days ago) with history only."""

    conn: psycopg.Connection
    rows: _Rows
    rng: random.Random
    now: datetime

    def active(self, agency_id: UUID, key: tuple, listing: str, platform: str, *, fail: bool) -> UUID:
        cid = add_connection(self.conn, agency_id, status="active", platform_type=platform,
                             connection_id=lab_uuid("connection", *key), platform_listing_id=listing)
        _recent_and_history(self.rows, self.rng, self.now, agency_id, cid, platform, fail_recent=fail)
        return cid

    def parked(self, agency_id: UUID, status: str, key: tuple, listing: str, platform: str) -> UUID:
        cid = add_connection(self.conn, agency_id, status=status, platform_type=platform,
                             connection_id=lab_uuid("connection", *key), platform_listing_id=listing)
        _history(self.rows, self.rng, self.now, agency_id, cid, platform, first_day=3, every=3)
        return cid


def seed(
    conn: psycopg.Connection,
    *,
    admin_user_id: UUID | str,
    connections: int = 8,
    extra_agencies: int = 1,
    now: datetime | None = None,
    rng_seed: int = 20260101,
) -> SeedResult:
    """Seed a migrated database; a second call on a seeded database writes nothing.

    connections: the ops agency's connections in total; two of them are the paused and the
    inactive one when there are at least 3 (at least one is always active).
    """
    admin_user_id = UUID(str(admin_user_id))
    ops_agency_id = lab_uuid("agency", "ops")
    existing = _existing(conn, ops_agency_id, admin_user_id)
    if existing is not None:
        return existing

    now = now or datetime.now(UTC)
    rng = random.Random(rng_seed)
    rows = _Rows()
    n_special = 2 if connections >= 3 else 0
    n_active = max(1, connections - n_special)

    with conn.transaction():
        _insert_agency(conn, ops_agency_id, OPS_AGENCY_NAME)
        conn.execute(
            "INSERT INTO team_members (agency_id, user_id, role) VALUES (%s, %s, 'admin')",
            (ops_agency_id, admin_user_id),
        )

        seeding = _Seeding(conn, rows, rng, now)
        # Every other connection gets one failed batch among its 12 recent ones (8 %).
        active = [seeding.active(ops_agency_id, ("ops", i), f"lab-{i:03d}-{PLATFORMS[i % len(PLATFORMS)]}",
                                 PLATFORMS[i % len(PLATFORMS)], fail=(i % 2 == 0))
                  for i in range(n_active)]

        paused = inactive = None
        if n_special:
            paused = seeding.parked(ops_agency_id, "paused", ("ops", "paused"), "lab-airbnb-paused", "airbnb")
            inactive = seeding.parked(ops_agency_id, "inactive", ("ops", "inactive"), "lab-booking_com-inactive",
                                      "booking_com")

        # The second membership: joined after the ops agency, so the first membership (the API's
        # default without x-agency-id) stays the ops agency.
        member_agency_id = lab_uuid("agency", "member")
        _insert_agency(conn, member_agency_id, MEMBER_AGENCY_NAME)
        conn.execute(
            "INSERT INTO team_members (agency_id, user_id, role, created_at) "
            "VALUES (%s, %s, 'manager', now() + interval '1 second')",
            (member_agency_id, admin_user_id),
        )
        conn.execute(
            "INSERT INTO team_members (agency_id, user_id, role) VALUES (%s, %s, 'admin')",
            (member_agency_id, lab_uuid("user", "member-admin")),
        )
        member_connections = [
            seeding.active(member_agency_id, ("member", j), f"lab-member-{PLATFORMS[(j + 1) % len(PLATFORMS)]}-{j}",
                           PLATFORMS[(j + 1) % len(PLATFORMS)], fail=(j == 0))
            for j in range(MEMBER_ACTIVE)]
        member_connections.append(
            seeding.parked(member_agency_id, "paused", ("member", "paused"), "lab-member-vrbo-paused", "vrbo"))

        other_agencies: list[UUID] = []
        other_connections: list[UUID] = []
        for a in range(extra_agencies):
            agency_id = lab_uuid("agency", "other", a)
            _insert_agency(conn, agency_id, f"Lab Other Agency {a + 1}")
            conn.execute(
                "INSERT INTO team_members (agency_id, user_id, role) VALUES (%s, %s, 'admin')",
                (agency_id, lab_uuid("user", "other-admin", a)),
            )
            other_agencies.append(agency_id)
            other_connections += [
                seeding.active(agency_id, ("other", a, j), f"lab-other{a}-{PLATFORMS[(a + j) % len(PLATFORMS)]}-{j}",
                               PLATFORMS[(a + j) % len(PLATFORMS)], fail=(j == 1))
                for j in range(2)]
            other_connections.append(seeding.parked(agency_id, "inactive", ("other", a, "inactive"),
                                                    f"lab-other{a}-expedia-inactive", "expedia"))

        with conn.cursor() as cur:
            with cur.copy(f"COPY channel_sync_logs ({', '.join(_LOG_COLUMNS)}) FROM STDIN") as copy:
                for row in rows.rows:
                    copy.write_row(row)
            # last_sync_at = the newest successful operation, as the worker would have left it.
            cur.execute("""
                UPDATE channel_connections c SET last_sync_at = s.last_success
                FROM (SELECT connection_id, max(updated_at) AS last_success FROM channel_sync_logs
                      WHERE status = 'success' GROUP BY connection_id) s
                WHERE s.connection_id = c.id""")
    conn.execute("ANALYZE channel_sync_logs")

    return SeedResult(
        ops_agency_id,
        admin_user_id,
        active,
        paused,
        inactive,
        other_agencies,
        other_connections,
        len(rows.rows),
        created=True,
        member_agency_id=member_agency_id,
        member_connection_ids=member_connections,
    )


def reset(conn: psycopg.Connection) -> None:
    """Remove every seeded and fault-added row, so that `seed` can run again."""
    with conn.transaction():
        conn.execute("TRUNCATE channel_sync_logs, channel_connections, team_members, agencies CASCADE")


def _insert_agency(conn: psycopg.Connection, agency_id: UUID, name: str) -> None:
    conn.execute(
        "INSERT INTO agencies (id, name) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING", (agency_id, name)
    )


def _recent_and_history(
    rows: _Rows,
    rng: random.Random,
    now: datetime,
    tenant: UUID,
    cid: UUID,
    platform: str,
    *,
    fail_recent: bool,
) -> None:
    failed_index = rng.randrange(1, RECENT_BATCHES) if fail_recent else -1
    for k in range(RECENT_BATCHES):
        created = now - RECENT_NEWEST_AGE - k * RECENT_SPACING - timedelta(seconds=rng.randint(0, 300))
        statuses = ["success", "failed", "success"] if k == failed_index else ["success"] * 3
        rows.batch(
            rng, tenant_id=tenant, connection_id=cid, platform=platform, created_at=created, statuses=statuses
        )
    _history(rows, rng, now, tenant, cid, platform, first_day=1, every=1)


def _history(
    rows: _Rows,
    rng: random.Random,
    now: datetime,
    tenant: UUID,
    cid: UUID,
    platform: str,
    *,
    first_day: int,
    every: int,
) -> None:
    for day in range(first_day, HISTORY_DAYS + 1, every):
        # 1 h .. 21 h on top of whole days: never inside the last 24 h, never 89 days old.
        created = now - timedelta(days=day, hours=1 + rng.uniform(0, 20))
        failed = rng.random() < 0.04
        statuses = ["success", "success", "failed"] if failed else ["success"] * 3
        rows.batch(
            rng,
            tenant_id=tenant,
            connection_id=cid,
            platform=platform,
            created_at=created,
            statuses=statuses,
            with_batch_id=day < LEGACY_FROM_DAY,
        )


def _existing(conn: psycopg.Connection, ops_agency_id: UUID, admin_user_id: UUID) -> SeedResult | None:
    """The summary of an earlier seed, or None when the database is not seeded yet."""
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM agencies WHERE id = %s", (ops_agency_id,))
        if cur.fetchone() is None:
            return None
        cur.execute("""SELECT id, status, agency_id FROM channel_connections
                       WHERE deleted_at IS NULL AND (platform_metadata->>'lab_fault') IS NULL
                       ORDER BY platform_listing_id""")
        conns = cur.fetchall()
        member_agency_id = lab_uuid("agency", "member")
        cur.execute("SELECT id FROM agencies WHERE id <> ALL(%s) ORDER BY name", ([ops_agency_id, member_agency_id],))
        others = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT count(*) FROM channel_sync_logs")
        n_logs = cur.fetchone()[0]
    ops = [(cid, status) for cid, status, agency in conns if agency == ops_agency_id]
    return SeedResult(
        ops_agency_id=ops_agency_id,
        admin_user_id=admin_user_id,
        active_connection_ids=[cid for cid, status in ops if status == "active"],
        paused_connection_id=next((cid for cid, status in ops if status == "paused"), None),
        inactive_connection_id=next((cid for cid, status in ops if status == "inactive"), None),
        other_agency_ids=others,
        other_connection_ids=[cid for cid, _s, agency in conns if agency in others],
        sync_log_rows=n_logs,
        created=False,
        member_agency_id=member_agency_id,
        member_connection_ids=[cid for cid, status, agency in sorted(conns, key=lambda c: c[1] != "active")
                               if agency == member_agency_id],
    )


# --- building blocks for faults and tests ------------------------------------------------------


def add_connection(
    conn: psycopg.Connection,
    agency_id: UUID | str,
    *,
    status: str = "active",
    platform_type: str = "airbnb",
    tag: str | None = None,
    connection_id: UUID | str | None = None,
    property_id: UUID | str | None = None,
    platform_listing_id: str | None = None,
) -> UUID:
    """Insert one channel connection; `tag` goes into platform_metadata->>'lab_fault'.

    The pre-2026 columns (channel, is_active) are kept consistent with the new ones, as the
    upgrade migration's backfill would have left them.
    """
    cid = UUID(str(connection_id)) if connection_id else uuid.uuid4()
    metadata = {"lab_fault": tag} if tag else {}
    listing = platform_listing_id or f"lab-{platform_type}-{cid.hex[:8]}"
    prop = UUID(str(property_id)) if property_id else uuid.uuid5(LAB_NAMESPACE, f"property:{listing}")
    with conn.transaction():
        conn.execute(
            """INSERT INTO channel_connections
                   (id, agency_id, channel, is_active, platform_type, status, platform_metadata,
                    property_id, platform_listing_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)""",
            (
                cid,
                UUID(str(agency_id)),
                platform_type,
                status == "active",
                platform_type,
                status,
                json.dumps(metadata),
                prop,
                listing,
            ),
        )
    return cid


def insert_batch(
    conn: psycopg.Connection,
    connection_id: UUID | str,
    statuses: list[str],
    created_at: datetime,
    *,
    tag: str | None = None,
    operation_types: list[str] | None = None,
    updated_at: datetime | None = None,
    error: str | None = None,
    batch_id: UUID | str | None = None,
) -> UUID:
    """Insert one sync batch: one row per status, all sharing a new batch_id; returns it.

    operation_types: defaults to the full-sync trio, repeated as needed.
    updated_at: defaults to created_at + 5 s for finished rows and created_at for triggered,
      queued or running ones; pass an old value to make a row stale.
    error: the error of failed rows (a generic adapter error by default).
    tag: stored in details->>'lab_fault' so `delete_tagged(conn, tag)` removes exactly these rows.
    """
    cid = UUID(str(connection_id))
    ops = (
        list(operation_types)
        if operation_types
        else [FULL_SYNC_OPERATIONS[i % len(FULL_SYNC_OPERATIONS)] for i in range(len(statuses))]
    )
    if len(ops) != len(statuses):
        raise ValueError("operation_types and statuses must have the same length")
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    bid = UUID(str(batch_id)) if batch_id else uuid.uuid4()
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT agency_id, platform_type FROM channel_connections WHERE id = %s", (cid,))
        found = cur.fetchone()
        if found is None:
            raise LookupError(f"channel connection {cid} does not exist")
        tenant_id, platform = found
        details: dict[str, object] = {"platform": platform, "manual_trigger": False}
        if tag:
            details["lab_fault"] = tag
        for op, status in zip(ops, statuses, strict=True):
            touched = updated_at or (created_at + timedelta(seconds=5) if status in TERMINAL else created_at)
            cur.execute(
                """INSERT INTO channel_sync_logs
                       (tenant_id, connection_id, operation_type, direction, status, details, error,
                        task_id, created_at, updated_at, batch_id)
                   VALUES (%s, %s, %s, 'outbound', %s, %s::jsonb, %s, %s, %s, %s, %s)""",
                (
                    tenant_id,
                    cid,
                    op,
                    status,
                    json.dumps(details),
                    (error or "Channel API error: 502 Bad Gateway (simulated)")
                    if status == "failed"
                    else None,
                    str(uuid.uuid4()),
                    created_at,
                    touched,
                    bid,
                ),
            )
    return bid


def delete_tagged(conn: psycopg.Connection, tag: str) -> dict[str, int]:
    """Remove the sync logs and connections a fault added under `tag`; returns the counts."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("DELETE FROM channel_sync_logs WHERE details->>'lab_fault' = %s", (tag,))
        logs = cur.rowcount
        cur.execute(
            """DELETE FROM channel_sync_logs WHERE connection_id IN
                       (SELECT id FROM channel_connections WHERE platform_metadata->>'lab_fault' = %s)""",
            (tag,),
        )
        logs += cur.rowcount
        cur.execute("DELETE FROM channel_connections WHERE platform_metadata->>'lab_fault' = %s", (tag,))
        return {"sync_logs": logs, "connections": cur.rowcount}


def seed_bulk_logs(
    conn: psycopg.Connection,
    rows: int,
    *,
    max_age_days: float = 89,
    min_age_days: float = 1,
    failed_ratio: float = 0.02,
    connection_ids: list[UUID] | None = None,
    tag: str | None = None,
    chunk_rows: int = 600_000,
) -> int:
    """Insert `rows` finished sync logs server-side (generate_series), for benchmarks.

    Rows come in batches of 3 (the full-sync trio sharing a batch_id), spread over active
    connections and over created_at in (now - max_age_days, now - min_age_days]. The default
    window keeps them out of the last 24 h, so the daily batch checks still see the seed's data,
    and under 89 days, so a 90-day retention check stays clean. Returns the rows inserted.
    """
    if rows <= 0:
        return 0
    if not 0 <= min_age_days < max_age_days:
        raise ValueError("need 0 <= min_age_days < max_age_days")
    with conn.cursor() as cur:
        if connection_ids is None:
            cur.execute("""SELECT id, agency_id FROM channel_connections
                           WHERE deleted_at IS NULL AND status = 'active' ORDER BY id""")
        else:
            cur.execute(
                "SELECT id, agency_id FROM channel_connections WHERE id = ANY(%s) ORDER BY id",
                ([UUID(str(c)) for c in connection_ids],),
            )
        found = cur.fetchall()
    if not found:
        raise LookupError("no channel connection to attach bulk sync logs to")
    ids = [r[0] for r in found]
    agencies = [r[1] for r in found]
    details = {"source": "lab_bulk", "manual_trigger": False}
    if tag:
        details["lab_fault"] = tag
    salt = uuid.uuid4().hex  # keeps batch ids of separate calls apart

    # Three rows per batch: chunk boundaries are multiples of 3 so no batch is split.
    chunk_rows = max(3, chunk_rows - chunk_rows % 3)
    inserted = 0
    start = 0
    while start < rows:
        end = min(rows, start + chunk_rows) - 1
        with conn.transaction():
            cur = conn.execute(
                """
                INSERT INTO channel_sync_logs
                    (tenant_id, connection_id, operation_type, direction, status, details, error,
                     task_id, created_at, updated_at, batch_id)
                SELECT (%(agencies)s::uuid[])[(b.n %% %(nconn)s) + 1],
                       (%(ids)s::uuid[])[(b.n %% %(nconn)s) + 1],
                       (ARRAY['availability_update', 'pricing_update', 'bookings_sync'])[(g %% 3) + 1],
                       'outbound',
                       CASE WHEN g %% 3 = 1 AND b.r2 < %(failed)s THEN 'failed' ELSE 'success' END,
                       %(details)s::jsonb,
                       CASE WHEN g %% 3 = 1 AND b.r2 < %(failed)s
                            THEN 'Channel API error: 502 Bad Gateway (simulated)' END,
                       md5(%(salt)s || ':t:' || g)::uuid::text,
                       b.created_at,
                       b.created_at + make_interval(secs => 2 + (g %% 3) * 1.5),
                       md5(%(salt)s || ':b:' || b.n)::uuid
                FROM generate_series(%(start)s::bigint, %(end)s::bigint) AS g
                CROSS JOIN LATERAL (
                    SELECT g / 3 AS n,
                           -- Oldest first, evenly spread: the time-ordered indexes are
                           -- appended to rather than split at random (several times faster).
                           now() - make_interval(secs => %(min_secs)s
                                 + (1.0 - (g / 3)::float8 / %(nbatches)s) * %(span_secs)s)
                               AS created_at,
                           (hashint8(g / 3 + 7919) & 2147483647)::float8 / 2147483647.0 AS r2
                ) AS b
                """,
                {
                    "agencies": agencies,
                    "ids": ids,
                    "nconn": len(ids),
                    "failed": failed_ratio,
                    "nbatches": float(max(1, (rows + 2) // 3)),
                    "details": json.dumps(details),
                    "salt": salt,
                    "start": start,
                    "end": end,
                    "min_secs": min_age_days * 86400.0,
                    # an hour short of max_age_days: still "newer than max_age_days" when a check runs later
                    "span_secs": max(0.0, (max_age_days - min_age_days) * 86400.0 - 3600.0),
                },
            )
            inserted += cur.rowcount
        start = end + 1
    conn.execute("ANALYZE channel_sync_logs")
    return inserted
