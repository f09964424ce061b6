"""pms-lab: run the reference PMS stack, healthy or broken on purpose.

    pms-lab up [--connections N] [--network-model v1|v2]   start (or adopt) the stack, wait until ready
    pms-lab down [--volumes]         remove containers and networks (and the data, with --volumes)
    pms-lab status [--json]          endpoints, DSN, containers, networks, commit, active faults
    pms-lab faults                   every fault, what it breaks and the red flags it turns on
    pms-lab break FAULT              inject a fault, wait until its symptom is real, say what changed
    pms-lab heal [FAULT]             heal one fault, or all of them, and say what changed
    pms-lab deploy --commit SHA      redeploy the PMS containers with a new SOURCE_COMMIT
    pms-lab logs NAME [--tail N]     a container's log
    pms-lab seed-logs ROWS [--min-age-days D --max-age-days D]   bulk sync-log rows, for benchmarks

Exit codes: 0 done, 2 usage (unknown fault, no lab yet, no such container).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from lab.state import LabState
from pms_runbook import catalogue


def _print_endpoints(status: dict) -> None:
    print(f"API        {status['api_url']}")
    print(f"admin      {status['admin_url']}")
    print(f"auth (SB)  {status['auth_url']}")
    print(f"DB (ro)    postgresql://pms_runbook_ro@{status['db_dsn'].rsplit('@', 1)[1]}")
    print(f"commit     {status['commit']}")
    print(f"networks   model {status.get('network_model', 'v1')}")
    print(f"faults     {', '.join(status['faults']) or 'none'}")


def cmd_faults(args) -> int:
    from lab import faults

    for fault in faults.FAULTS.values():
        flags = ", ".join(catalogue.flags_for_fault(fault.name)) or "none listed"
        print(f"{fault.name:30} {fault.summary}  [red flags: {flags}]")
    return 0


def cmd_up(args) -> int:
    from lab import stack

    t0 = time.monotonic()
    state = stack.up(connections=args.connections, network_model=args.network_model)
    _print_endpoints(stack.status(state))
    print(f"ready in {time.monotonic() - t0:.1f}s")
    return 0


def cmd_down(args) -> int:
    from lab import stack

    stack.down(volumes=args.volumes)
    return 0


def cmd_status(args, state: LabState) -> int:
    from lab import stack

    status = stack.status(state)
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    _print_endpoints(status)
    for c in status["containers"].values():
        print(f"  {c['name']:16} {c['state']:10} {' '.join(c.get('networks', []))}")
    return 0


def _unknown_fault(name: str | None) -> bool:
    from lab import faults

    if name is None or name in faults.FAULTS:
        return False
    print(f"pms-lab: unknown fault {name!r}; see `pms-lab faults`", file=sys.stderr)
    return True


def _reporting(verb: str, names: list[str], state: LabState, action) -> int:
    """Run a break or heal and print what it changed in the lab."""
    from lab import changes

    before = changes.snapshot(state)
    action()
    lines = changes.describe(before, changes.snapshot(state))
    print(f"pms-lab: {verb} {', '.join(names) or 'nothing (no fault was injected)'}")
    for line in lines or ["nothing changed (it was so already)"]:
        print(f"  {line}")
    return 0


def cmd_break(args, state: LabState) -> int:
    from lab import faults

    if _unknown_fault(args.fault):
        return 2
    return _reporting("broke", [args.fault], state, lambda: faults.inject(state, args.fault))


def cmd_heal(args, state: LabState) -> int:
    from lab import faults

    if _unknown_fault(args.fault):
        return 2
    names = [args.fault] if args.fault else list(state.faults)
    return _reporting("healed", names, state, lambda: faults.heal(state, args.fault))


def cmd_deploy(args, state: LabState) -> int:
    from lab import stack

    stack.deploy(state, args.commit)
    return 0


def cmd_logs(args, state: LabState) -> int:
    from lab import containers
    from lab.topology import NAMES

    name = NAMES.get(args.name, args.name)
    container = containers.find(containers.client(), name)
    if container is None:
        print(f"pms-lab: no container {name}", file=sys.stderr)
        return 2
    sys.stdout.write(container.logs(tail=args.tail).decode(errors="replace"))
    return 0


def cmd_seed_logs(args, state: LabState) -> int:
    from lab import records, stack

    with stack.db_connect(state) as conn:
        records.seed_bulk_logs(conn, args.rows, min_age_days=args.min_age_days, max_age_days=args.max_age_days)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pms-lab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def command(name: str, func, help: str, *, needs_lab: bool = True) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help)
        sp.set_defaults(func=func, needs_lab=needs_lab)
        return sp

    up = command("up", cmd_up, "start the lab and wait until it is ready", needs_lab=False)
    up.add_argument("--connections", type=int, help="channel connections to seed on a fresh lab (default 8)")
    up.add_argument("--network-model", choices=("v1", "v2"),
                    help="v1: backend and worker on coolify and the Supabase network (checklist); v2: PMS on "
                         "coolify only, supabase-db aliased into coolify (March); default: keep the current one")
    down = command("down", cmd_down, "remove the lab's containers and networks", needs_lab=False)
    down.add_argument("--volumes", action="store_true", help="also delete the lab's data and secrets")
    command("status", cmd_status, "what runs and where").add_argument("--json", action="store_true")
    command("faults", cmd_faults, "list the faults and the red flags they turn on", needs_lab=False)
    command("break", cmd_break, "inject a fault and say what changed").add_argument("fault")
    command("heal", cmd_heal, "heal one fault or all and say what changed").add_argument("fault", nargs="?")
    command("deploy", cmd_deploy, "redeploy backend, worker and admin with a new commit").add_argument(
        "--commit", required=True)
    logs = command("logs", cmd_logs, "a container's log")
    logs.add_argument("name")
    logs.add_argument("--tail", type=int, default=100)
    bulk = command("seed-logs", cmd_seed_logs, "insert bulk sync-log rows (benchmarks)")
    bulk.add_argument("rows", type=int)
    bulk.add_argument("--min-age-days", type=int, default=1)
    bulk.add_argument("--max-age-days", type=int, default=89)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.needs_lab:
        return args.func(args)
    if not LabState.exists():
        print("pms-lab: no lab here yet; run `pms-lab up` first", file=sys.stderr)
        return 2
    return args.func(args, LabState.load())


if __name__ == "__main__":
    sys.exit(main())
