"""The edge, TLS: each public host presents its own certificate, from the expected issuer, valid long enough,
with the full chain; the admin host sends HSTS; HTTP redirects to HTTPS (contract §9 #24, §10.4).

    openssl s_client -connect api.fewo...:443 -servername api.fewo... </dev/null | openssl x509 -noout -subject -issuer -enddate
    curl -sI https://admin.fewo.../ | grep -i strict-transport-security
    curl -sI http://admin.fewo.../
"""
from urllib.parse import urlsplit

import pytest

from pms_runbook.redflag import red_flag
from pms_runbook.resources import tls

pytestmark = [pytest.mark.daily, pytest.mark.postdeploy, pytest.mark.nightly, pytest.mark.edge,
              pytest.mark.runbook("34-encryption-tls.md#httpstls-frontend")]

HOSTS = ["api", "admin", "site"]
HSTS_MAX_AGE = 31536000  # max-age=31536000; includeSubDomains (ch.34)


def _name(edge_urls, host):
    return urlsplit(edge_urls.get(host, "")).hostname or host


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.redflag("E1")
def test_host_presents_its_own_certificate(host, edge_urls, certificate, settings, evidence):
    cert, name = certificate(host), _name(edge_urls, host)
    evidence.attach_text(f"certificate of {name}", cert.describe())
    assert cert.subject_cn not in tls.DEFAULT_CERT_SUBJECTS, red_flag(
        "E1", case="default", observed=cert.describe(), host=name, subject=cert.subject_cn)
    problems = tls.identity_problems(cert, name, settings.edge_issuer)
    assert not problems, red_flag("E1", observed=cert.describe(), host=name, problem="; ".join(problems))


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.redflag("E2")
def test_certificate_is_valid_long_enough_with_its_chain(host, edge_urls, certificate, settings, profile_names):
    cert, name = certificate(host), _name(edge_urls, host)
    date = f"{cert.not_after:%Y-%m-%d %H:%M} UTC"
    assert cert.days_left() > 0, red_flag("E2", case="expired", observed=cert.describe(), names=profile_names,
                                          host=name, not_after=date)
    assert cert.days_left() >= settings.cert_min_days, red_flag(
        "E2", observed=cert.describe(), names=profile_names, host=name, not_after=date,
        days=f"{cert.days_left():.1f}", min_days=settings.cert_min_days)
    own = not tls.identity_problems(cert, name, settings.edge_issuer)  # else E1 says it
    assert not (own and tls.chain_incomplete(cert)), red_flag(
        "E2", case="chain", observed=cert.describe(), names=profile_names, host=name, error=cert.verify_error)


@pytest.mark.redflag("E3")
def test_admin_host_sends_hsts(edge_answer, edge_urls, evidence):
    answer = edge_answer("admin", "GET", "/api/ops/version")
    evidence.attach_http(answer)
    got = answer.headers.get("strict-transport-security")
    assert tls.hsts_as_documented(got, HSTS_MAX_AGE), red_flag(
        "E3", observed=answer.render(200), host=_name(edge_urls, "admin"), got=got or "absent")


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.redflag("E3")
def test_http_redirects_to_https(host, edge_answer, edge_urls, evidence):
    name = _name(edge_urls, host)
    answer = edge_answer(host, "GET", "/", scheme="http")
    evidence.attach_http(answer)
    location = answer.headers.get("location", "")
    assert answer.status in (301, 302, 307, 308) and location.startswith(f"https://{name}"), red_flag(
        "E3", case="redirect", observed=answer.render(200), host=name,
        got=f"HTTP {answer.status}" + (f", Location {location}" if location else ""))
