"""The lab's certificates: a CA generated per lab (root + issuing CA, as Let's Encrypt's ISRG X1 + R1x), and
a leaf per edge host, written under the lab home (`.lab/edge/`, never committed).

The faults write other leaves in their place (the proxy's default self-signed certificate, one about to
expire) and restart the proxy; `write_leaf` with the defaults puts the healthy one back.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT_CN = "PMS Lab Root CA"
ISSUER_CN = "PMS Lab Issuing CA"
ISSUER_O = "PMS Lab"
DEFAULT_CERT_CN = "TRAEFIK DEFAULT CERT"  # what Traefik serves when no router's certificate matches (§9 #24)
LEAF_DAYS = 90  # as Let's Encrypt


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = ([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)] if org else []) + [
        x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    return x509.Name(attrs)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _ca(subject: x509.Name, key, issuer: x509.Name, signer, days: int, path_len: int) -> x509.Certificate:
    now = _now()
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_len), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(signer, hashes.SHA256()))


def ensure_ca(home: Path) -> Path:
    """The lab CA (root + issuing CA) under `home`, made once; the root's PEM path (the suite's trust anchor)."""
    home.mkdir(parents=True, exist_ok=True)
    root_pem, issuer_pem, issuer_key = home / "ca.pem", home / "issuer.pem", home / "issuer.key"
    if root_pem.exists() and issuer_pem.exists() and issuer_key.exists():
        return root_pem
    root_key, key = _key(), _key()
    root = _ca(_name(ROOT_CN, ISSUER_O), root_key, _name(ROOT_CN, ISSUER_O), root_key, 3650, 1)
    issuer = _ca(_name(ISSUER_CN, ISSUER_O), key, root.subject, root_key, 1825, 0)
    _write(issuer_key, _pem_key(key), 0o600)
    _write(issuer_pem, _pem(issuer))
    _write(root_pem, _pem(root))
    return root_pem


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, mode)
    tmp.replace(path)


def write_leaf(home: Path, host: str, *, days: float = LEAF_DAYS, self_signed_cn: str | None = None) -> None:
    """`<host>.pem` (leaf + issuing CA: the full chain) and `<host>.key`. With `self_signed_cn`, a self-signed
    certificate of that subject instead and no chain (a proxy's default certificate)."""
    ensure_ca(home)
    key, now = _key(), _now()
    if self_signed_cn:
        subject = issuer_name = _name(self_signed_cn)
        signer, chain, sans = key, b"", [x509.DNSName(f"{os.urandom(8).hex()}.traefik.default")]
    else:
        signer = serialization.load_pem_private_key((home / "issuer.key").read_bytes(), None)
        issuer_cert = x509.load_pem_x509_certificate((home / "issuer.pem").read_bytes())
        subject, issuer_name, chain, sans = _name(host), issuer_cert.subject, _pem(issuer_cert), [x509.DNSName(host)]
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(signer, hashes.SHA256()))
    # The proxy runs as uid 1000 and reads the key: readable by it, by no one else.
    _write(home / f"{host}.key", _pem_key(key), 0o600)
    os.chown(home / f"{host}.key", 1000, 1000)
    _write(home / f"{host}.pem", _pem(cert) + chain)


def leaf_is_healthy(home: Path, host: str, min_days: float = 30) -> bool:
    """The host's leaf is the lab CA's, for the host, with more than `min_days` left."""
    try:
        cert = x509.load_pem_x509_certificate((home / f"{host}.pem").read_bytes())
        issuer = x509.load_pem_x509_certificate((home / "issuer.pem").read_bytes())
    except (OSError, ValueError):
        return False
    left = cert.not_valid_after_utc - _now()
    return cert.issuer == issuer.subject and cert.subject == _name(host) and left > dt.timedelta(days=min_days)
