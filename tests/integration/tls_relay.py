"""A TLS front for this machine's Docker engine that requires client certificates, with its own PKI.

    pki = make_pki(tmp_path / "pki")          # ca.pem, server.pem/key, client.pem/key, other-ca.pem
    with TLSRelay(pki) as relay:
        relay.docker_host                     # tcp://127.0.0.1:PORT
        relay.verified                        # connections whose client certificate was verified

It listens on 127.0.0.1 (a free port), completes the TLS handshake (a client without a certificate
signed by the test CA is refused), then pipes bytes to the engine's unix socket: what
``dockerd --tlsverify`` does, without reconfiguring the machine's engine.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ENGINE_SOCKET = "/var/run/docker.sock"


class PKI:
    """The files of make_pki's PKI."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.ca = directory / "ca.pem"
        self.server = directory / "server.pem"
        self.server_key = directory / "server.key"
        self.client = directory / "client.pem"
        self.client_key = directory / "client.key"
        self.other_ca = directory / "other-ca.pem"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path: Path, key) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool, extensions=()) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _ca(path: Path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    cert = _certificate(name, key, name, key, ca=True, extensions=[usage])
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key


def make_pki(directory: Path) -> PKI:
    """A test CA, a server certificate for 127.0.0.1, a client certificate, and an unrelated CA."""
    directory.mkdir(parents=True, exist_ok=True)
    pki = PKI(directory)
    ca_key = _ca(pki.ca, "wabiz test docker CA")
    _ca(pki.other_ca, "some other CA")
    for cert_path, key_path, subject, extensions in (
        (
            pki.server,
            pki.server_key,
            "127.0.0.1",
            [
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
            ],
        ),
        (pki.client, pki.client_key, "wabiz test client", [x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])]),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        _write_key(key_path, key)
        cert = _certificate(subject, key, "wabiz test docker CA", ca_key, ca=False, extensions=extensions)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pki


def _pipe(source: socket.socket, destination: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            destination.sendall(chunk)
    for sock in (source, destination):
        with contextlib.suppress(OSError):
            sock.close()


class TLSRelay:
    """Accepts TLS connections with a verified client certificate and pipes them to the engine's socket."""

    def __init__(self, pki: PKI):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca))
        self.context.load_cert_chain(str(pki.server), str(pki.server_key))
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.verified = 0
        self.refused = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def docker_host(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def __enter__(self) -> TLSRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopped.set()
        self.listener.close()
        self._thread.join(timeout=10)

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(30)
        try:
            tls = self.context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            with self._lock:
                self.refused += 1
            client.close()
            return
        tls.settimeout(None)
        with self._lock:
            self.verified += 1
        engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            engine.connect(ENGINE_SOCKET)
        except OSError:
            tls.close()
            engine.close()
            return
        threading.Thread(target=_pipe, args=(engine, tls), daemon=True).start()
        _pipe(tls, engine)
