"""The lab's lifecycle: bring it up (networks, containers, migrations, seed), wait until it is ready,
redeploy, take it down, and report what runs.

Where things are is lab.topology; how each container is run, lab.containers.
"""
from __future__ import annotations

import os
import shutil
import sys
import time

import httpx

from lab import containers, edge, image, webapp
from lab.containers import client, find
from lab.state import REPO_ROOT, LabState
from lab.topology import LABEL, NAMES, READONLY_ROLE, START_ORDER


def prepare_home(state: LabState) -> None:
    home = state.home
    (home / "secrets").mkdir(parents=True, exist_ok=True)
    pgpass = home / "secrets" / "pgpass"
    pgpass.write_text(state.secrets.db_password + "\n")
    os.chown(pgpass, 999, 999)
    os.chmod(pgpass, 0o600)
    pgdata = home / "pgdata"
    pgdata.mkdir(exist_ok=True)
    os.chown(pgdata, 999, 999)
    os.chmod(pgdata, 0o700)
    frontend = home / "frontend"
    if not frontend.exists():
        shutil.copytree(REPO_ROOT / "lab" / "frontend", frontend)


def wait_for_db(state: LabState, timeout: float = 60) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(state.host_dsn(), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"pms-lab: supabase-db not accepting connections after {timeout:.0f}s: {exc}") from None
            time.sleep(0.3)


def db_connect(state: LabState):
    import psycopg

    return psycopg.connect(state.host_dsn(), connect_timeout=5, autocommit=True)


def migrate_and_seed(state: LabState) -> None:
    from lab import migrate, seed

    with db_connect(state) as conn:
        migrate.apply(conn)
        migrate.ensure_readonly_role(conn, READONLY_ROLE, state.secrets.readonly_password)
        if state.seeded and state.seed_version < seed.SEED_VERSION:
            seed.reset(conn)  # an older seed's shape (e.g. one agency fewer): seed again
            state.seeded = False
        if not state.seeded:
            seed.seed(conn, admin_user_id=state.secrets.admin_user_id, connections=state.connections)
            state.seeded, state.seed_version = True, seed.SEED_VERSION
            state.save()


def readiness(state: LabState, timeout: float = 5.0) -> tuple[int, dict]:
    try:
        r = httpx.get(f"{state.api_url}/health/ready", timeout=timeout)
        return r.status_code, (r.json() if r.content else {})
    except (httpx.HTTPError, ValueError) as exc:
        return 0, {"error": str(exc)}


def wait_until(predicate, timeout: float, interval: float = 0.3, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"pms-lab: timed out after {timeout:.0f}s waiting for {what}")


def healthy(state: LabState) -> bool:
    code, body = readiness(state)
    workers = (((body.get("components") or {}).get("celery") or {}).get("details") or {}).get("workers")
    return code == 200 and isinstance(workers, list) and len(workers) == 1


def wait_healthy(state: LabState, timeout: float = 90) -> None:
    wait_until(lambda: healthy(state), timeout, what="/health/ready 200 with exactly one worker")


def wait_edge(state: LabState, timeout: float = 30) -> None:
    """Until coolify-proxy serves every host again (the suite goes through it): a recreated backend is out of
    rotation until the proxy's next health check passes."""
    from lab import edge

    wait_until(lambda: edge.serving(state), timeout, interval=0.5, what="coolify-proxy serving api, admin and fewo")


