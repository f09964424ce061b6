"""Faults of the Next.js frontend (Quick Reference Q3, Q4): the public website built without its API proxy
target, and /unterkuenfte cached as 404 by ISR after an API outage. Each breaks the real thing: a build,
the ISR cache of the running server."""
from __future__ import annotations

import httpx

from lab import stack, webapp
from lab.faults.base import Fault, container
from lab.state import LabState


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return 0


def redeploy_website(state: LabState, key: str, *, env: dict[str, str] | None = None) -> None:
    """Serve build `key` from a fresh copy (an empty ISR cache) in a recreated pms-public-website."""
    running = container("website")
    if running is not None:  # a new container, as a redeploy makes: never new files under a running server
        running.remove(force=True)
    webapp.deploy(state, "website", key, reset=True)
    overrides = {"website": {"env": env}} if env else {}
    stack.recreate(state, ("website",), overrides=overrides)
    stack.wait_until(lambda: _status(f"{state.public_url}/robots.txt") == 200, 30, what="the public website")


def redeploy_healthy_website(state: LabState, *, warm: bool = True) -> None:
    """The documented fix (a redeploy clears the ISR cache), then /unterkuenfte asked once while the API is up,
    as a deploy's smoke does: rendered then, it is served from the cache from then on."""
    webapp.ensure_node_modules(state)
    redeploy_website(state, webapp.build(state, "website"))
    if warm:
        stack.wait_healthy(state)
        stack.wait_until(lambda: _status(f"{state.public_url}/unterkuenfte") == 200, 30, what="/unterkuenfte 200")


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


class UnterkuenfteCached404(Fault):
    name = "unterkuenfte-cached-404"
    summary = ("/unterkuenfte regenerated while the API was down (notFound() cached by ISR), then the API came "
               "back: the 404 stays cached (x-nextjs-cache: HIT)")

    def inject(self, state):
        redeploy_healthy_website(state, warm=False)  # a fresh ISR cache: the next request renders the page
        backend = container("backend")
        backend.stop(timeout=5)
        try:
            stack.wait_until(lambda: _status(f"{state.public_url}/unterkuenfte") == 404, 30,
                             what="/unterkuenfte rendered as 404 during the outage")
        finally:
            backend.start()
        stack.wait_healthy(state)
        stack.wait_until(lambda: _status(f"{state.public_url}/api/v1/public/properties?limit=1") == 200, 30,
                         what="the public API answering again through the proxy")

    def heal(self, state):
        redeploy_healthy_website(state)  # the documented fix: a redeploy clears the ISR cache


FAULTS = (PublicSiteNoApiBase, UnterkuenfteCached404)
