"""The edge checks against small local HTTPS servers (no lab): a proxy's default certificate (`TRAEFIK DEFAULT
CERT`), a certificate expiring in 2 days, a CORS answer with `Access-Control-Allow-Origin: *`, an open host
allowlist, no HSTS and no redirect; and the transport's pinned resolution (SNI and Host intact).

Each scenario runs the operator's command (`python -m pytest -m edge --pms-env staging`) in a subprocess, the
host name `api.edge.test` pinned to the local server with PMS_EDGE_RESOLVE, as the lab's host names are.
"""
from __future__ import annotations

import os
import ssl
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pms_runbook.resources import cors, tls
from pms_runbook.transports.http import Target, Timeouts, parse_pins

ROOT = Path(__file__).resolve().parents[2]
HOST = "api.edge.test"


class Handler(BaseHTTPRequestHandler):
    mode = "good"
    seen_hosts: list = []

    def log_message(self, *args):
        pass

    def _send(self, status: int, headers: dict, body: bytes = b""):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_OPTIONS(self):  # noqa: N802
        origin = self.headers.get("Origin", "")
        if self.mode == "wildcard":
            return self._send(200, {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "*",
                                    "Access-Control-Allow-Headers": "*"})
        return self._send(200, {"Access-Control-Allow-Origin": origin,
                                "Access-Control-Allow-Methods": ", ".join(cors.METHODS),
                                "Access-Control-Allow-Headers": self.headers.get("Access-Control-Request-Headers", "")})

    def do_GET(self):  # noqa: N802
        type(self).seen_hosts.append(self.headers.get("Host"))
        self._send(200, {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59", "X-RateLimit-Window": "60",
                         "Content-Type": "application/json"}, b'{"status":"up"}')


