"""The lab's own state: where it lives, its generated secrets, its ports, its deployed commit, its faults.

Kept in one JSON file under the lab home (`PMS_LAB_HOME`, default `.lab/` beside the repo), created on
first `up`. Secrets are generated per lab and never committed.
"""
from __future__ import annotations

import json
import os
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

from lab.topology import (
    CONTAINER_PORTS,
    COOLIFY_NETWORK,
    EDGE_PUBLISHED_PORTS,
    NAMES,
    PUBLIC_HOST,
    PUBLISHED_PORTS,
    READONLY_ROLE,
    SUPABASE_NETWORK,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def lab_home() -> Path:
    return Path(os.environ.get("PMS_LAB_HOME", REPO_ROOT / ".lab")).resolve()


def _port(name: str) -> int:
    default = PUBLISHED_PORTS.get(name) or EDGE_PUBLISHED_PORTS[name.removeprefix("edge_")]
    return int(os.environ.get(f"PMS_LAB_{name.upper()}_PORT", default))


@dataclass
class Ports:
    api: int = field(default_factory=lambda: _port("api"))
    admin: int = field(default_factory=lambda: _port("admin"))
    auth: int = field(default_factory=lambda: _port("auth"))
    db: int = field(default_factory=lambda: _port("db"))
    public: int = field(default_factory=lambda: _port("public"))
    edge_https: int = field(default_factory=lambda: _port("edge_https"))
    edge_http: int = field(default_factory=lambda: _port("edge_http"))


@dataclass
class Secrets:
    db_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    readonly_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    # A '+' in the Redis password is the production trap (contract §1.3): URLs must encode it.
    redis_password: str = field(default_factory=lambda: secrets.token_urlsafe(12) + "+lab")
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    anon_key: str = field(default_factory=lambda: "lab-anon-" + secrets.token_urlsafe(24))
    admin_email: str = "ops-admin@lab.pms.test"
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(14))
    admin_user_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class LabState:
    supabase_network: str = field(
        default_factory=lambda: os.environ.get("PMS_LAB_SUPABASE_NETWORK", SUPABASE_NETWORK)
    )
    coolify_network: str = COOLIFY_NETWORK
    network_model: str = "v1"  # v1: checklist era; v2: March bridge (DB aliased supabase-db into coolify)
    commit: str = field(default_factory=lambda: secrets.token_hex(20))
    ports: Ports = field(default_factory=Ports)
    secrets: Secrets = field(default_factory=Secrets)
    faults: list[str] = field(default_factory=list)
    seeded: bool = False
    connections: int = 8
    seed_version: int = 0  # lab.seed.SEED_VERSION of the seed in the database

    @property
    def home(self) -> Path:
        return lab_home()

    @property
    def path(self) -> Path:
        return self.home / "state.json"

    @classmethod
    def load(cls) -> LabState:
        path = lab_home() / "state.json"
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text())
        return cls(
            supabase_network=raw["supabase_network"],
            coolify_network=raw.get("coolify_network", COOLIFY_NETWORK),
            network_model=raw.get("network_model", "v1"),
            commit=raw["commit"],
            ports=Ports(**raw["ports"]),
            secrets=Secrets(**raw["secrets"]),
            faults=list(raw.get("faults", [])),
            seeded=raw.get("seeded", False),
            connections=raw.get("connections", 8),
            seed_version=raw.get("seed_version", 0),
        )

    @classmethod
    def exists(cls) -> bool:
        return (lab_home() / "state.json").exists()

    def save(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)

    # --- derived values -------------------------------------------------------------------------
    def db_url(self, host: str = NAMES["db"], port: int = CONTAINER_PORTS["db"], user: str = "postgres") -> str:
        password = self.secrets.db_password if user == "postgres" else self.secrets.readonly_password
        return f"postgresql://{user}:{quote(password, safe='')}@{host}:{port}/postgres"

    def redis_url(self, db: int = 0) -> str:
        host, port = NAMES["redis"], CONTAINER_PORTS["redis"]
        return f"redis://:{quote(self.secrets.redis_password, safe='')}@{host}:{port}/{db}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.admin}"

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.public}"

    @property
    def auth_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.auth}"

    def connection_info(self) -> dict:
        """What a client of the lab needs (endpoints, DSN, generated secrets), without asking Docker."""
        return {
            "api_url": self.api_url,
            "admin_url": self.admin_url,
            "public_url": self.public_url,
            "auth_url": self.auth_url,
            "sb_url": self.auth_url,
            "db_dsn": self.host_dsn(readonly=True),
            "db_admin_dsn": self.host_dsn(),
            "anon_key": self.secrets.anon_key,
            "admin_email": self.secrets.admin_email,
            "admin_password": self.secrets.admin_password,
            "commit": self.commit,
            "supabase_network": self.supabase_network,
            "coolify_network": self.coolify_network,
            "network_model": self.network_model,
            "networks": [self.coolify_network, self.supabase_network],
            "frontend_dir": str(self.home / "frontend"),
            "containers": dict(NAMES),
            "faults": list(self.faults),
            "public_host": PUBLIC_HOST,  # the ops agency's public website host (agency_domains)
            **self.edge_info(),
        }

    def profile_info(self, via_edge: bool = True) -> dict:
        """What the lab profile runs against: by default every HTTP check through the edge, by the lab's host
        names (api_url, admin_url, public_url become the edge's); the direct ports stay the lab's own."""
        info = self.connection_info()
        if via_edge:
            info = {**info, "api_url": info["edge_api_url"], "admin_url": info["edge_admin_url"],
                    "public_url": info["edge_site_url"]}
        return info

    def edge_info(self) -> dict:
        """The edge (coolify-proxy): its hosts' URLs, their pinned resolution, the lab CA, the expected issuer."""
        from lab.topology import EDGE_ROUTES

        hosts = list(EDGE_ROUTES)
        api, admin, site = hosts
        return {
            "edge_url": f"https://{api}", "edge_api_url": f"https://{api}", "edge_admin_url": f"https://{admin}",
            "edge_site_url": f"https://{site}", "edge_hosts": hosts,
            "edge_resolve": ",".join(f"{h}:443=127.0.0.1:{self.ports.edge_https},{h}:80=127.0.0.1:{self.ports.edge_http}"
                                     for h in hosts),
            "edge_ca": str(self.home / "edge" / "ca.pem"), "edge_issuer": "PMS Lab Issuing CA",
            "edge_origins": ",".join(f"https://{h}" for h in (admin, site)),
        }

    def host_dsn(self, readonly: bool = False) -> str:
        user = READONLY_ROLE if readonly else "postgres"
        return self.db_url(host="127.0.0.1", port=self.ports.db, user=user)
