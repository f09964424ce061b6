"""The lab's code itself, without a stack: topology, no import cycle, module sizes, what `break`/`heal` report,
the red flags `pms-lab faults` names."""
from __future__ import annotations

from lab import changes, cli, topology
from lab.state import LabState
from pms_runbook import catalogue
from tests import shape

LAB = shape.ROOT / "lab"
ORCHESTRATION = sorted(p for p in LAB.rglob("*.py") if "services" not in p.relative_to(LAB).parts)


def test_lab_modules_import_each_other_without_a_cycle():
    graph = shape.graph(ORCHESTRATION, {"lab"})
    assert graph["lab.state"] >= {"lab.topology"} and "lab.stack" not in graph["lab.state"]
    assert shape.cycle(graph) is None


def test_no_lab_module_is_over_400_lines():
    assert shape.long_modules(LAB) == {}


def test_topology_places_each_role_on_its_networks_per_model():
    nets = {"supabase": "sb-net", "coolify": "cf-net"}
    assert topology.networks("backend", "v1", **nets) == ["cf-net", "sb-net"]
    assert topology.networks("backend", "v2", **nets) == ["cf-net"]
    assert topology.networks("db", "v2", **nets) == ["sb-net", "cf-net"]
    assert topology.aliases("db", "v2", coolify="cf-net") == {"cf-net": ["supabase-db"]}
    assert topology.aliases("db", "v1", coolify="cf-net") == {} == topology.aliases("backend", "v2", coolify="cf-net")


def test_state_takes_names_ports_and_role_from_the_topology(monkeypatch, tmp_path):
    monkeypatch.setenv("PMS_LAB_HOME", str(tmp_path))
    monkeypatch.setenv("PMS_LAB_API_PORT", "28000")
    monkeypatch.delenv("PMS_LAB_SUPABASE_NETWORK", raising=False)
    state = LabState()
    info = state.connection_info()
    assert info["api_url"] == "http://127.0.0.1:28000" and state.ports.db == topology.PUBLISHED_PORTS["db"]
    assert info["networks"] == [topology.COOLIFY_NETWORK, topology.SUPABASE_NETWORK]
    assert info["containers"] == topology.NAMES
    assert info["db_dsn"].startswith(f"postgresql://{topology.READONLY_ROLE}:")
    assert "@supabase-redis:6379/1" in state.redis_url(1) and "@supabase-db:5432/" in state.db_url()


def _container(id_: str = "a1", status: str = "running", restarts: int = 0, networks=("coolify",), commit="c1"):
    return {"id": id_, "status": status, "restarts": restarts, "networks": list(networks), "commit": commit}


def test_describe_names_containers_networks_rows_policies_and_files():
    before = changes.Snapshot(
        containers={"pms-backend": _container(networks=("coolify", "sb")), "pms-worker-v2": _container("w1"),
                    "pms-admin": _container("ad1", commit="c1")},
        rows={"channel_sync_logs": 100}, columns={"channel_connections": 14},
        policies={"channel_sync_logs: ro_read"}, files={"app/page.tsx"})
    after = changes.Snapshot(
        containers={"pms-backend": _container(networks=("coolify",)), "pms-worker-v2": _container("w1", "exited"),
                    "pms-admin": _container("ad2", commit="c2"), "pms-worker": _container("o1")},
        rows={"channel_sync_logs": 115}, columns={"channel_connections": 12},
        policies=set(), files={"app/page.tsx", "components/X.tsx"})
    assert changes.describe(before, after) == [
        "container pms-admin: recreated (running, SOURCE_COMMIT c2)",
        "network sb: pms-backend left",
        "container pms-worker: created (running)",
        "container pms-worker-v2: running -> exited",
        "table channel_connections: 14 -> 12 columns",
        "table channel_sync_logs: +15 rows (100 -> 115)",
        "policy channel_sync_logs: ro_read dropped",
        "frontend: components/X.tsx added",
    ]
    assert changes.describe(after, after) == []


def test_describe_says_when_the_database_went_away():
    up = changes.Snapshot(rows={"agencies": 3})
    down = changes.Snapshot(db_error="OperationalError")
    assert changes.describe(up, down) == ["database: unreachable"]
    assert changes.describe(down, up) == ["database: reachable again"]


def test_pms_lab_faults_lists_the_catalogues_red_flags_of_each_fault(capsys):
    # `pms-lab faults` says what the catalogue says: one source for both the checks' words and the lab.
    assert cli.main(["faults"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert lines["old-worker-running"].endswith("[red flags: D1.5, D2.5, D3.1, D3.2]")
    assert lines["db-alias-lost"].endswith("[red flags: D5.1, D5.2, F1]")
    assert "G1" in lines["slow-ready"]
    assert all(line.endswith(f"[red flags: {', '.join(catalogue.flags_for_fault(name)) or 'none listed'}]")
               for name, line in lines.items())


def test_every_subcommand_is_dispatched_to_its_function():
    parser = cli.parser()
    for argv, func in ((["up"], cli.cmd_up), (["faults"], cli.cmd_faults), (["break", "x"], cli.cmd_break),
                       (["heal"], cli.cmd_heal), (["status", "--json"], cli.cmd_status),
                       (["deploy", "--commit", "abc"], cli.cmd_deploy), (["logs", "worker"], cli.cmd_logs),
                       (["seed-logs", "9"], cli.cmd_seed_logs), (["down", "--volumes"], cli.cmd_down)):
        assert parser.parse_args(argv).func is func, argv


def test_commands_on_a_lab_that_does_not_exist_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PMS_LAB_HOME", str(tmp_path / "none"))
    assert cli.main(["status"]) == 2 and "no lab here yet" in capsys.readouterr().err
