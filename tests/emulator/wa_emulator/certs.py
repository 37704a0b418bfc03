"""Certificates for TLS tests: a private CA with a server certificate, or one self-signed pair.

EC P-256 keys (quick to generate); only x509 builder APIs that cryptography 38 already has.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import atomic

VALID_DAYS = 825


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wa-emulator test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _sans(hostnames: list[str], ips: list[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = [x509.DNSName(h) for h in dict.fromkeys(hostnames) if h]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in dict.fromkeys(ips) if ip]
    return x509.SubjectAlternativeName(names)


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _leaf_extensions(builder: x509.CertificateBuilder, sans: x509.SubjectAlternativeName) -> x509.CertificateBuilder:
    return (
        builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(sans, critical=False)
    )


def make_certs(out: Path, hostnames: list[str], ips: list[str]) -> dict[str, Path]:
    """Write ca.pem, ca.key, server.pem, server.key into ``out``; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca_name = _name("wa-emulator test CA")
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = _key()
    server_cert = (
        _leaf_extensions(
            _builder(_name(hostnames[0] if hostnames else "localhost"), ca_name, server_key.public_key()),
            _sans(hostnames, ips),
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = {name: out / name for name in ("ca.pem", "ca.key", "server.pem", "server.key")}
    atomic.write_bytes(paths["ca.pem"], ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    atomic.write_bytes(paths["ca.key"], _key_pem(ca_key), 0o600)
    atomic.write_bytes(paths["server.pem"], server_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    atomic.write_bytes(paths["server.key"], _key_pem(server_key), 0o600)
    return paths


def ensure_self_signed(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """``DIR/self-signed.pem`` and ``.key``, generated on first use and kept afterwards."""
    directory = Path(directory)
    cert_path, key_path = directory / "self-signed.pem", directory / "self-signed.key"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    directory.mkdir(parents=True, exist_ok=True)
    hostnames = ["localhost", socket.gethostname()]
    ips = ["127.0.0.1", "::1"]
    try:
        ipaddress.ip_address(host)
        if host not in ("0.0.0.0", "::"):
            ips.append(host)
    except ValueError:
        hostnames.append(host)
    key = _key()
    name = _name("wa-emulator self-signed")
    cert = _leaf_extensions(_builder(name, name, key.public_key()), _sans(hostnames, ips)).sign(key, hashes.SHA256())
    atomic.write_bytes(key_path, _key_pem(key), 0o600)
    atomic.write_bytes(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert_path, key_path