def _serve(tmp_path: Path, cert: Path, key: Path, mode: str, sni: list):
    handler = type("H", (Handler,), {"mode": mode, "seen_hosts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.sni_callback = lambda sock, name, _ctx: sni.append(name)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler


@pytest.fixture
def certs_dir(tmp_path, monkeypatch):
    from lab.edge import certs

    monkeypatch.setattr(os, "chown", lambda *a: None)  # the lab's proxy user: not needed here
    certs.ensure_ca(tmp_path)
    return tmp_path, certs


def _run(server, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    port = server.server_address[1]
    environ = {**os.environ, "PMS_EDGE_RESOLVE": f"{HOST}:443=127.0.0.1:{port}", "PMS_HTTP_CONNECT_TIMEOUT": "2",
               "PMS_HTTP_READ_TIMEOUT": "3", "PMS_HTTP_TOTAL_DEADLINE": "5", **(env or {})}
    environ.pop("PMS_ENV", None)
    cmd = [sys.executable, "-m", "pytest", "-m", "edge", "--pms-env", "staging", "--docker-host", "none",
           "--no-reports", "-p", "no:randomly", f"--edge-api-url=https://{HOST}", *args]
    return subprocess.run(cmd, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)


def test_a_proxy_default_certificate_is_a_red_flag_naming_it(certs_dir):
    home, certs = certs_dir
    certs.write_leaf(home, HOST, self_signed_cn=certs.DEFAULT_CERT_CN)
    server, _ = _serve(home, home / f"{HOST}.pem", home / f"{HOST}.key", "good", [])
    try:
        proc = _run(server, "-k", "own_certificate")
    finally:
        server.shutdown()
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    assert f'RED FLAG: {HOST} presents the proxy\'s default certificate "TRAEFIK DEFAULT CERT"' in out, out[-3000:]
    assert "fix: fix the Coolify router rule" in out and "tls.certresolver=letsencrypt" in out


def test_a_certificate_expiring_in_two_days_is_a_red_flag_with_the_date(certs_dir):
    home, certs = certs_dir
    certs.write_leaf(home, HOST, days=2)
    server, _ = _serve(home, home / f"{HOST}.pem", home / f"{HOST}.key", "good", [])
    try:
        proc = _run(server, "-k", "own_certificate or valid_long_enough",
                    env={"PMS_EDGE_CA_FILE": str(home / "ca.pem"), "PMS_EDGE_ISSUER": certs.ISSUER_CN})
    finally:
        server.shutdown()
    out = proc.stdout + proc.stderr
    date = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d")
    assert proc.returncode == 1, out[-3000:]
    assert f"RED FLAG: the certificate of {HOST} expires on {date}" in out and "fewer than 14" in out, out[-3000:]
    assert "1 failed" in out and "1 passed" in out, out[-3000:]  # E1: its own certificate, the expected issuer


def test_cors_answering_a_wildcard_is_a_red_flag(certs_dir):
    home, certs = certs_dir
    certs.write_leaf(home, HOST)
    server, _ = _serve(home, home / f"{HOST}.pem", home / f"{HOST}.key", "wildcard", [])
    try:
        proc = _run(server, "-k", "preflight", env={"PMS_EDGE_CA_FILE": str(home / "ca.pem"),
                                                    "PMS_EDGE_ORIGINS": "https://admin.edge.test"})
    finally:
        server.shutdown()
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    assert "RED FLAG: CORS answers with a wildcard (Access-Control-Allow-Origin, Access-Control-Allow-Headers" in out
    # the undocumented header is not refused either (200, not the documented 400)
    assert "not refused with the documented 400 (HTTP 200)" in out, out[-3000:]
    assert "3 failed" in out, out[-3000:]


def test_an_open_allowlist_is_a_red_flag(certs_dir):
    """The server allows every host: E5 (open) red; the public host allowed and the rate-limit headers there."""
    home, certs = certs_dir
    certs.write_leaf(home, HOST)
    server, _ = _serve(home, home / f"{HOST}.pem", home / f"{HOST}.key", "good", [])
    try:
        proc = _run(server, "-k", "host_is_allowed or documented_403 or rate_limit",
                    env={"PMS_EDGE_CA_FILE": str(home / "ca.pem")})
    finally:
        server.shutdown()
    out = proc.stdout + proc.stderr
    assert "RED FLAG: the API's host allowlist lets an unknown host through (unknown.example: HTTP 200)" in out
    assert proc.returncode == 1 and "1 failed, 2 passed" in out, out[-3000:]


def test_pinned_resolution_keeps_sni_and_host(certs_dir):
    home, certs = certs_dir
    certs.write_leaf(home, HOST)
    sni: list = []
    server, handler = _serve(home, home / f"{HOST}.pem", home / f"{HOST}.key", "good", sni)
    try:
        pins = parse_pins(f"{HOST}:443=127.0.0.1:{server.server_address[1]}")
        target = Target(f"https://{HOST}", Timeouts(2, 3, 5), pins=pins, ca_file=str(home / "ca.pem"))
        answer = target.get("/health")
        target.close()
        cert = tls.read_certificate(HOST, pins=pins, ca_file=str(home / "ca.pem"), timeout=3)
    finally:
        server.shutdown()
    assert answer.status == 200 and handler.seen_hosts == [HOST] and HOST in sni
    assert cert.verified and cert.matches(HOST) and tls.issued_by(cert, certs.ISSUER_CN)
    assert 89 < cert.days_left() < 91 and not tls.chain_incomplete(cert)


def test_pins_are_parsed_or_refused():
    assert parse_pins("a.test:443=127.0.0.1:18443, a.test:80=127.0.0.1:18080") == {
        "a.test:443": ("127.0.0.1", 18443), "a.test:80": ("127.0.0.1", 18080)}
    for bad in ("a.test=127.0.0.1:1", "a.test:443=127.0.0.1", "a.test:443:127.0.0.1:1"):
        with pytest.raises(ValueError):
            parse_pins(bad)


def test_hsts_and_preflight_judgement():
    assert tls.hsts_as_documented("max-age=31536000; includeSubDomains", 31536000)
    assert not tls.hsts_as_documented("max-age=300; includeSubDomains", 31536000)
    assert not tls.hsts_as_documented("max-age=31536000", 31536000) and not tls.hsts_as_documented(None, 1)


def test_no_hsts_on_the_admin_host_and_no_redirect_are_red_flags(certs_dir):
    """The admin host answers without strict-transport-security, and plain HTTP answers 200 instead of
    redirecting: E3 red, both ways."""
    home, certs = certs_dir
    admin = "admin.edge.test"
    certs.write_leaf(home, admin)
    server, _ = _serve(home, home / f"{admin}.pem", home / f"{admin}.key", "good", [])
    plain = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=plain.serve_forever, daemon=True).start()
    try:
        pins = (f"{admin}:443=127.0.0.1:{server.server_address[1]},{HOST}:80=127.0.0.1:{plain.server_address[1]},"
                f"{admin}:80=127.0.0.1:{plain.server_address[1]}")
        proc = _run(server, "-k", "hsts or redirects_to_https", f"--edge-admin-url=https://{admin}",
                    env={"PMS_EDGE_CA_FILE": str(home / "ca.pem"), "PMS_EDGE_RESOLVE": pins})
    finally:
        server.shutdown()
        plain.shutdown()
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    assert f"RED FLAG: {admin} does not send HSTS as documented (strict-transport-security: absent)" in out
    assert f"RED FLAG: http://{HOST}/ is not redirected to HTTPS (HTTP 200)" in out, out[-3000:]
    assert "3 failed" in out, out[-3000:]


def test_the_browser_trusts_a_pinned_hosts_key_only_after_its_chain_verified(certs_dir, tmp_path):
    """Chromium has no lab CA: the walk's --ignore-certificate-errors-spki-list names the leaf the suite verified
    against the CA for this name, and nothing when it does not verify (another CA, a self-signed leaf)."""
    import base64
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    home, certs = certs_dir
    certs.write_leaf(home, HOST)
    server, _ = _serve(home, home / f"{HOST}.pem", home / f"{HOST}.key", "good", [])
    try:
        pins = parse_pins(f"{HOST}:443=127.0.0.1:{server.server_address[1]}")
        pin = tls.verified_key_pin(HOST, 443, pins=pins, ca_file=str(home / "ca.pem"), timeout=3)
        other = tmp_path / "other"
        other.mkdir()
        certs.ensure_ca(other)  # another lab's CA: the same leaf does not verify against it
        refused = tls.verified_key_pin(HOST, 443, pins=pins, ca_file=str(other / "ca.pem"), timeout=3)
    finally:
        server.shutdown()
    leaf = x509.load_pem_x509_certificate((home / f"{HOST}.pem").read_bytes())
    spki = leaf.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert pin == base64.b64encode(hashlib.sha256(spki).digest()).decode()
    assert refused is None


def test_the_browser_reaches_a_pinned_admin_host_by_the_suites_pins():
    from types import SimpleNamespace

    from fixtures.browser import _edge_args

    settings = SimpleNamespace(edge_resolve="admin.x.test:443=127.0.0.1:18443,api.x.test:443=127.0.0.1:18443",
                               admin_url="https://admin.x.test", edge_ca_file=None, http_connect_timeout=1)
    assert _edge_args(settings) == [
        "--host-resolver-rules=MAP admin.x.test:443 127.0.0.1:18443, MAP api.x.test:443 127.0.0.1:18443"]
    assert _edge_args(SimpleNamespace(**{**vars(settings), "admin_url": "https://admin.example.org"})) == []


def _allowlist_answer(host: str, allowed: tuple[str, ...], status: int | None = None):
    import json

    from pms_runbook.transports.http import Answer

    if status is None and host in allowed:
        return Answer("GET", "https://api.edge.test/api/v1/public/ping", 200, {}, b'{"status":"ok"}', 1.0)
    body = {"detail": {"error": "host_not_allowed", "message": f"Host '{host}' not allowed. Configure ALLOWED_HOSTS "
                       "environment variable.", "host": host, "allowed_hosts": list(allowed)}}
    return Answer("GET", "https://api.edge.test/api/v1/public/ping", status or 403, {},
                  json.dumps(body).encode() if status is None else b"{}", 1.0)


def test_every_agency_domain_is_asked_and_the_fix_names_the_whole_list():
    """E5 for every tenant: the refused domains, and ALLOWED_HOSTS as it must be (the list the 403 body names, with
    the refused ones added), so the fix is the value to paste."""
    allowed = ("api.edge.test", "fewo.edge.test")
    domains = ["fewo.edge.test", "booking.customer.test", "partner.edge.test"]
    survey = cors.survey_hosts(lambda d: _allowlist_answer(d, allowed), domains)
    assert list(survey.refused) == ["booking.customer.test", "partner.edge.test"] and not survey.unasked
    assert survey.allowlist_with_refused() == "api.edge.test,fewo.edge.test,booking.customer.test,partner.edge.test"

    from pms_runbook import catalogue

    m = catalogue.message("E5", case="domains", names={"backend": "pms-backend"}, observed="-", count=2,
                          hosts=", ".join(survey.refused), allowed_hosts=survey.allowlist_with_refused())
    assert m.words.startswith("2 agency domain(s) of agency_domains are refused") and "partner.edge.test" in m.words
    assert ("ALLOWED_HOSTS=api.edge.test,fewo.edge.test,booking.customer.test,partner.edge.test" in m.fix
            and "redeploy pms-backend" in m.fix), m.fix

    everyone = cors.survey_hosts(lambda d: _allowlist_answer(d, tuple(domains)), domains)
    assert not everyone.refused and not everyone.unasked


def test_a_rate_limited_survey_names_the_domains_it_did_not_ask():
    asked: list[str] = []

    def ask(domain):
        asked.append(domain)
        return _allowlist_answer(domain, ("a.test",), status=429 if len(asked) == 2 else None)

    survey = cors.survey_hosts(ask, ["a.test", "b.test", "c.test"])
    assert asked == ["a.test", "b.test"] and survey.unasked == ("b.test", "c.test") and not survey.refused


def _answer(status: int, body: object = None):
    import json

    from pms_runbook.transports.http import Answer

    return Answer("GET", "https://api.edge.test/x", status, {}, json.dumps(body).encode() if body is not None else b"",
                  1.0)


def test_the_allowlist_is_asked_only_when_the_backend_judges_the_header_sent():
    """The documented smoke's "403 or skip (proxy may strip)": a proxy replacing X-Forwarded-Host (or
    TRUST_PROXY_HEADERS=false) leaves the allowlist judging the API's own host, so its answers say nothing of the
    hosts asked. The 403 names the host judged; a let-through unknown host is told apart by the tenant the site
    settings resolve by the header and by ?public_host=."""
    from pms_runbook.redflag import CouldNotCheck

    def refused(host):
        return _answer(403, {"detail": {"error": "host_not_allowed", "host": host, "allowed_hosts": ["api.edge.test"]}})

    ops, other = {"agency_id": "a-ops"}, {"agency_id": "a-other"}
    never = lambda: pytest.fail("the 403 tells: no settings asked")  # noqa: E731
    assert cors.forwarded_host(refused("unknown.example"), never, never, "fewo.test").reaches is True
    rewritten = cors.forwarded_host(refused("api.edge.test"), never, never, "fewo.test")
    assert rewritten.reaches is False and rewritten.seen == "api.edge.test"
    with pytest.raises(CouldNotCheck, match=r"does not judge the X-Forwarded-Host .* the 403 names api\.edge\.test"):
        rewritten.require("the host allowlist for fewo.test")

    through = _answer(200, {"status": "ok"})
    open_list = cors.forwarded_host(through, lambda: _answer(200, ops), lambda: _answer(200, ops), "fewo.test")
    assert open_list.reaches is True  # the header reached: the allowlist itself lets every host through (E5 red)
    open_list.require("anything")
    stripped = cors.forwarded_host(through, lambda: _answer(404, {"detail": "no agency"}), lambda: _answer(200, ops),
                                   "fewo.test")
    assert stripped.reaches is False and "HTTP 404, with ?public_host=fewo.test -> agency a-ops" in stripped.observed
    assert cors.forwarded_host(through, lambda: _answer(200, other), lambda: _answer(200, ops),
                               "fewo.test").reaches is False
    assert cors.forwarded_host(through, lambda: _answer(200, ops), lambda: _answer(404), "fewo.test").reaches is None
    assert cors.forwarded_host(_answer(500), never, never, "fewo.test").reaches is None
