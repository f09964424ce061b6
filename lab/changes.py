"""What a `pms-lab break` or `heal` changed: the lab looked at before and after, and the difference in words.

Looked at, not declared by each fault: what is printed is what really changed (containers created,
removed, stopped, started or restarting, networks joined or left, rows, columns, row-level security,
files of the frontend tree), also when a fault was already injected and nothing did.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lab.state import LabState
from lab.topology import LABEL

TABLES = ("agencies", "team_members", "channel_connections", "channel_sync_logs", "pms_schema_migrations")


@dataclass
class Snapshot:
    containers: dict[str, dict] = field(default_factory=dict)  # name -> id, status, restarts, networks, commit
    rows: dict[str, int] = field(default_factory=dict)  # table -> row count
    columns: dict[str, int] = field(default_factory=dict)  # table -> column count
    rls: set[str] = field(default_factory=set)  # tables with row-level security on
    policies: set[str] = field(default_factory=set)  # "table: policy"
    files: set[str] = field(default_factory=set)  # the frontend tree, relative paths
    db_error: str | None = None


def _container_view(ct) -> dict:
    env = ct.attrs["Config"].get("Env") or []
    return {
        "id": ct.id[:12],
        "status": ct.attrs["State"]["Status"],
        "restarts": ct.attrs.get("RestartCount", 0),
        "networks": sorted(ct.attrs["NetworkSettings"]["Networks"]),
        "commit": next((e.split("=", 1)[1] for e in env if e.startswith("SOURCE_COMMIT=")), None),
    }


def snapshot(state: LabState) -> Snapshot:
    import psycopg

    from lab import containers, stack

    snap = Snapshot()
    for ct in containers.client().containers.list(all=True, filters={"label": LABEL}):
        snap.containers[ct.name] = _container_view(ct)
    try:
        with stack.db_connect(state) as conn:
            counts = conn.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM public.{t})" for t in TABLES)).fetchone()
            snap.rows = dict(zip(TABLES, counts, strict=True))
            snap.columns = dict(conn.execute(
                "SELECT table_name, count(*) FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = ANY(%s) GROUP BY table_name", (list(TABLES),)).fetchall())
            snap.rls = {r[0] for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity")}
            snap.policies = {f"{r[0]}: {r[1]}" for r in conn.execute(
                "SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public'")}
    except psycopg.Error as exc:  # a stopped database is a state to report, not a crash
        snap.db_error = type(exc).__name__
    frontend = state.home / "frontend"
    if frontend.is_dir():
        snap.files = {str(p.relative_to(frontend)) for p in frontend.rglob("*") if p.is_file()}
    return snap


def _container_lines(name: str, old: dict | None, new: dict | None) -> list[str]:
    if old is None:
        return [f"container {name}: created ({new['status']})"]
    if new is None:
        return [f"container {name}: removed"]
    lines = []
    if old["id"] != new["id"]:
        commit = f", SOURCE_COMMIT {new['commit'] or '(unset)'}" if old["commit"] != new["commit"] else ""
        restarts = f", {new['restarts']} restarts" if new["restarts"] else ""
        lines.append(f"container {name}: recreated ({new['status']}{commit}{restarts})")
    elif old["status"] != new["status"]:
        lines.append(f"container {name}: {old['status']} -> {new['status']}")
    if new["restarts"] > old["restarts"] and old["id"] == new["id"]:
        lines.append(f"container {name}: restarted {new['restarts'] - old['restarts']} time(s)")
    for net in sorted(set(new["networks"]) - set(old["networks"])):
        lines.append(f"network {net}: {name} joined")
    for net in sorted(set(old["networks"]) - set(new["networks"])):
        lines.append(f"network {net}: {name} left")
    return lines


def describe(before: Snapshot, after: Snapshot) -> list[str]:
    """The changes from `before` to `after`, one line each, containers first."""
    lines: list[str] = []
    for name in sorted(set(before.containers) | set(after.containers)):
        lines += _container_lines(name, before.containers.get(name), after.containers.get(name))
    if before.db_error or after.db_error:
        if before.db_error != after.db_error:
            lines.append(f"database: {'unreachable' if after.db_error else 'reachable again'}")
        return lines + _file_lines(before, after)
    for table in TABLES:
        old, new = before.rows.get(table), after.rows.get(table)
        if old != new:
            lines.append(f"table {table}: {new - old:+d} rows ({old} -> {new})")
        old, new = before.columns.get(table), after.columns.get(table)
        if old != new:
            lines.append(f"table {table}: {old} -> {new} columns")
    lines += [f"table {t}: row-level security on" for t in sorted(after.rls - before.rls)]
    lines += [f"table {t}: row-level security off" for t in sorted(before.rls - after.rls)]
    lines += [f"policy {p} created" for p in sorted(after.policies - before.policies)]
    lines += [f"policy {p} dropped" for p in sorted(before.policies - after.policies)]
    return lines + _file_lines(before, after)


def _file_lines(before: Snapshot, after: Snapshot) -> list[str]:
    return ([f"frontend: {f} added" for f in sorted(after.files - before.files)]
            + [f"frontend: {f} removed" for f in sorted(before.files - after.files)])
