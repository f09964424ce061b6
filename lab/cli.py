"""pms-lab: run the reference PMS stack, healthy or broken on purpose.

    pms-lab up [--connections N] [--network-model v1|v2]   start (or adopt) the stack, wait until ready
    pms-lab down [--volumes]         remove containers and networks (and the data, with --volumes)
    pms-lab status [--json]          endpoints, DSN, containers, networks, commit, active faults
    pms-lab faults                   every fault, with one line of what it breaks
    pms-lab break FAULT              inject a fault and wait until its symptom is real
    pms-lab heal [FAULT]             heal one fault, or all of them
    pms-lab deploy --commit SHA      redeploy the PMS containers with a new SOURCE_COMMIT
    pms-lab logs NAME [--tail N]     a container's log
    pms-lab seed-logs ROWS [--min-age-days D --max-age-days D]   bulk sync-log rows, for benchmarks
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from lab.state import LabState


def _print_endpoints(status: dict) -> None:
    print(f"API        {status['api_url']}")
    print(f"admin      {status['admin_url']}")
    print(f"auth (SB)  {status['auth_url']}")
    print(f"DB (ro)    postgresql://pms_runbook_ro@{status['db_dsn'].rsplit('@', 1)[1]}")
    print(f"commit     {status['commit']}")
    print(f"networks   model {status.get('network_model', 'v1')}")
    print(f"faults     {', '.join(status['faults']) or 'none'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pms-lab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="start the lab and wait until it is ready")
    p_up.add_argument("--connections", type=int, help="channel connections to seed on a fresh lab (default 8)")
    p_up.add_argument("--network-model", choices=("v1", "v2"),
                      help="v1: backend and worker on coolify and the Supabase network (checklist); v2: PMS on "
                           "coolify only, supabase-db aliased into coolify (March); default: keep the current one")
    p_down = sub.add_parser("down", help="remove the lab's containers and networks")
    p_down.add_argument("--volumes", action="store_true", help="also delete the lab's data and secrets")
    p_status = sub.add_parser("status", help="what runs and where")
    p_status.add_argument("--json", action="store_true")
    sub.add_parser("faults", help="list the faults")
    p_break = sub.add_parser("break", help="inject a fault")
    p_break.add_argument("fault")
    p_heal = sub.add_parser("heal", help="heal one fault or all")
    p_heal.add_argument("fault", nargs="?")
    p_deploy = sub.add_parser("deploy", help="redeploy backend, worker and admin with a new commit")
    p_deploy.add_argument("--commit", required=True)
    p_logs = sub.add_parser("logs", help="a container's log")
    p_logs.add_argument("name")
    p_logs.add_argument("--tail", type=int, default=100)
    p_bulk = sub.add_parser("seed-logs", help="insert bulk sync-log rows (benchmarks)")
    p_bulk.add_argument("rows", type=int)
    p_bulk.add_argument("--min-age-days", type=int, default=1)
    p_bulk.add_argument("--max-age-days", type=int, default=89)
    args = parser.parse_args(argv)

    from lab import containers, faults, stack, topology

    if args.cmd == "faults":
        for fault in faults.FAULTS.values():
            print(f"{fault.name:24} {fault.summary}")
        return 0
    if args.cmd == "up":
        t0 = time.monotonic()
        state = stack.up(connections=args.connections, network_model=args.network_model)
        _print_endpoints(stack.status(state))
        print(f"ready in {time.monotonic() - t0:.1f}s")
        return 0
    if args.cmd == "down":
        stack.down(volumes=args.volumes)
        return 0
    if not LabState.exists():
        print("pms-lab: no lab here yet; run `pms-lab up` first", file=sys.stderr)
        return 2
    state = LabState.load()
    if args.cmd == "status":
        status = stack.status(state)
        if args.json:
            print(json.dumps(status, indent=2))
        else:
            _print_endpoints(status)
            for c in status["containers"].values():
                print(f"  {c['name']:16} {c['state']:10} {' '.join(c.get('networks', []))}")
        return 0
    if args.cmd == "break":
        if args.fault not in faults.FAULTS:
            print(f"pms-lab: unknown fault {args.fault!r}; see `pms-lab faults`", file=sys.stderr)
            return 2
        faults.inject(state, args.fault)
        return 0
    if args.cmd == "heal":
        if args.fault and args.fault not in faults.FAULTS:
            print(f"pms-lab: unknown fault {args.fault!r}; see `pms-lab faults`", file=sys.stderr)
            return 2
        faults.heal(state, args.fault)
        return 0
    if args.cmd == "deploy":
        stack.deploy(state, args.commit)
        return 0
    if args.cmd == "logs":
        c = containers.client()
        name = topology.NAMES.get(args.name, args.name)
        container = containers.find(c, name)
        if container is None:
            print(f"pms-lab: no container {name}", file=sys.stderr)
            return 2
        sys.stdout.write(container.logs(tail=args.tail).decode(errors="replace"))
        return 0
    if args.cmd == "seed-logs":
        from lab import records

        with stack.db_connect(state) as conn:
            records.seed_bulk_logs(conn, args.rows, min_age_days=args.min_age_days, max_age_days=args.max_age_days)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
