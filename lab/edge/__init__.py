"""The lab's edge: `coolify-proxy`, Debian's Caddy in the runtime image, in front of the PMS as Coolify's Traefik
is in production: TLS with the lab CA's certificates (lab.edge.certs), routing by host name (lab.topology
EDGE_ROUTES), HTTP redirected to HTTPS, HSTS on the admin host (contract §10.4), and an upstream that fails its
health check taken out of rotation, so the host answers 503 (Traefik: "no available server", §9 #23).

Caddy checks each upstream with the request its container's HEALTHCHECK makes (127.0.0.1 there, the container's
name here: GET /health for the API, GET /api/ops/version for the admin, contract §1.4).
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from lab.topology import EDGE_CONTAINER_PORTS, EDGE_ROUTES, PROXY

HSTS = "max-age=31536000; includeSubDomains"
HEALTH_INTERVAL = "2s"
# The proxy's own error page, with the status it writes (no healthy upstream: "503 ...: no upstreams available").
ERROR_PAGE = '"{err.status_code} {err.status_text}: {err.message}" {err.status_code}'


def home(state) -> Path:
    return state.home / "edge"


def caddy_binary() -> Path:
    path = shutil.which("caddy")
    if not path:
        raise RuntimeError("caddy not found: run scripts/bootstrap (Debian package caddy)")
    return Path(path)


def caddyfile() -> str:
    https, http = EDGE_CONTAINER_PORTS["https"], EDGE_CONTAINER_PORTS["http"]
    lines = ["{", "\tauto_https off", "\tadmin off", "}", ""]
    for host, (upstream, port, health) in EDGE_ROUTES.items():
        lines += [f"https://{host}:{https} {{", f"\ttls /run/edge/{host}.pem /run/edge/{host}.key"]
        if host.startswith("admin."):
            lines.append(f'\theader Strict-Transport-Security "{HSTS}"')
        # The suite's requests come through Docker's published port (the bridge's gateway): trusted like
        # Traefik's forwardedHeaders.trustedIPs, so an X-Forwarded-Host they send reaches the backend.
        lines += [f"\treverse_proxy {upstream}:{port} {{", "\t\ttrusted_proxies private_ranges"]
        if health:
            lines += [f"\t\thealth_uri {health}", f"\t\thealth_interval {HEALTH_INTERVAL}", "\t\thealth_timeout 2s",
                      "\t\thealth_status 200"]
        lines += ["\t}", "\thandle_errors {", f"\t\trespond {ERROR_PAGE}", "\t}", "}", ""]
    names = ", ".join(f"http://{h}:{http}" for h in EDGE_ROUTES)
    lines += [f"{names} {{", "\tredir https://{host}{uri} 308", "}", ""]
    return "\n".join(lines)


def prepare(state) -> Path:
    """The CA, a healthy leaf per host (unless one is there), and the Caddyfile, under `.lab/edge/`."""
    from lab.edge import certs

    edge = home(state)
    certs.ensure_ca(edge)
    for host in EDGE_ROUTES:
        if not (edge / f"{host}.pem").exists():
            certs.write_leaf(edge, host)
    (edge / "Caddyfile").write_text(caddyfile())
    return edge


def service(state):
    from lab.containers import Service

    https, http = EDGE_CONTAINER_PORTS["https"], EDGE_CONTAINER_PORTS["http"]
    return Service(
        role="proxy", name=PROXY,
        command=[str(caddy_binary()), "run", "--config", "/run/edge/Caddyfile", "--adapter", "caddyfile"],
        networks=[state.coolify_network],
        # The config's digest is part of the spec: a changed Caddyfile recreates the proxy on `up`.
        env={"HOME": "/tmp", "XDG_DATA_HOME": "/tmp", "XDG_CONFIG_HOME": "/tmp",
             "PMS_LAB_EDGE_CONFIG": hashlib.sha256(caddyfile().encode()).hexdigest()[:16]},
        ports={f"{https}/tcp": ("127.0.0.1", state.ports.edge_https), f"{http}/tcp": ("127.0.0.1", state.ports.edge_http)},
        mounts={"/usr": {"bind": "/usr", "mode": "ro"}, str(home(state)): {"bind": "/run/edge", "mode": "ro"}},
        working_dir="/tmp",
    )


def _probes(state) -> list[tuple[str, str, str]]:
    """(host, its direct base URL, the path its HEALTHCHECK asks; the site's robots.txt) for each edge host."""
    from lab.topology import EDGE_ROUTES, NAMES, PUBLIC_WEBSITE

    direct = {NAMES["backend"]: state.api_url, NAMES["admin"]: state.admin_url, PUBLIC_WEBSITE: state.public_url}
    return [(host, direct[container], path or "/robots.txt") for host, (container, _, path) in EDGE_ROUTES.items()]


def _through(client, state, host: str, path: str):
    """GET `path` of `host` through coolify-proxy, as the suite reaches it: SNI and Host of the name."""
    return client.get(f"https://127.0.0.1:{state.ports.edge_https}{path}", headers={"Host": host},
                      extensions={"sni_hostname": host})


def serving(state) -> bool:
    """Each host answers through coolify-proxy as the suite reaches it (TLS by the lab CA): the proxy's active
    health checks (every 2 s) have taken a recreated upstream back into rotation."""
    import ssl

    import httpx

    ca = home(state) / "ca.pem"
    if not ca.exists():
        return True  # no edge in this lab: nothing to wait for
    with httpx.Client(verify=ssl.create_default_context(cafile=str(ca)), timeout=2) as client:
        try:
            return all(_through(client, state, host, path).status_code == 200 for host, _, path in _probes(state))
        except httpx.HTTPError:
            return False


def out_of_rotation(state) -> list[str]:
    """The hosts whose container answers on its own port while the proxy still has no server for it (its
    health check has not yet taken a redeployed upstream back): a deploy that has not settled at the edge."""
    import httpx

    waiting = []
    with httpx.Client(verify=False, timeout=2) as client:  # only whether the proxy has a server, not its certificate
        for host, base, path in _probes(state):
            try:
                if client.get(f"{base}{path}").status_code != 200:
                    continue  # the container itself does not serve: nothing for the proxy to take back
                r = _through(client, state, host, path)
            except httpx.HTTPError:
                continue
            if r.status_code in (502, 503) and b"upstream" in r.content:
                waiting.append(host)
    return waiting
