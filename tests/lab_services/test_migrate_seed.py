"""Migrations, the read-only role and the seed, each in a scratch database of the test Postgres."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from lab import migrate, records, seed

pytestmark = pytest.mark.slow

ADMIN = uuid.UUID("b0000000-0000-4000-8000-00000000b001")
UPGRADE = "20260101030000_channel_connections_schema_upgrade.sql"


@pytest.fixture
def seeded(scratch) -> tuple[psycopg.Connection, seed.SeedResult]:
    migrate.apply(scratch)
    return scratch, seed.seed(scratch, admin_user_id=ADMIN)


def test_migration_files_follow_the_naming_rule_and_apply_once(scratch):
    names = [p.name for p in migrate.migration_files()]
    assert names == sorted(names) and len(names) >= 7
    assert names[0] == "20250101000001_agencies_and_team_members.sql"
    assert migrate.applied(scratch) == []
    assert migrate.apply(scratch) == names
    assert migrate.apply(scratch) == []
    assert migrate.applied(scratch) == names and migrate.pending(scratch) == []
    rows = scratch.execute("SELECT filename, sha256, applied_at FROM pms_schema_migrations").fetchall()
    assert all(len(sha) == 64 and applied_at for _f, sha, applied_at in rows)


def test_every_migration_file_is_idempotent(scratch):
    migrate.apply(scratch)
    names = [p.name for p in migrate.migration_files()]
    assert migrate.apply(scratch, only=names, reapply=True) == names


def test_a_failing_file_is_not_recorded(scratch, tmp_path):
    good = tmp_path / "20990101000000_good.sql"
    good.write_text("CREATE TABLE t_good (id int);")
    bad = tmp_path / "20990101000001_bad.sql"
    bad.write_text("CREATE TABLE t_bad (id int); SELECT * FROM no_such_table;")
    with pytest.raises(psycopg.errors.UndefinedTable):
        migrate.apply(scratch, directory=tmp_path)
    assert migrate.applied(scratch) == [good.name]
    assert scratch.execute("SELECT to_regclass('t_bad')").fetchone()[0] is None


def test_upgrade_backfills_again_after_its_columns_were_dropped(seeded):
    conn, result = seeded
    conn.execute(
        "ALTER TABLE channel_connections DROP COLUMN status, DROP COLUMN platform_type, "
        "DROP COLUMN platform_metadata, DROP COLUMN deleted_at"
    )
    conn.execute("DELETE FROM pms_schema_migrations WHERE filename = %s", (UPGRADE,))
    assert migrate.pending(conn) == [UPGRADE]
    assert migrate.apply(conn) == [UPGRADE]
    rows = conn.execute(
        "SELECT is_active, status, platform_type = channel, platform_metadata FROM channel_connections"
    ).fetchall()
    assert {(is_active, status) for is_active, status, _same, _meta in rows} == {
        (True, "active"),
        (False, "inactive"),
    }
    assert all(same and meta == {} for _a, _s, same, meta in rows)


def test_readonly_role_reads_but_cannot_write(seeded, lab):
    conn, _result = seeded
    migrate.ensure_readonly_role(conn, "pms_readonly_test", "pa'ss")
    migrate.ensure_readonly_role(conn, "pms_readonly_test", "pa'ss")  # idempotent
    dbname = conn.info.dbname
    url = f"postgresql://pms_readonly_test:pa%27ss@127.0.0.1:{conn.info.port}/{dbname}"
    with psycopg.connect(url, autocommit=True) as ro:
        assert ro.execute("SELECT count(*) FROM channel_sync_logs").fetchone()[0] > 0
        assert ro.execute("SELECT count(*) FROM pms_schema_migrations").fetchone()[0] >= 7
        assert ro.execute("SHOW statement_timeout").fetchone()[0] == "5s"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            ro.execute("DELETE FROM channel_sync_logs")
    conn.execute("CREATE TABLE later_table (id int)")  # default privileges cover future tables
    with psycopg.connect(url, autocommit=True) as ro:
        assert ro.execute("SELECT count(*) FROM later_table").fetchone()[0] == 0
    text = migrate.readonly_role_sql("pms_readonly")
    assert "default_transaction_read_only = on" in text and "statement_timeout = '5s'" in text
    assert ":'password'" in text and "ALTER DEFAULT PRIVILEGES" in text
    with pytest.raises(ValueError):
        migrate.readonly_role_sql("bad name; DROP")


def test_seed_is_idempotent_and_shaped_for_green_checks(seeded):
    conn, result = seeded
    assert result.created and len(result.active_connection_ids) == 6
    assert result.paused_connection_id and result.inactive_connection_id
    again = seed.seed(conn, admin_user_id=ADMIN)
    assert not again.created
    assert again.active_connection_ids == result.active_connection_ids
    assert again.other_connection_ids == result.other_connection_ids
    assert conn.execute("SELECT count(*) FROM channel_sync_logs").fetchone()[0] == result.sync_log_rows

    # Three agencies: the ops user is a member of two (the ops agency first), not of the third.
    members = conn.execute("SELECT agency_id, role FROM team_members WHERE user_id = %s ORDER BY created_at",
                           (ADMIN,)).fetchall()
    assert members == [(result.ops_agency_id, "admin"), (result.member_agency_id, "manager")]
    assert len(result.other_agency_ids) == 1 and result.other_agency_ids[0] not in (a for a, _ in members)
    assert len(result.other_connection_ids) == 3 and len(result.member_connection_ids) == 4
    assert set(again.member_connection_ids) == set(result.member_connection_ids)
    status = dict(conn.execute("SELECT id, status FROM channel_connections").fetchall())
    assert sorted(status[c] for c in result.member_connection_ids) == ["active"] * 3 + ["paused"]
    assert sorted(status[c] for c in result.other_connection_ids) == ["active"] * 2 + ["inactive"]

    per_connection = dict(
        conn.execute("""
        SELECT connection_id, array_agg(failed) FROM (
            SELECT connection_id, batch_id, bool_or(status = 'failed') AS failed FROM channel_sync_logs
            WHERE created_at > now() - interval '24 hours' GROUP BY connection_id, batch_id) b
        GROUP BY connection_id""").fetchall()
    )
    active = [c for c in result.active_connection_ids + result.member_connection_ids + result.other_connection_ids
              if status[c] == "active"]
    assert len(active) == 11
    for cid in active:
        batches = per_connection[cid]
        assert len(batches) == 12
        assert sum(batches) / len(batches) <= 0.10
    assert sum(sum(b) for b in per_connection.values()) >= 2  # a few failed batches overall
    assert result.paused_connection_id not in per_connection
    assert result.inactive_connection_id not in per_connection
    assert not {c for c in result.member_connection_ids + result.other_connection_ids if status[c] != "active"} \
        & set(per_connection)

    old, in_flight, sizes = conn.execute("""
        SELECT count(*) FILTER (WHERE created_at <= now() - interval '89 days'),
               count(*) FILTER (WHERE status NOT IN ('success', 'failed')),
               (SELECT array_agg(DISTINCT n) FROM (SELECT count(*) AS n FROM channel_sync_logs
                                                   WHERE batch_id IS NOT NULL GROUP BY batch_id) s)
        FROM channel_sync_logs""").fetchone()
    assert old == 0 and in_flight == 0 and sizes == [3]


def test_insert_batch_add_connection_and_delete_tagged(seeded):
    conn, result = seeded
    cid = records.add_connection(
        conn, result.ops_agency_id, status="paused", platform_type="vrbo", tag="t-fault"
    )
    row = conn.execute(
        "SELECT status, is_active, platform_type, channel, platform_metadata->>'lab_fault' "
        "FROM channel_connections WHERE id = %s",
        (cid,),
    ).fetchone()
    assert row == ("paused", False, "vrbo", "vrbo", "t-fault")
    when = datetime.now(UTC) - timedelta(hours=3)
    bid = records.insert_batch(conn, cid, ["running", "failed", "queued"], when, tag="t-fault")
    rows = conn.execute(
        "SELECT operation_type, status, updated_at - created_at, error IS NOT NULL, "
        "details->>'lab_fault' FROM channel_sync_logs WHERE batch_id = %s ORDER BY operation_type",
        (bid,),
    ).fetchall()
    assert [(op, st) for op, st, *_ in rows] == [
        ("availability_update", "running"),
        ("bookings_sync", "queued"),
        ("pricing_update", "failed"),
    ]
    assert {r[4] for r in rows} == {"t-fault"}
    assert dict((st, (age, err)) for _op, st, age, err, _t in rows)["running"] == (timedelta(0), False)
    # a tagged batch on a seeded connection is removed too, the seed's own rows stay
    records.insert_batch(
        conn,
        result.active_connection_ids[0],
        ["success"],
        when,
        tag="t-fault",
        operation_types=["pricing_update"],
    )
    before = conn.execute("SELECT count(*) FROM channel_sync_logs").fetchone()[0]
    assert records.delete_tagged(conn, "t-fault") == {"sync_logs": 4, "connections": 1}
    assert conn.execute("SELECT count(*) FROM channel_sync_logs").fetchone()[0] == before - 4
    with pytest.raises(ValueError):
        records.insert_batch(conn, cid, ["success"], datetime.now())  # naive timestamp


def test_bulk_logs_stay_in_their_window_and_runbook_queries_use_indexes(seeded):
    conn, result = seeded
    assert records.seed_bulk_logs(conn, 30_001) == 30_001
    oldest, newest, n = (
        conn.execute("""SELECT min(created_at), max(created_at), count(*) FROM channel_sync_logs
                                        WHERE details->>'source' = 'lab_bulk'""").fetchone()
    )
    now = datetime.now(UTC)
    assert n == 30_001 and now - oldest < timedelta(days=89) and now - newest >= timedelta(days=1)
    batch_sizes = conn.execute("""SELECT count(*) FROM channel_sync_logs WHERE details->>'source' = 'lab_bulk'
                                  GROUP BY batch_id""").fetchall()
    assert sorted({s for (s,) in batch_sizes}) in ([3], [2, 3], [1, 3])  # only the last batch may be partial
    retention = "SELECT count(*) FROM channel_sync_logs WHERE created_at < now() - interval '90 days'"
    stale = (
        "SELECT count(*) FROM channel_sync_logs WHERE status IN ('triggered', 'queued', 'running') "
        "AND COALESCE(updated_at, created_at) < now() - interval '60 minutes'"
    )
    for query in (retention, stale):
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + query).fetchall())
        assert "Index" in plan and "Seq Scan" not in plan, plan
    assert conn.execute(retention).fetchone()[0] == 0
