"""Faults of the Next.js frontend (Quick Reference Q3, Q4, Q8, D6.2 live): the public website built without
its API proxy target; /unterkuenfte cached as 404 by ISR after an API outage; an admin build whose Sync
History calls a wrong API path; an admin build that calls alert(). Each breaks the real thing: a build and
its redeploy, the ISR cache of the running server."""
from __future__ import annotations

import shutil
from collections.abc import Callable

from lab import stack, webapp
from lab.faults.base import Fault, container
from lab.state import LabState
from lab.webapp import http_status as _status
from lab.webapp import site_status, site_statuses


def redeploy(state: LabState, role: str, key: str, *, env: dict[str, str] | None = None) -> None:
    """Serve build `key` from a fresh copy (an empty ISR cache) in a recreated container of `role`."""
    running = container(role)
    if running is not None:  # a new container, as a redeploy makes: never new files under a running server
        running.remove(force=True)
    webapp.deploy(state, role, key, reset=True)
    stack.recreate(state, (role,), overrides={role: {"env": env}} if env else {})
    url = state.public_url if role == "website" else state.admin_url
    stack.wait_until(lambda: _status(f"{url}/robots.txt") == 200, 30, what=f"the {role} serving")


def serves_healthy_build(state: LabState, role: str) -> bool:
    """The role's container runs the healthy build with its own env (no fault's redeploy in place)."""
    running = container(role)
    if running is None or running.status != "running" or webapp.deployed_key(state, role) != webapp.healthy_key(role):
        return False
    env = dict(e.split("=", 1) for e in running.attrs["Config"]["Env"] if "=" in e)
    return env.get("API_BASE_URL", "unset") != ""


def redeploy_website(state: LabState, key: str, *, env: dict[str, str] | None = None) -> None:
    redeploy(state, "website", key, env=env)


def patched_build(state: LabState, role: str, name: str, patches: dict[str, Callable[[str], str]]) -> str:
    """A build of lab/frontend with `patches` (file -> patch) applied, as a bad commit would produce it."""
    src = webapp.web_home(state) / "src" / name
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(webapp.SOURCE, src, ignore=shutil.ignore_patterns(*webapp.SKIP))
    for rel, patch in patches.items():
        path = src / rel
        before = path.read_text()
        after = patch(before)
        if after == before:
            raise RuntimeError(f"pms-lab: the patch of {rel} for {name} no longer applies")
        path.write_text(after)
    webapp.ensure_node_modules(state)
    return webapp.build(state, role, source=src)


def redeploy_healthy_website(state: LabState, *, warm: bool = True) -> None:
    """The documented fix (a redeploy clears the ISR cache), then /unterkuenfte asked once while the API is up,
    as a deploy's smoke does: rendered then, it is served from the cache from then on."""
    webapp.ensure_node_modules(state)
    redeploy_website(state, webapp.build(state, "website"))
    if warm:
        stack.wait_healthy(state)
        stack.wait_until(lambda: site_status(state, "/unterkuenfte") == 200, 30, what="/unterkuenfte 200")


class PublicSiteNoApiBase(Fault):
    name = "public-site-no-api-base"
    summary = ("the public website rebuilt and redeployed without API_BASE_URL: /api/v1/public/* is not proxied "
               "(404), /unterkuenfte cannot load its properties")

    def inject(self, state):
        webapp.ensure_node_modules(state)
        env = {k: v for k, v in webapp.build_env("website").items() if k != "API_BASE_URL"}
        redeploy_website(state, webapp.build(state, "website", env=env), env={"API_BASE_URL": ""})
        stack.wait_until(lambda: _status(f"{state.public_url}/api/v1/public/site/settings") == 404, 30,
                         what="the public site to answer 404 for the public API")

    def heal(self, state):
        redeploy_healthy_website(state)

    def present(self, state):
        return not serves_healthy_build(state, "website")


class UnterkuenfteCached404(Fault):
    name = "unterkuenfte-cached-404"
    summary = ("/unterkuenfte regenerated while the API was down (notFound() cached by ISR), then the API came "
               "back: the 404 stays cached (x-nextjs-cache: HIT)")

    def inject(self, state):
        redeploy_healthy_website(state, warm=False)  # a fresh ISR cache: the next request renders the page
        backend = container("backend")
        backend.stop(timeout=5)
        try:
            stack.wait_until(lambda: site_statuses(state, "/unterkuenfte") == [404, 404], 30,
                             what="/unterkuenfte rendered as 404 during the outage")
        finally:
            backend.start()
        stack.wait_healthy(state)
        stack.wait_edge(state)  # the suite comes through the proxy: the restarted backend back in its rotation
        stack.wait_until(lambda: _status(f"{state.public_url}/api/v1/public/properties?limit=1") == 200, 30,
                         what="the public API answering again through the proxy")

    def heal(self, state):
        redeploy_healthy_website(state)  # the documented fix: a redeploy clears the ISR cache

    def present(self, state):  # any outage of the public API may have left a 404 in the ISR cache
        return not serves_healthy_build(state, "website") or site_status(state, "/unterkuenfte") != 200


class AdminBuild(Fault):
    """The admin redeployed from a build of lab/frontend with `patches`; healing redeploys the healthy build."""

    patches: dict[str, Callable[[str], str]] = {}

    def inject(self, state):
        redeploy(state, "admin", patched_build(state, "admin", self.name, self.patches))

    def heal(self, state):
        webapp.ensure_node_modules(state)
        redeploy(state, "admin", webapp.build(state, "admin"))

    def present(self, state):
        return not serves_healthy_build(state, "admin")


class AdminSyncHistoryBroken(AdminBuild):
    name = "admin-sync-history-broken"
    summary = ("pms-admin redeployed from a build whose Sync History calls a wrong API path (.../sync-batch): "
               "the Connection Details modal shows no batches, only an error")
    patches = {"lib/api.ts": lambda src: src.replace("/sync-batches?", "/sync-batch?")}


class PopupInBuiltAdmin(AdminBuild):
    name = "popup-in-built-admin"
    summary = "pms-admin redeployed from a build whose /connections page calls alert() once the list has loaded"
    patches = {"app/connections/page.tsx": lambda src: src.replace(
        "        setLoaded(true);\n", "        setLoaded(true);\n        alert(`Loaded ${list.length} connections`);\n", 1)}


FAULTS = (PublicSiteNoApiBase, UnterkuenfteCached404, AdminSyncHistoryBroken, PopupInBuiltAdmin)
