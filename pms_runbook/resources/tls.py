"""The certificate a host presents (`openssl s_client -connect host:443 -servername host | openssl x509 -subject
-issuer -enddate`, contract §9 #24, §10.4): subject, issuer, names, validity, and whether the chain it sends
verifies against the trust store (the system's, or the configured CA file).

Read once per host by the run's probe (`fixtures/edge.py`): one TLS handshake that verifies, and when it does
not, a second that only reads the certificate, so that a wrong certificate is still described.
"""
from __future__ import annotations

import os
import socket
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime

from pms_runbook.redflag import CouldNotCheck

DEFAULT_CERT_SUBJECTS = ("TRAEFIK DEFAULT CERT", "Kubernetes Ingress Controller Fake Certificate",
                         "Caddy Local Authority")  # proxies' own certificates, never a site's


@dataclass(frozen=True)
class Certificate:
    host: str
    subject_cn: str
    subject: str  # "CN=..., O=..."
    issuer_cn: str
    issuer: str
    names: tuple[str, ...]  # the subjectAltName DNS entries
    not_after: datetime
    verified: bool  # the chain the host sent verifies to a trusted root, for this host name
    verify_error: str | None  # OpenSSL's reason when it does not ("unable to get local issuer certificate", ...)

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    def days_left(self, now: datetime | None = None) -> float:
        return (self.not_after - (now or datetime.now(UTC))).total_seconds() / 86400

    def matches(self, host: str) -> bool:
        host = host.lower()
        for name in self.names or (self.subject_cn,):
            name = name.lower()
            if name == host or (name.startswith("*.") and host.split(".", 1)[-1] == name[2:] and "." in host):
                return True
        return False

    def describe(self) -> str:
        return (f"subject {self.subject}; issuer {self.issuer}; DNS names {', '.join(self.names) or '-'}; "
                f"notAfter {self.not_after:%Y-%m-%d %H:%M} UTC; chain "
                + ("verified" if self.verified else f"NOT verified ({self.verify_error})"))


def _dn(rdns) -> tuple[str, str]:
    parts = [(k, v) for rdn in rdns for k, v in rdn]
    short = {"commonName": "CN", "organizationName": "O", "countryName": "C", "organizationalUnitName": "OU"}
    cn = next((v for k, v in parts if k == "commonName"), "")
    return cn, ", ".join(f"{short.get(k, k)}={v}" for k, v in parts)


def parse_der(host: str, der: bytes, *, verified: bool, verify_error: str | None) -> Certificate:
    """The certificate's facts, decoded by the ssl module's own decoder (no third-party parser in a daily run)."""
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(ssl.DER_cert_to_PEM_cert(der))
        info = ssl._ssl._test_decode_cert(path)  # noqa: SLF001 - the stdlib's decoder behind getpeercert()
    finally:
        os.unlink(path)
    subject_cn, subject = _dn(info.get("subject", ()))
    issuer_cn, issuer = _dn(info.get("issuer", ()))
    names = tuple(v for k, v in info.get("subjectAltName", ()) if k == "DNS")
    not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(info["notAfter"]), UTC)
    return Certificate(host, subject_cn, subject, issuer_cn, issuer, names, not_after, verified, verify_error)


def _handshake(address: tuple[str, int], host: str, context: ssl.SSLContext, timeout: float) -> bytes:
    with socket.create_connection(address, timeout=timeout) as sock, \
            context.wrap_socket(sock, server_hostname=host) as tls:
        return tls.getpeercert(binary_form=True)


def read_certificate(host: str, port: int = 443, *, pins: dict[str, tuple[str, int]] | None = None,
                     ca_file: str | None = None, timeout: float = 5.0) -> Certificate:
    """The certificate `host` presents on `port` (SNI = host), reached at its pinned address if any."""
    address = (pins or {}).get(f"{host}:{port}".lower(), (host, port))
    what = f"TLS {host}:{port}" + (f" (at {address[0]}:{address[1]})" if address != (host, port) else "")
    verifying = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    try:
        return parse_der(host, _handshake(address, host, verifying, timeout), verified=True, verify_error=None)
    except ssl.SSLCertVerificationError as exc:
        error = exc.verify_message or str(exc)
    except ssl.SSLError as exc:
        raise CouldNotCheck(what, f"the TLS handshake failed: {exc.reason or exc}") from None
    except TimeoutError:
        raise CouldNotCheck(what, f"no TLS answer within {timeout:g}s") from None
    except OSError as exc:
        raise CouldNotCheck(what, f"the connection failed: {exc.strerror or exc}") from None
    reading = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    reading.check_hostname, reading.verify_mode = False, ssl.CERT_NONE
    try:
        der = _handshake(address, host, reading, timeout)
    except (OSError, ssl.SSLError) as exc:
        raise CouldNotCheck(what, f"the certificate could not be read: {exc}") from None
    return parse_der(host, der, verified=False, verify_error=error)


def verified_key_pin(host: str, port: int, *, pins: dict[str, tuple[str, int]], ca_file: str,
                     timeout: float = 5.0) -> str | None:
    """base64(sha256(SubjectPublicKeyInfo)) of the leaf `host` presents, if its chain verifies against `ca_file`
    for this name (Chromium's --ignore-certificate-errors-spki-list); None otherwise."""
    import base64
    import hashlib

    from cryptography import x509  # the browser walk's only: a daily run without it never imports this
    from cryptography.hazmat.primitives import serialization

    address = pins.get(f"{host}:{port}".lower(), (host, port))
    try:
        der = _handshake(address, host, ssl.create_default_context(cafile=ca_file), timeout)
    except (OSError, ssl.SSLError):
        return None
    spki = x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def issued_by(cert: Certificate, expected: str) -> bool:
    """The issuer names `expected` (its CN or O contain it, any case): "Let's Encrypt" matches O=Let's Encrypt,
    CN=R11; a list separated by '|' accepts any of them."""
    issuer = cert.issuer.lower()
    return any(e.strip().lower() in issuer for e in expected.split("|") if e.strip())


def identity_problems(cert: Certificate, host: str, expected_issuer: str | None) -> list[str]:
    """Why the certificate is not the host's own (E1): not its name, not the expected issuer, untrusted."""
    found = []
    if not cert.matches(host):
        found.append(f"it is for {', '.join(cert.names) or cert.subject_cn or 'no name'}, not {host}")
    if expected_issuer and not issued_by(cert, expected_issuer):
        found.append(f"issuer {cert.issuer or '-'} is not {expected_issuer}")
    if cert.self_signed:
        found.append("it is self-signed")
    return found


CHAIN_ERRORS = ("unable to get local issuer certificate", "unable to verify the first certificate",
                "certificate chain too long", "unable to get issuer certificate")


def chain_incomplete(cert: Certificate) -> bool:
    """The chain did not verify for want of an intermediate (the leaf itself is fine otherwise)."""
    return not cert.verified and any(e in (cert.verify_error or "") for e in CHAIN_ERRORS)


def hsts_as_documented(value: str | None, max_age: int) -> bool:
    """`strict-transport-security: max-age=31536000; includeSubDomains` (a longer max-age is as good)."""
    if not value:
        return False
    parts = [p.strip().lower() for p in value.split(";")]
    age = next((p.split("=", 1)[1].strip('" ') for p in parts if p.startswith("max-age=")), "")
    return age.isdigit() and int(age) >= max_age and "includesubdomains" in parts
