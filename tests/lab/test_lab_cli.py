"""The lab as a product: its CLI, idempotent up, status, faults list, break/heal idempotence, deploy."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.lab.conftest import ROOT, status_json

pytestmark = [pytest.mark.lab]


def pms_lab(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lab", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_up_is_idempotent_and_keeps_running_containers(lab_state):
    import docker

    client = docker.from_env()
    before = {c.name: c.id for c in client.containers.list(filters={"label": "pms-lab"})}
    run = pms_lab("up")
    assert run.returncode == 0, run.stderr
    assert "ready in" in run.stdout and "http://127.0.0.1:" in run.stdout
    after = {c.name: c.id for c in client.containers.list(filters={"label": "pms-lab"})}
    assert after == before


def test_up_restarts_a_stopped_stack(lab_state):
    import docker

    client = docker.from_env()
    for name in ("pms-admin", "supabase-redis"):
        client.containers.get(name).stop(timeout=5)
    run = pms_lab("up")
    assert run.returncode == 0, run.stderr
    assert all(client.containers.get(n).status == "running" for n in ("pms-admin", "supabase-redis"))


def test_status_json_names_endpoints_credentials_and_topology(lab_state):
    status = status_json()
    assert status["api_url"].startswith("http://127.0.0.1:") and status["admin_url"].startswith("http://127.0.0.1:")
    assert status["db_dsn"].startswith("postgresql://pms_runbook_ro:")
    assert status["commit"] == lab_state.commit and status["faults"] == []
    assert status["anon_key"] and status["admin_email"] and status["admin_password"]
    assert status["networks"] == ["coolify", "bccg4gs4o4kgsowocw08wkw4"]
    running = {c["name"] for c in status["containers"].values() if c["state"] == "running"}
    assert running == {"supabase-db", "supabase-redis", "supabase-auth", "pms-backend", "pms-worker-v2", "pms-admin",
                       "pms-public-website", "coolify-proxy"}
    assert status["public_url"].startswith("http://127.0.0.1:")
    # The edge (issue 12): its hosts, their pinned resolution and the lab CA the suite verifies against.
    assert status["edge_url"] == status["edge_api_url"] == "https://api.pms.lab.test"
    assert Path(status["edge_ca"]).is_file() and "api.pms.lab.test:443=127.0.0.1:" in status["edge_resolve"]
    assert status["containers"]["backend"]["networks"] == ["bccg4gs4o4kgsowocw08wkw4", "coolify"]
    assert status["containers"]["redis"]["networks"] == ["coolify"]
    assert {c["source_commit"] for r, c in status["containers"].items() if r in ("backend", "worker", "admin")} \
        == {lab_state.commit}


def test_faults_lists_each_fault_with_what_it_breaks_and_its_red_flags():
    from lab.faults import FAULTS

    run = pms_lab("faults")
    lines = {line.split()[0]: line for line in run.stdout.strip().splitlines()}
    assert run.returncode == 0 and len(lines) == len(FAULTS) and set(lines) == set(FAULTS)
    assert all(len(line.split()) > 3 for line in lines.values())
    # red-flags.md's "lab fault" column: D3.1 and D1.5 name old-worker-running, D1.2 admin-missing
    assert lines["old-worker-running"].endswith("[red flags: D1.5, D2.5, D3.1, D3.2]"), lines["old-worker-running"]
    assert lines["admin-missing"].endswith("[red flags: D1.2]"), lines["admin-missing"]


def test_unknown_fault_is_refused():
    run = pms_lab("break", "no-such-fault")
    assert run.returncode == 2 and "unknown fault" in run.stderr


def test_break_and_heal_are_idempotent(healed_lab):
    import psycopg

    def old_rows() -> int:
        with psycopg.connect(healed_lab.host_dsn(readonly=True)) as conn:
            return conn.execute("SELECT count(*) FROM channel_sync_logs WHERE created_at < now() - interval '90 days'"
                                ).fetchone()[0]

    assert old_rows() == 0
    first = pms_lab("break", "old-sync-logs")
    assert first.returncode == 0
    once = old_rows()
    second = pms_lab("break", "old-sync-logs")
    assert second.returncode == 0
    assert old_rows() == once > 0
    assert "old-sync-logs" in status_json()["faults"]
    healed, again = pms_lab("heal", "old-sync-logs"), pms_lab("heal", "old-sync-logs")
    assert healed.returncode == again.returncode == 0
    assert old_rows() == 0 and status_json()["faults"] == []
    # Each says what it changed: the rows it added and removed, and nothing the second time.
    assert f"table channel_sync_logs: +{once} rows" in first.stdout, first.stdout
    assert f"table channel_sync_logs: -{once} rows" in healed.stdout, healed.stdout
    assert "nothing changed" in second.stdout and "nothing changed" in again.stdout, second.stdout + again.stdout


def test_break_and_heal_name_the_containers_and_networks_they_changed(healed_lab):
    broke = pms_lab("break", "db-network-disconnect")
    assert broke.returncode == 0, broke.stderr
    assert f"network {healed_lab.supabase_network}: pms-backend left" in broke.stdout, broke.stdout
    healed = pms_lab("heal")
    assert healed.returncode == 0, healed.stderr
    assert "healed db-network-disconnect" in healed.stdout, healed.stdout
    assert f"network {healed_lab.supabase_network}: pms-backend joined" in healed.stdout, healed.stdout
    broke = pms_lab("break", "worker-stopped")
    assert "container pms-worker-v2: running -> exited" in broke.stdout, broke.stdout
    assert "container pms-worker-v2: exited -> running" in pms_lab("heal", "worker-stopped").stdout


def test_deploy_recreates_pms_containers_with_the_new_commit(healed_lab):
    original = healed_lab.commit
    new = "ab12cd34" * 5
    try:
        run = pms_lab("deploy", "--commit", new, timeout=240)
        assert run.returncode == 0, run.stderr
        status = status_json()
        assert {status["containers"][r]["source_commit"] for r in ("backend", "worker", "admin")} == {new}
        version = httpx.get(f"{status['api_url']}/api/v1/ops/version", timeout=5).json()
        assert version["source_commit"] == new
    finally:
        assert pms_lab("deploy", "--commit", original, timeout=240).returncode == 0
    assert status_json()["commit"] == original


def test_logs_prints_a_container_log(lab_state):
    run = pms_lab("logs", "worker", "--tail", "200")
    assert run.returncode == 0 and "celery@" in run.stdout
