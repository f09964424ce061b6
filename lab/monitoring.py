"""The lab's monitoring: a real Alertmanager and a real Pushgateway (Debian's prometheus-alertmanager and
prometheus-pushgateway, from the host's /usr), in containers like the others, published on 127.0.0.1.

    pms-alertmanager   :9093 -> 127.0.0.1:19093   (PMS_LAB_ALERTMANAGER_PORT)   alertmanager_url
    pms-pushgateway    :9091 -> 127.0.0.1:19091   (PMS_LAB_PUSHGATEWAY_PORT)    pushgateway_url

They are not part of the PMS: the runbook posts its alerts and pushes its metrics there (--alertmanager,
--pushgateway); the self-tests read them back from their APIs. Without the binaries (scripts/bootstrap
installs them) `up` says so and starts the rest.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from lab.containers import Service
from lab.state import LabState

NAMES = {"alertmanager": "pms-alertmanager", "pushgateway": "pms-pushgateway"}
CONTAINER_PORTS = {"alertmanager": 9093, "pushgateway": 9091}
PUBLISHED_PORTS = {"alertmanager": 19093, "pushgateway": 19091}
BINARIES = {"alertmanager": "prometheus-alertmanager", "pushgateway": "prometheus-pushgateway"}

# One receiver that sends nothing: routing to Slack/e-mail/PagerDuty is the team's own configuration.
ALERTMANAGER_YML = """\
route:
  receiver: lab-null
  group_by: [alertname, environment]
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: lab-null
"""


def port(role: str) -> int:
    return int(os.environ.get(f"PMS_LAB_{role.upper()}_PORT", PUBLISHED_PORTS[role]))


def urls() -> dict[str, str]:
    """alertmanager_url and pushgateway_url for `pms-lab status --json`."""
    return {f"{role}_url": f"http://127.0.0.1:{port(role)}" for role in NAMES}


def binary(role: str) -> Path | None:
    found = shutil.which(BINARIES[role])
    return Path(found) if found else None


def services(state: LabState) -> dict[str, Service]:
    conf = state.home / "monitoring"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "alertmanager.yml").write_text(ALERTMANAGER_YML, encoding="utf-8")
    usr = {"/usr": {"bind": "/usr", "mode": "ro"}}
    out = {}
    am, pg = binary("alertmanager"), binary("pushgateway")
    if am:
        out["alertmanager"] = Service(
            role="alertmanager", name=NAMES["alertmanager"], networks=[state.coolify_network], user="65534",
            command=[str(am), "--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/tmp/alertmanager",
                     f"--web.listen-address=:{CONTAINER_PORTS['alertmanager']}", "--cluster.listen-address=",
                     "--log.level=warn"],
            ports={f"{CONTAINER_PORTS['alertmanager']}/tcp": ("127.0.0.1", port("alertmanager"))},
            mounts={**usr, str(conf): {"bind": "/etc/alertmanager", "mode": "ro"}}, working_dir="/tmp")
    if pg:
        out["pushgateway"] = Service(
            role="pushgateway", name=NAMES["pushgateway"], networks=[state.coolify_network], user="65534",
            command=[str(pg), f"--web.listen-address=:{CONTAINER_PORTS['pushgateway']}", "--log.level=warn"],
            ports={f"{CONTAINER_PORTS['pushgateway']}/tcp": ("127.0.0.1", port("pushgateway"))},
            mounts=usr, working_dir="/tmp")
    return out


def up(c, state: LabState, tag: str) -> list[str]:
    """Start (or keep) both; the roles whose binary is missing, to be said."""
    from lab import containers

    svc = services(state)
    for s in svc.values():
        containers.run(c, s, tag)
    return [BINARIES[r] for r in NAMES if r not in svc]


def ready(timeout: float = 2.0) -> dict[str, bool]:
    import httpx

    out = {}
    for role, url in urls().items():
        try:
            out[role.removesuffix("_url")] = httpx.get(f"{url}/-/ready", timeout=timeout).status_code == 200
        except httpx.HTTPError:
            out[role.removesuffix("_url")] = False
    return out
