"""The lab's topology: roles, their production container names, networks, ports and the read-only role.

    network model v1 (checklist, the default):
    coolify ─────────── supabase-redis, pms-admin, pms-public-website, pms-backend, pms-worker-v2
    <supabase network> ─ supabase-db, supabase-auth, pms-backend, pms-worker-v2, pms-admin (its login reaches the gateway)

    network model v2 (March "bridge", `pms-lab up --network-model v2`):
    coolify ─────────── supabase-redis, pms-admin, pms-public-website, pms-backend, pms-worker-v2, supabase-db (alias supabase-db)
    <supabase network> ─ supabase-db, supabase-auth, pms-admin

Plain data, importing nothing of the lab: the state, the containers and the faults all read it.
"""
from __future__ import annotations

LABEL = "pms-lab"  # every container and network of the lab carries it (`down` removes by it)

# role -> production container name (runbook checklist era)
NAMES = {
    "db": "supabase-db",
    "redis": "supabase-redis",
    "auth": "supabase-auth",
    "backend": "pms-backend",
    "worker": "pms-worker-v2",
    "admin": "pms-admin",
    "website": "pms-public-website",
    "old_worker": "pms-worker",
    "proxy": "coolify-proxy",  # the edge (lab.edge)
}
START_ORDER = (("db", "redis"), ("auth", "backend", "worker", "admin", "website"))  # migrations run between the two

# The networks as production names them; the Supabase one is Coolify's generated id.
COOLIFY_NETWORK = "coolify"
SUPABASE_NETWORK = "bccg4gs4o4kgsowocw08wkw4"
NETWORK_MODELS = ("v1", "v2")

# role -> its networks per model, "supabase" / "coolify" standing for the lab's two networks. The first is
# the one the container is created on (order is part of a container's spec).
_NETWORKS = {
    "v1": {"db": ("supabase",), "redis": ("coolify",), "auth": ("supabase",), "backend": ("coolify", "supabase"),
           "worker": ("coolify", "supabase"), "admin": ("coolify", "supabase"), "website": ("coolify",)},
    "v2": {"db": ("supabase", "coolify"), "redis": ("coolify",), "auth": ("supabase",), "backend": ("coolify",),
           "worker": ("coolify",), "admin": ("coolify", "supabase"), "website": ("coolify",)},
}


def networks(role: str, model: str, *, supabase: str, coolify: str) -> list[str]:
    """The networks a role's container joins under a network model."""
    names = {"supabase": supabase, "coolify": coolify}
    return [names[n] for n in _NETWORKS[model][role]]


def aliases(role: str, model: str, *, coolify: str) -> dict[str, list[str]]:
    """DNS aliases per network: in v2 the DB is bridged into coolify under its checklist name."""
    return {coolify: [NAMES["db"]]} if role == "db" and model == "v2" else {}


# Ports inside the containers, and the defaults of the ports published on 127.0.0.1
# (each overridable with PMS_LAB_<API|ADMIN|AUTH|DB|PUBLIC>_PORT).
CONTAINER_PORTS = {"db": 5432, "redis": 6379, "auth": 9999, "backend": 8000, "admin": 3000, "website": 3000}
PUBLISHED_PORTS = {"api": 18000, "admin": 18300, "auth": 18999, "db": 15432, "public": 18400}
PUBLISHED_ROLE = {"api": "backend", "admin": "admin", "auth": "auth", "db": "db", "public": "website"}

# The edge (issue 12): Coolify's proxy in front of the PMS, TLS on published ports, routing by host name.
# host -> the container (and its port) it routes to; the public website is the "web" helper's container.
PROXY = NAMES["proxy"]
PUBLIC_WEBSITE = "pms-public-website"
EDGE_DOMAIN = "pms.lab.test"
EDGE_ROUTES = {
    f"api.{EDGE_DOMAIN}": (NAMES["backend"], CONTAINER_PORTS["backend"], "/health"),
    f"admin.{EDGE_DOMAIN}": (NAMES["admin"], CONTAINER_PORTS["admin"], "/api/ops/version"),
    f"fewo.{EDGE_DOMAIN}": (PUBLIC_WEBSITE, 3000, None),
}
EDGE_CONTAINER_PORTS = {"https": 8443, "http": 8080}
EDGE_PUBLISHED_PORTS = {"https": 18443, "http": 18080}  # PMS_LAB_EDGE_HTTPS_PORT, PMS_LAB_EDGE_HTTP_PORT

# The role the checks connect as: SELECT only, with a policy on every RLS table (lab.migrate).
READONLY_ROLE = "pms_runbook_ro"

# The public website's host names per seeded agency (agency_domains.domain; the lab-able equivalents of
# fewo.kolibri-visions.de). The public API resolves the tenant from `?public_host=`, `x-public-host`,
# X-Forwarded-Host (TRUST_PROXY_HEADERS=true) or Host. `PUBLIC_HOST` is the ops agency's, the one
# `pms-lab status --json` names; the ops agency also answers to the loopback names, so the public site
# browsed on 127.0.0.1 shows it.
PUBLIC_HOST = "fewo.pms.lab.test"
PUBLIC_HOSTS = {"ops": PUBLIC_HOST, "member": "partner.fewo.pms.lab.test", "other": "other{n}.fewo.pms.lab.test"}
LOOPBACK_PUBLIC_HOSTS = ("localhost", "127.0.0.1")
EXTRA_AGENCIES = 1  # the seed's agencies beyond ops and member: other1


def public_hosts(extra_agencies: int = EXTRA_AGENCIES) -> list[str]:
    """Every seeded agency's public host: each must be in ALLOWED_HOSTS, as a customer domain in production."""
    return [PUBLIC_HOSTS["ops"], PUBLIC_HOSTS["member"],
            *(PUBLIC_HOSTS["other"].format(n=n) for n in range(1, extra_agencies + 1))]
