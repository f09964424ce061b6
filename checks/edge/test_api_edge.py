"""The edge, the API's side: CORS preflights, the host allowlist, the rate-limit headers, and the proxy's
view of the containers (contract §9 #23, #30, #31, #33, §10.2; quickref Q10; runbook "CORS Errors").

    curl -si -X OPTIONS "$API/api/v1/properties?limit=50" -H "Origin: https://$ADMIN" \
         -H "Access-Control-Request-Method: GET" -H "Access-Control-Request-Headers: authorization,x-session-id"
    curl -si "$API/api/v1/public/ping" -H "X-Forwarded-Host: unknown.example"    # 403 host_not_allowed
    psql -c "SELECT domain FROM agency_domains"    # each one asked the same way: none refused
    curl -sI "$API/api/v1/public/ping" | grep -i x-ratelimit
"""
import pytest

from pms_runbook.redflag import CouldNotCheck, red_flag
from pms_runbook.resources import cors, public_site

pytestmark = [pytest.mark.daily, pytest.mark.postdeploy, pytest.mark.nightly, pytest.mark.edge,
              pytest.mark.runbook("cors-errors-admin-console-blocked")]


@pytest.mark.redflag("E4")
def test_preflight_from_each_allowed_origin_is_allowed(edge_answer, edge_origins, profile_names, evidence):
    for origin in edge_origins:
        answer = edge_answer("api", "OPTIONS", cors.PREFLIGHT_PATH, cors.preflight_headers(origin))
        evidence.attach_http(answer, name=f"preflight from {origin}")
        got = cors.parse_preflight(answer)
        assert not got.wildcard, red_flag("E4", case="wildcard", observed=answer.render(300), names=profile_names,
                                          where=", ".join(got.wildcard), origins=", ".join(edge_origins))
        problems = got.problems(origin)
        missing = cors.refused_headers(lambda h, o=origin: edge_answer(
            "api", "OPTIONS", cors.PREFLIGHT_PATH, cors.preflight_headers(o, (h,)))) if got.refuses_headers else []
        assert not problems, red_flag(
            "E4", observed=answer.render(300), names=profile_names, origin=origin,
            problems="; ".join(problems + ([f"refused headers: {', '.join(missing)}"] if missing else [])),
            missing_headers=f" (missing now: {', '.join(missing or got.missing_headers())})"
            if missing or got.missing_headers() else "")


@pytest.mark.redflag("E4")
def test_preflight_from_an_unknown_origin_is_not_allowed(edge_answer, edge_origins, profile_names, evidence):
    answer = edge_answer("api", "OPTIONS", cors.PREFLIGHT_PATH, cors.preflight_headers(cors.UNKNOWN_ORIGIN, ()))
    evidence.attach_http(answer)
    got = cors.parse_preflight(answer)
    assert got.allow_origin != "*", red_flag("E4", case="wildcard", observed=answer.render(300), names=profile_names,
                                             where="Access-Control-Allow-Origin", origins=", ".join(edge_origins))
    assert got.allow_origin != cors.UNKNOWN_ORIGIN, red_flag(
        "E4", case="unknown-origin", observed=answer.render(300), names=profile_names, origin=cors.UNKNOWN_ORIGIN)


@pytest.mark.redflag("E4")
def test_preflight_with_an_undocumented_header_gets_400(edge_answer, edge_origins, profile_names, evidence):
    origin = edge_origins[0] if edge_origins else cors.UNKNOWN_ORIGIN
    answer = edge_answer("api", "OPTIONS", cors.PREFLIGHT_PATH,
                         cors.preflight_headers(origin, (cors.UNDOCUMENTED_HEADER,)))
    evidence.attach_http(answer)
    assert answer.status == 400, red_flag("E4", case="disallowed-header", observed=answer.render(300),
                                          names=profile_names, status=answer.status)