def up(state: LabState | None = None, *, connections: int | None = None, network_model: str | None = None,
       wait: bool = True) -> LabState:
    state = state or LabState.load()
    if connections:
        state.connections = connections
    if network_model:  # kept in the state: a plain `up` keeps the model in force
        state.network_model = network_model
    state.save()
    c = client()
    tag = image.ensure_image(c)
    prepare_home(state)
    containers.ensure_networks(c, state)
    svc = containers.services(state)
    data, apps = START_ORDER
    for role in data:
        containers.run(c, svc[role], tag)
    wait_for_db(state)
    migrate_and_seed(state)
    keys = webapp.ensure(state)  # the Next.js builds: nothing to do when source, lock and build env are unchanged
    for role in apps:
        if role in keys:  # a recreated frontend container is a redeploy: it starts with a fresh ISR cache
            webapp.redeploy_if_changed(c, state, role, keys[role], svc[role].spec_hash(tag))
            svc[role] = containers.services(state)[role]
        containers.run(c, svc[role], tag)
    recreate_edge(state, c, tag)
    from lab import monitoring  # Alertmanager and Pushgateway (the runbook's alerts and metrics)

    for missing in monitoring.up(c, state, tag):
        print(f"pms-lab: {missing} not installed (scripts/bootstrap): started without it", file=sys.stderr)
    if wait:
        wait_healthy(state)
        wait_until(lambda: _http_ok(f"{state.admin_url}/api/ops/version") and _http_ok(f"{state.auth_url}/auth/v1/health")
                   and _http_ok(f"{state.public_url}/robots.txt"), 30, what="admin, public website and auth gateway")
        # The deploy's smoke of the public site: /unterkuenfte rendered now (the API is up) is what ISR keeps.
        # The site renders per host (/sites/<host>/...): its public host (the suite's, through the proxy) and the port.
        wait_until(lambda: webapp.site_status(state, "/unterkuenfte") == 200, 30, what="the public site's /unterkuenfte")
        wait_edge(state)
    return state


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def down(*, volumes: bool = False) -> None:
    c = client()
    for container in c.containers.list(all=True, filters={"label": LABEL}):
        container.remove(force=True)
    for net in c.networks.list(filters={"label": LABEL}):
        net.remove()
    if volumes:
        home = LabState.load().home
        shutil.rmtree(home, ignore_errors=True)


def recreate(state: LabState, roles: tuple[str, ...], **kwargs) -> None:
    """Recreate PMS containers the way a Coolify redeploy does (new container, same name)."""
    c = client()
    tag = image.ensure_image(c)
    svc = containers.services(state, **kwargs)
    for role in roles:
        containers.run(c, svc[role], tag)


def recreate_edge(state: LabState, c=None, tag: str | None = None) -> None:
    """coolify-proxy: its CA, certificates and Caddyfile under .lab/edge/, and its container (kept when unchanged)."""
    c = c or client()
    edge.prepare(state)
    containers.run(c, edge.service(state), tag or image.ensure_image(c))


def deploy(state: LabState, commit: str) -> None:
    """A Coolify redeploy of backend, then worker, then admin, with a new SOURCE_COMMIT."""
    state.commit = commit
    state.save()
    recreate(state, ("backend",))
    wait_until(lambda: _http_ok(f"{state.api_url}/health"), 60, what="pms-backend /health")
    recreate(state, ("worker", "admin"))
    wait_healthy(state)


def status(state: LabState | None = None) -> dict:
    state = state or LabState.load()
    c = client()
    found = {}
    for role, name in NAMES.items():
        ct = find(c, name)
        if ct is None:
            found[role] = {"name": name, "state": "missing"}
            continue
        ct.reload()
        st = ct.attrs["State"]
        found[role] = {
            "name": name, "state": st["Status"], "restart_count": ct.attrs.get("RestartCount", 0),
            "networks": sorted(ct.attrs["NetworkSettings"]["Networks"]),
            "source_commit": next((e.split("=", 1)[1] for e in ct.attrs["Config"]["Env"] or []
                                   if e.startswith("SOURCE_COMMIT=")), None),
        }
    proxy = find(c, edge.PROXY)
    found_proxy = {"name": edge.PROXY, "state": proxy.status if proxy is not None else "missing"}
    from lab import monitoring

    return {
        **state.connection_info(),
        **monitoring.urls(),  # alertmanager_url, pushgateway_url
        "containers": found,
        "edge": found_proxy,
        "network_model": state.network_model,
        "ready": healthy(state) if found["backend"]["state"] == "running" else False,
    }
