"""The lab's Next.js frontend: one app (lab/frontend), built twice, as production runs it: the admin host
(`PMS_SITE=admin`) and the public website (`PMS_SITE=public`).

Where things live (under the lab home, `.lab/web/`):

    node_modules/       `npm ci` from lab/frontend/package-lock.json (again only when the lock changes)
    builds/<key>/       a copy of the source and its `next build` output; <key> hashes the source, the
                        lock and the build environment, so a warm `pms-lab up` builds nothing
    run/<role>/         what a container serves: the build's `.next` (without `.next/cache`) plus the ISR
                        cache Next.js writes while serving; owned by the server's user. A fresh copy is
                        what a redeploy gives: it clears the ISR cache (the documented fix of Q4)

The containers bind-mount `node_modules` read-only at /srv/node_modules and `run/<role>` at /srv/app, so
Node resolves `next` and `react` by walking up from /srv/app. The API base is fixed at build time
(next.config.js's rewrite), as in production.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lab.state import REPO_ROOT, LabState
from lab.topology import CONTAINER_PORTS, NAMES

SOURCE = REPO_ROOT / "lab" / "frontend"
SKIP = {"node_modules", ".next", "next-env.d.ts", ".turbo"}
APP_UID = 1000
KEEP_BUILDS = 4  # per site; older builds are removed
SITES = {"admin": "admin", "website": "public"}  # role -> PMS_SITE
BUILD_TIMEOUT = 300


def api_base_url() -> str:
    return f"http://{NAMES['backend']}:{CONTAINER_PORTS['backend']}"


def build_env(role: str) -> dict[str, str]:
    """The environment `next build` sees for a role (part of the build key)."""
    return {"PMS_SITE": SITES[role], "API_BASE_URL": api_base_url()}


def web_home(state: LabState) -> Path:
    return state.home / "web"


def _sources(root: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP)
        out += [Path(dirpath) / f for f in sorted(filenames) if f not in SKIP]
    return out


def _digest(root: Path, env: dict[str, str]) -> str:
    h = hashlib.sha256(json.dumps(env, sort_keys=True).encode())
    for path in _sources(root):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _run(cmd: list[str], cwd: Path, env: dict[str, str], what: str) -> None:
    full_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
                "NEXT_TELEMETRY_DISABLED": "1", "CI": "1", **env}
    proc = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise SystemExit(f"pms-lab: {what} failed (exit {proc.returncode}):\n{tail}")


def ensure_node_modules(state: LabState) -> Path:
    """`npm ci` from the committed lock, once per lock (a marker holds the lock's hash)."""
    home = web_home(state)
    home.mkdir(parents=True, exist_ok=True)
    lock = (SOURCE / "package-lock.json").read_bytes()
    want = hashlib.sha256(lock).hexdigest()
    marker = home / "node_modules" / ".lab-lock-sha256"
    if marker.exists() and marker.read_text().strip() == want:
        return home / "node_modules"
    if not shutil.which("npm"):
        raise SystemExit("pms-lab: npm not found: run scripts/bootstrap (Debian package npm)")
    shutil.copy2(SOURCE / "package.json", home / "package.json")
    (home / "package-lock.json").write_bytes(lock)
    _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], home, {}, "npm ci of the lab frontend")
    marker.write_text(want + "\n")
    return home / "node_modules"


def healthy_key(role: str) -> str:
    """The key of the role's build from lab/frontend with its own build env (what `build` makes), unbuilt."""
    return f"{SITES[role]}-{_digest(SOURCE, build_env(role))}"


def build(state: LabState, role: str, *, source: Path | None = None, env: dict[str, str] | None = None) -> str:
    """`next build` of `source` (default lab/frontend) for a role, unless this exact build exists; its key."""
    source = source or SOURCE
    env = build_env(role) if env is None else env
    key = f"{SITES[role]}-{_digest(source, env)}"
    builds = web_home(state) / "builds"
    out = builds / key
    if (out / ".next" / "BUILD_ID").exists():
        return key
    tmp = builds / f".{key}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp, ignore=shutil.ignore_patterns(*SKIP))
    _run([str(web_home(state) / "node_modules" / ".bin" / "next"), "build"], tmp, env, f"next build ({key})")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    _prune(builds, SITES[role], keep={key})
    return key


