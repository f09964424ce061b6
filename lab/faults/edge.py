"""Faults of the edge (issue 12): the proxy's certificates, the backend's CORS and host allowlist as Coolify sets
them, a customer domain left out of the allowlist, and a backend the proxy takes out of rotation. (Redis lost,
the limiter's memory fallback: `redis-down`.)

Each breaks the real thing: the certificate files the proxy serves (then the proxy restarts, as a redeploy of
coolify-proxy does), the backend's environment (a redeploy), a row of agency_domains, the backend's process.
"""
from __future__ import annotations

import socket
import ssl

from lab import containers, edge, stack
from lab.edge import certs
from lab.faults.base import Fault, Redeploy, container
from lab.records import lab_uuid
from lab.services.backend.edge import DEFAULT_HEADERS
from lab.topology import EDGE_ROUTES, NAMES

API_HOST, ADMIN_HOST, SITE_HOST = EDGE_ROUTES


def _served(state, host: str) -> bytes | None:
    """The DER of the leaf the proxy presents for `host` (SNI), or None while it does not answer."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection(("127.0.0.1", state.ports.edge_https), timeout=2) as sock, \
                ctx.wrap_socket(sock, server_hostname=host) as tls:
            return tls.getpeercert(binary_form=True)
    except OSError:
        return None


def _on_file(state, host: str) -> bytes:
    pem = (edge.home(state) / f"{host}.pem").read_text()
    return ssl.PEM_cert_to_DER_cert(pem.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n")


def reload_proxy(state, host: str) -> None:
    """Restart coolify-proxy (it reads its certificates at start) and wait until it serves the file's leaf."""
    proxy = containers.find(containers.client(), NAMES["proxy"])
    if proxy is None:
        stack.recreate_edge(state)
    else:
        proxy.restart(timeout=5)
    want = _on_file(state, host)
    stack.wait_until(lambda: _served(state, host) == want, 20, what=f"coolify-proxy to serve the new certificate of {host}")


class EdgeDefaultCert(Fault):
    name = "edge-default-cert"
    summary = "coolify-proxy serves its default self-signed certificate (TRAEFIK DEFAULT CERT) for the API host"

    def inject(self, state):
        certs.write_leaf(edge.home(state), API_HOST, self_signed_cn=certs.DEFAULT_CERT_CN)
        reload_proxy(state, API_HOST)

    def heal(self, state):
        if not certs.leaf_is_healthy(edge.home(state), API_HOST):
            certs.write_leaf(edge.home(state), API_HOST)
            reload_proxy(state, API_HOST)


class EdgeCertExpiring(Fault):
    name = "edge-cert-expiring"
    summary = "the admin host's certificate expires in 3 days (renewal failed)"

    def inject(self, state):
        certs.write_leaf(edge.home(state), ADMIN_HOST, days=3)
        reload_proxy(state, ADMIN_HOST)

    def heal(self, state):
        if not certs.leaf_is_healthy(edge.home(state), ADMIN_HOST):
            certs.write_leaf(edge.home(state), ADMIN_HOST)
            reload_proxy(state, ADMIN_HOST)


def _csv_without(csv: str, *drop: str) -> str:
    lowered = {d.lower() for d in drop}
    return ",".join(v for v in csv.split(",") if v.strip().lower() not in lowered)


class CorsHeadersOverride(Redeploy):
    name = "edge-cors-headers-override"
    summary = "pms-backend redeployed with a Coolify CORS_ALLOW_HEADERS override from before March: no X-Session-Id"
    role = "backend"

    def env(self, state):
        return {"CORS_ALLOW_HEADERS": _csv_without(DEFAULT_HEADERS, "X-Session-Id")}


class CorsOriginRemoved(Redeploy):
    name = "edge-origin-removed"
    summary = "pms-backend redeployed with ALLOWED_ORIGINS lacking the admin host: the admin console is blocked"
    role = "backend"

    def env(self, state):
        origins = containers.edge_env(state)["ALLOWED_ORIGINS"]
        return {"ALLOWED_ORIGINS": ",".join(o for o in origins.split(",") if ADMIN_HOST not in o)}


class HostBlocked(Redeploy):
    name = "edge-host-blocked"
    summary = "pms-backend redeployed with ALLOWED_HOSTS lacking the public host: 403 host_not_allowed"
    role = "backend"

    def env(self, state):
        return {"ALLOWED_HOSTS": _csv_without(containers.edge_env(state)["ALLOWED_HOSTS"], SITE_HOST)}


class ProxyHeadersUntrusted(Redeploy):
    name = "edge-proxy-headers-untrusted"
    summary = ("pms-backend redeployed with TRUST_PROXY_HEADERS=false: its allowlist judges the API's own Host, "
               "whatever X-Forwarded-Host says (as behind a proxy that replaces it)")
    role = "backend"

    def env(self, state):
        return {"TRUST_PROXY_HEADERS": "false"}


class CustomerDomainNotAllowed(Fault):
    """Half of the runbook's "Adding a Customer Domain": the agency_domains row, without ALLOWED_HOSTS."""

    name = "edge-customer-domain-not-allowed"
    summary = ("a customer domain of the member agency is added to agency_domains but not to ALLOWED_HOSTS: that "
               "tenant's website gets 403 host_not_allowed, the ops agency's site is fine")
    domain = "booking.partner-customer.lab.test"
    row = lab_uuid("domain", "member", "customer")

    def inject(self, state):
        with stack.db_connect(state) as conn:
            conn.execute("INSERT INTO agency_domains (id, agency_id, domain, is_primary) VALUES (%s, %s, %s, false) "
                         "ON CONFLICT DO NOTHING", (self.row, lab_uuid("agency", "member"), self.domain))

    def heal(self, state):
        with stack.db_connect(state) as conn:
            conn.execute("DELETE FROM agency_domains WHERE id = %s OR lower(domain) = %s", (self.row, self.domain))


class BackendUnhealthy(Fault):
    name = "edge-backend-unhealthy"
    summary = ("pms-backend's process hangs (stopped): its HEALTHCHECK times out, Docker marks it unhealthy and "
               "coolify-proxy takes it out of rotation (503), while the container runs")

    def _signal(self, sig: str) -> None:
        import docker

        backend = container("backend")
        if backend is not None and backend.status == "running":
            try:  # PID 1 is docker-init; the app is its child.
                backend.exec_run(["/opt/busybox", "sh", "-c",
                                  f"/opt/busybox kill -{sig} $(/opt/busybox cat /proc/1/task/1/children)"], user="1000")
            except docker.errors.APIError:
                pass  # restarting meanwhile: a new process, not a stopped one

    def inject(self, state):
        def health(status):
            b = container("backend")
            return b is not None and (b.attrs.get("State", {}).get("Health") or {}).get("Status") == status

        # Within its start period (60 s) Docker does not count failures of a container never healthy yet.
        stack.wait_until(lambda: health("healthy"), 65, interval=0.5, what="pms-backend to be healthy first")
        self._signal("STOP")
        stack.wait_until(lambda: health("unhealthy"), 30, interval=0.5, what="pms-backend to turn unhealthy")

    def heal(self, state):
        self._signal("CONT")


FAULTS = [EdgeDefaultCert, EdgeCertExpiring, CorsHeadersOverride, CorsOriginRemoved, HostBlocked,
          CustomerDomainNotAllowed, ProxyHeadersUntrusted, BackendUnhealthy]
