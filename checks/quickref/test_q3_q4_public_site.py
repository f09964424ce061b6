"""Quick Reference: "Public site API returns 404" (Q3) and "Public page cached as 404" (Q4).

    curl -sS -i $PUB/api/v1/public/site/settings          # 200 JSON (404 or text/html: not proxied)
    curl -sS -i "$PUB/api/v1/public/properties?limit=1"   # 200 JSON
    curl -sS -i $PUB/api/v1/website/pages                  # 404 (the middleware lets only /api/v1/public/* by)
    curl -sS -i -X OPTIONS $PUB/api/v1/public/properties   # 405 (only GET/HEAD; OPTIONS writes nothing)
    curl -sS -i $PUB/unterkuenfte                          # 200, no not-found markers; x-nextjs-cache noted
    control: the same path on $API with ?public_host=<public host>         # 200: then the proxy is the problem
"""
import pytest

from pms_runbook.redflag import CouldNotCheck, RedFlagAnswer, red_flag
from pms_runbook.resources.website import describe, json_answer, public_host, read_page, refused_host

pytestmark = [pytest.mark.daily, pytest.mark.postdeploy, pytest.mark.nightly]

SETTINGS, PROPERTIES = "/api/v1/public/site/settings", "/api/v1/public/properties"


def _control(path, api_target, settings, evidence):
    """The same path asked of the API host directly for the public host's tenant (C21): does the backend
    answer it? (A control on another path would blame the proxy for a 500 of the API itself.)"""
    host = public_host(settings.public_url)
    answer = api_target.get(f"{path}{'&' if '?' in path else '?'}public_host={host}")
    evidence.attach_http(answer)
    return answer


@pytest.mark.redflag("Q3")
@pytest.mark.runbook("26-public-api-proxy.md")
@pytest.mark.parametrize("path", [SETTINGS, f"{PROPERTIES}?limit=1"], ids=["site-settings", "properties"])
def test_public_api_is_proxied_same_origin(path, public_site, api_target, settings, profile_names, evidence):
    answer = public_site.get(path)
    evidence.attach_http(answer)
    proxied = json_answer(answer)
    if refused_host(answer):  # the site did proxy: the backend's allowlist refused the site's own host (E5)
        raise RedFlagAnswer("E5", observed=answer.render(300), names=profile_names, host=public_host(settings.public_url))
    control = None if proxied else _control(path, api_target, settings, evidence)
    if control is not None and not json_answer(control):
        raise CouldNotCheck(f"GET {settings.public_url}{path}", f"the public site answers {describe(answer)}, but "
                            f"so does the API itself ({describe(control)} to {control.url}): not a proxy fault")
    assert proxied, red_flag("Q3", observed=f"{answer.render(300)}\ncontrol: {control.endpoint} -> {describe(control)}",
                             public_url=settings.public_url, path=path, got=describe(answer))


@pytest.mark.redflag("Q3")
@pytest.mark.runbook("26-public-api-proxy.md")
def test_middleware_lets_only_the_public_api_through(public_site, settings, evidence):
    private = public_site.get("/api/v1/website/pages")
    evidence.attach_http(private)
    assert private.status == 404, red_flag("Q3", case="middleware", observed=private.render(300),
                                           public_url=settings.public_url, got=describe(private))
    other_method = public_site.request("OPTIONS", PROPERTIES)
    evidence.attach_http(other_method)
    assert other_method.status == 405, red_flag("Q3", case="methods", observed=other_method.render(300),
                                                public_url=settings.public_url, got=describe(other_method))


@pytest.mark.redflag("Q4")
@pytest.mark.runbook("27-public-unterkuenfte-next-cache-404.md")
def test_unterkuenfte_is_not_a_cached_404(public_site, settings, evidence):
    answer = public_site.get("/unterkuenfte")
    evidence.attach_http(answer)
    page = read_page(answer.body) if "html" in answer.headers.get("content-type", "") else None
    markers = page.not_found_markers if page is not None else []
    if answer.status == 200 and not markers:
        return
    api = public_site.get(f"{PROPERTIES}?limit=1")
    evidence.attach_http(api)
    cache = answer.headers.get("x-nextjs-cache", "(none)")
    observed = (f"GET {answer.url} -> {answer.status}, x-nextjs-cache: {cache}, "
                f"cache-control: {answer.headers.get('cache-control', '(none)')}; rendered: "
                f"{'; '.join(markers) or 'no page markers'}\nmeanwhile {api.endpoint} -> {describe(api)}")
    if not json_answer(api):
        raise CouldNotCheck(f"GET {answer.url}", f"it answers {answer.status} ({'; '.join(markers) or 'no markers'}) "
                            f"while the public API answers {describe(api)} too: an outage (see Q3), not a stale cache")
    raise AssertionError(red_flag("Q4", case="hit" if cache.upper() == "HIT" else None, observed=observed,
                                  public_url=settings.public_url, cache=cache, status=answer.status))