def _prune(builds: Path, site: str, keep: set[str]) -> None:
    old = sorted((p for p in builds.glob(f"{site}-*") if p.name not in keep), key=lambda p: p.stat().st_mtime)
    for path in old[:-KEEP_BUILDS] if len(old) > KEEP_BUILDS else []:
        shutil.rmtree(path, ignore_errors=True)


def runtime_dir(state: LabState, role: str) -> Path:
    return web_home(state) / "run" / role


def deployed_key(state: LabState, role: str) -> str | None:
    marker = runtime_dir(state, role) / ".lab-build"
    return marker.read_text().strip() if marker.exists() else None


def deploy(state: LabState, role: str, key: str, *, reset: bool = False) -> None:
    """Put build `key` where the role's container serves it. Kept as it is (with its ISR cache) when the same
    build is already there, unless `reset`: a fresh copy, as a frontend redeploy gives."""
    run = runtime_dir(state, role)
    if not reset and deployed_key(state, role) == key:
        return
    src = web_home(state) / "builds" / key
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    for name in ("package.json", "next.config.js"):
        shutil.copy2(src / name, run / name)
    shutil.copytree(src / ".next", run / ".next", ignore=lambda d, names: {"cache"} if d == str(src / ".next") else set())
    (run / ".lab-build").write_text(key + "\n")
    for dirpath, _dirnames, filenames in os.walk(run):
        os.chown(dirpath, APP_UID, APP_UID)
        for f in filenames:
            os.lchown(os.path.join(dirpath, f), APP_UID, APP_UID)


def redeploy_if_changed(c, state: LabState, role: str, key: str, spec: str) -> None:
    """Before `up` (re)creates a frontend container whose spec changed: a fresh copy of its build."""
    from lab.topology import LABEL

    # not lab.containers.find: lab.containers imports this module
    existing = next(iter(c.containers.list(all=True, filters={"name": f"^{NAMES[role]}$"})), None)
    if existing is None or existing.labels.get(f"{LABEL}.spec") != spec:
        deploy(state, role, key, reset=True)


def ensure(state: LabState) -> dict[str, str]:
    """node_modules, then both builds (in parallel), deployed unless already; role -> build key."""
    ensure_node_modules(state)
    with ThreadPoolExecutor(max_workers=len(SITES)) as pool:
        keys = dict(zip(SITES, pool.map(lambda role: build(state, role), SITES)))
    for role, key in keys.items():
        deploy(state, role, key)
    return keys


def node_service_args(state: LabState, role: str) -> dict:
    """Command, mounts, working dir and env of a Next.js container (lab.containers builds the Service)."""
    port = CONTAINER_PORTS["admin"]
    return {
        "command": ["/usr/bin/node", "/srv/node_modules/next/dist/bin/next", "start", "-H", "0.0.0.0", "-p", str(port)],
        "mounts": {"/usr": {"bind": "/usr", "mode": "ro"},
                   str(web_home(state) / "node_modules"): {"bind": "/srv/node_modules", "mode": "ro"},
                   str(runtime_dir(state, role)): {"bind": "/srv/app", "mode": "rw"}},
        "working_dir": "/srv/app",
        "env": {"NODE_ENV": "production", "NEXT_TELEMETRY_DISABLED": "1", "HOME": "/tmp",
                "PMS_BUILD": deployed_key(state, role) or ""},
    }


def http_status(url: str, host: str | None = None) -> int:
    """The status of a GET (with another Host header if given); 0 for no answer."""
    import httpx

    try:
        return httpx.get(url, timeout=5, headers={"Host": host} if host else None).status_code
    except httpx.HTTPError:
        return 0


def site_statuses(state: LabState, path: str) -> list[int]:
    """The public site's answer for `path` under each host it is reached by: its public host (through
    coolify-proxy, the suite's way) and the direct port. The site renders per host (/sites/<host>/...), so each
    has its own ISR cache entry."""
    from lab.topology import PUBLIC_HOST

    return [http_status(f"{state.public_url}{path}", host) for host in (PUBLIC_HOST, None)]


def site_status(state: LabState, path: str) -> int:
    """The worst of `site_statuses`: 200 only when both hosts answer 200."""
    return next((c for c in site_statuses(state, path) if c != 200), 200)