@pytest.mark.redflag("E5")
def test_public_host_is_allowed(edge_answer, edge_urls, forwarded_host, profile_names, evidence):
    host = cors.host_of(edge_urls.get("site") or edge_urls["api"])
    forwarded_host.require(f"the host allowlist for {host}")  # a proxy may replace X-Forwarded-Host
    answer = edge_answer("api", "GET", cors.PUBLIC_PING, {"X-Forwarded-Host": host})
    evidence.attach_http(answer)
    assert cors.host_refusal(answer) is None, red_flag("E5", observed=answer.render(400), names=profile_names,
                                                       host=host)


@pytest.mark.redflag("E5")
def test_every_agency_domain_is_allowed(edge_answer, db, forwarded_host, profile_names, evidence):
    """Every domain of agency_domains must also be in ALLOWED_HOSTS ("Adding a Customer Domain"): asked only for the
    ops agency's host, the allowlist looks right while another tenant's website gets 403."""
    domains = public_site.agency_domains(db)
    if not domains:
        raise CouldNotCheck("the agencies' domains", "agency_domains shows no row to the read-only role (none "
                            "stored, or row-level security hides them from it)")
    forwarded_host.require(f"the host allowlist for the {len(domains)} agency domains")
    survey = cors.survey_hosts(lambda d: edge_answer("api", "GET", cors.PUBLIC_PING, {"X-Forwarded-Host": d}), domains)
    for answer in survey.refused.values():
        evidence.attach_http(answer)
    refused = list(survey.refused)
    assert not refused, red_flag(
        "E5", case="domains", names=profile_names, count=len(refused), hosts=", ".join(refused),
        allowed_hosts=survey.allowlist_with_refused(),
        observed="\n".join(f"{d} (agency {domains[d]}): {survey.refused[d].endpoint} with X-Forwarded-Host: {d} -> "
                            f"HTTP 403 {survey.refusal(d)}" for d in refused))
    if survey.unasked:
        raise CouldNotCheck(f"{len(survey.unasked)} of {len(domains)} agency domains",
                            f"the public ping's rate limit answered 429 first ({', '.join(survey.unasked[:5])}"
                            f"{', ...' if len(survey.unasked) > 5 else ''})", hint="run again after a minute")


@pytest.mark.redflag("E5")
def test_unknown_host_gets_the_documented_403(edge_answer, forwarded_host, profile_names, evidence):
    answer = edge_answer("api", "GET", cors.PUBLIC_PING, {"X-Forwarded-Host": cors.UNKNOWN_HOST})
    evidence.attach_http(answer)
    forwarded_host.require(f"the host allowlist for {cors.UNKNOWN_HOST}")
    assert answer.status not in (200, 204), red_flag("E5", case="open", observed=answer.render(300),
                                                     names=profile_names, host=cors.UNKNOWN_HOST, status=answer.status)
    assert cors.host_refusal(answer) is not None, red_flag("E5", case="body", observed=answer.render(400),
                                                           names=profile_names, status=answer.status)


@pytest.mark.redflag("E6")
def test_public_endpoint_sends_rate_limit_headers_from_redis(public_ping, profile_names, evidence):
    evidence.attach_http(public_ping)
    got = cors.rate_limit_headers(public_ping)
    assert (got["X-RateLimit-Fallback"] or "").lower() != "memory", red_flag(
        "E6", observed=public_ping.render(300), names=profile_names, endpoint=public_ping.endpoint)
    missing = [h for h in cors.RATE_LIMIT_HEADERS if got[h] is None]
    assert not missing, red_flag("E6", case="headers", observed=public_ping.render(300), names=profile_names,
                                 endpoint=public_ping.endpoint, missing=", ".join(missing))


@pytest.mark.parametrize("host", ["api", "admin"])
@pytest.mark.redflag("E7")
def test_proxy_has_a_server_for_each_running_container(host, edge_answer, edge_urls, proxy_view, profile_names,
                                                       evidence):
    answer = edge_answer(host, "GET", cors.HEALTH_PATH[host], served=False)
    evidence.attach_http(answer)
    seen = proxy_view(host, answer)
    assert seen is None, red_flag("E7", observed=f"{answer.render(200)}\n{seen.observed}", names=profile_names,
                                  host=cors.host_of(edge_urls[host]), container=seen.container, health=seen.health,
                                  port=seen.port, path=cors.HEALTH_PATH[host], test=seen.test)
