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
  finds nothing to purge);
- for every agency the guest-facing rows of lab.guest_seed (properties, bookings, website, amenities,
  extra services, its public host).

Faults and tests add their own rows with lab.records.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg

from lab import guest_seed, topology
from lab.records import add_connection, lab_uuid
from lab.services.common import FULL_SYNC_OPERATIONS

OPS_AGENCY_NAME = "Lab Ops Agency"
MEMBER_AGENCY_NAME = "Lab Partner Agency"
MEMBER_ACTIVE = 3  # the member agency's active connections (plus one paused)
PLATFORMS = ("airbnb", "booking_com", "vrbo", "expedia")

SEED_VERSION = 3  # bump when the seed's shape changes: `pms-lab up` then seeds an existing lab again
RECENT_BATCHES = 12  # one every 2 h over the last 24 h
RECENT_SPACING = timedelta(hours=2)
RECENT_NEWEST_AGE = timedelta(minutes=10)
HISTORY_DAYS = 88  # history batches on days 1..88; with < 21 h of jitter all are < 89 days old
LEGACY_FROM_DAY = 80  # rows this old predate the batch_id migration: batch_id is NULL


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
    extra_agencies: int = topology.EXTRA_AGENCIES,
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

        # The guest-facing half (properties, bookings, website, amenities, extra services) of every agency.
        guest_seed.seed_agency(conn, ops_agency_id, "ops", OPS_AGENCY_NAME, guest_seed.public_host("ops"), now=now)
        guest_seed.seed_agency(conn, member_agency_id, "member", MEMBER_AGENCY_NAME, guest_seed.public_host("member"),
                               now=now)
        for a, agency_id in enumerate(other_agencies):
            guest_seed.seed_agency(conn, agency_id, f"other-{a}", f"Lab Other Agency {a + 1}",
                                   guest_seed.public_host("other", a + 1), now=now)

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
