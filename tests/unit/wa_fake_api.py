# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test doubles of the unit tests (imported as ansible_collections.wabiz.migration.tests.unit.wa_fake_api).

- ``FakeWA``: a tiny, real HTTP server on 127.0.0.1 that speaks just enough of the WhatsApp
  Business API (login, health, account, backup, restore, settings) with scripted faults, so that
  the modules and the client are exercised over real sockets;
- ``make_tls``: a private CA and server certificates (made with cryptography) for the TLS cases;
- ``RawServer``: a socket server with a scripted behaviour (close after the request, reset,
  send HTML...), for the transport cases.
"""

import base64
import datetime
import hashlib
import ipaddress
import json
import socket
import ssl
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ADMIN_PASSWORD = "Adm1n-Secret!pw"
USER_PASSWORD = "Us3r-Secret!pw"
BACKUP_PASSWORD = "Backup-Secret#42"


# ---------------------------------------------------------------------------- the fake API


def meta(version):
    return {"api_status": "stable", "version": version}


def error_body(code, title, details, version="v2.45.1"):
    return {"errors": [{"code": code, "title": title, "details": details}], "meta": meta(version)}


class FakeWA:
    """State and behaviour of the fake API; tests change the attributes freely."""

    def __init__(self):
        self.lock = threading.Lock()
        self.users = {"admin": (ADMIN_PASSWORD, "admin"), "bob": (USER_PASSWORD, "user")}
        self.tokens = {}
        self.version = "v2.45.1"
        self.health = {"gateway_status": "connected"}
        self.account = {"account": [{"cc": "1", "phone_number": "5550001111"}]}
        self.settings = {"webhooks": {"url": "https://hooks.example.com/wa"}, "callback_persist": True}
        self.about = "We answer fast"
        self.registered = True
        self.shards = 1
        self.log = []
        self.faults = []
        self.restore_mode = "null"  # null | empty | meta | close | text
        self.backup_body = None  # override the backup answer (a dict)
        self.restored = []
        self.restore_bodies = []  # the raw bytes of every restore request's body
        self.connections = set()  # client ports seen: one per TCP connection
        self.url = None

    # -- helpers for tests
    def use_multiconnect(self, coreapps=2, connected=None, registered=True, masters=1, uninitialized=False):
        connected = coreapps if connected is None else connected
        health = {}
        for i in range(masters):
            status = "connected" if registered and i == 0 else "disconnected"
            if not registered:
                status = "unregistered"
            if uninitialized:
                status = "uninitialized"
            health[f"wa-master-{i + 1}:{i + 1:04x}"] = {
                "gateway_status": status,
                "role": "primary_master" if i == 0 else "secondary_master",
            }
        for i in range(coreapps):
            if uninitialized:
                status = "uninitialized"
            elif not registered:
                status = "unregistered"
            else:
                status = "connected" if i < connected else "disconnected"
            health[f"wa-core-{i + 1}:{0x100 + i:04x}"] = {"gateway_status": status, "role": "coreapp"}
        self.health = health
        self.registered = registered
        self.shards = connected if registered else coreapps

    def unregister(self):
        self.registered = False
        if "gateway_status" in self.health and len(self.health) == 1:
            self.health = {"gateway_status": "unregistered"}
        else:
            for node in self.health.values():
                node["gateway_status"] = "unregistered"

    def fault(self, status=503, body=None, ctype="application/json", path=None, action="respond", times=1):
        for _i in range(times):
            self.faults.append(dict(status=status, body=body, ctype=ctype, path=path, action=action))

    def requests(self, method=None, path=None):
        return [e for e in self.log if (method is None or e[0] == method) and (path is None or e[1] == path)]

    def make_backup(self, password):
        doc = {
            "pw": hashlib.sha256(password.encode()).hexdigest(),
            "shards": self.shards,
            "settings": self.settings,
        }
        return "FAKE1" + base64.b64encode(json.dumps(doc).encode()).decode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-wa"

    def log_message(self, *args):  # quiet
        pass

    @property
    def wa(self):
        return self.server.wa

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.raw_body = raw
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return "<not json>"

    def _send(self, status, body, ctype="application/json"):
        if isinstance(body, (dict, list)) or (body is None and ctype == "application/json"):
            payload = b"" if body is None else json.dumps(body).encode()
        elif isinstance(body, str):
            payload = body.encode()
        else:
            payload = body or b""
        with self.wa.lock:  # logged before answering, so that a test sees it as soon as its call returns
            self.wa.log.append((self.command, self.path, status))
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _cut(self, status, body):
        """Announce the whole body, send half of it, close: a connection broken mid-answer."""
        payload = json.dumps(body).encode()
        with self.wa.lock:
            self.wa.log.append((self.command, self.path, status))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _drop(self):
        with self.wa.lock:
            self.wa.log.append((self.command, self.path, None))
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _ok(self, body=None, status=200):
        body = dict(body or {})
        body["meta"] = meta(self.wa.version)
        self._send(status, body)

    def _err(self, status, code, title, details):
        self._send(status, error_body(code, title, details, self.wa.version))

    def _user(self, admin=False):
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            self._err(401, 1005, "Access denied", "Missing bearer token")
            return None
        user = self.wa.tokens.get(auth[len("Bearer ") :])
        if user is None:
            self._err(401, 1005, "Access denied", "Invalid or expired token")
            return None
        if admin and self.wa.users[user][1] != "admin":
            self._err(403, 1005, "Access denied", "This endpoint needs the admin user")
            return None
        return user

    def _fault(self):
        for i, fault in enumerate(self.wa.faults):
            if fault["path"] is None or self.path.startswith(fault["path"]):
                del self.wa.faults[i]
                return fault
        return None

    def _handle(self):
        with self.wa.lock:
            self.wa.connections.add(self.client_address[1])
        body = self._body()
        fault = self._fault()
        if fault is not None:
            if fault["action"] == "close":
                return self._drop()
            if fault["action"] == "cut":
                return self._cut(fault["status"], fault["body"])
            return self._send(fault["status"], fault["body"], fault["ctype"])
        path, method, wa = self.path, self.command, self.wa
        if path == "/v1/users/login" and method == "POST":
            auth = self.headers.get("Authorization") or ""
            try:
                user, _sep, password = base64.b64decode(auth.split(" ", 1)[1]).decode().partition(":")
            except Exception:
                user, password = None, None
            if user not in wa.users or wa.users[user][0] != password:
                return self._err(401, 1005, "Access denied", "Invalid credentials")
            token = f"tok-{user}-{len(wa.tokens)}-{hashlib.sha256(password.encode()).hexdigest()[:24]}"
            wa.tokens[token] = user
            return self._ok({"users": [{"token": token, "expires_after": "2099-01-01 00:00:00+00:00"}]})
        if path == "/v1/health" and method == "GET":
            if self._user():
                self._ok({"health": wa.health})
            return None
        if path == "/v1/account" and method == "GET":
            if self._user():
                if wa.account is None:
                    self._err(404, 1006, "Resource not found", "Unknown path")
                else:
                    self._ok(wa.account)
            return None
        if path == "/v1/settings/backup" and method == "POST":
            if not self._user(admin=True):
                return None
            if not wa.registered:
                return self._err(400, 1006, "Resource not found", "The client is not registered")
            if wa.backup_body is not None:
                return self._send(200, wa.backup_body)
            return self._ok({"settings": {"data": wa.make_backup(body["password"])}})
        if path == "/v1/settings/restore" and method == "POST":
            if not self._user(admin=True):
                return None
            wa.restore_bodies.append(self.raw_body)
            try:
                doc = json.loads(base64.b64decode(body["data"][5:]))
            except Exception:
                return self._err(400, 1009, "Parameter value is not valid", "The backup data is damaged")
            if doc["pw"] != hashlib.sha256(body["password"].encode()).hexdigest():
                return self._err(400, 1009, "Parameter value is not valid", "Could not decrypt: wrong password?")
            wa.restored.append(doc)
            wa.registered = True
            if wa.restore_mode == "close":
                return self._drop()
            if wa.restore_mode == "empty":
                return self._send(200, b"", None)
            if wa.restore_mode == "meta":
                return self._ok({})
            if wa.restore_mode == "text":
                return self._send(200, b"null")
            return self._send(200, b"null")
        if path == "/v1/settings/application":
            if not self._user():
                return None
            if method == "GET":
                return self._ok({"settings": {"application": wa.settings}})
            if method == "PATCH":
                wa.settings.update(body or {})
                return self._ok({})
        if path == "/v1/settings/profile/about":
            if not self._user():
                return None
            if method == "GET":
                return self._ok({"settings": {"profile": {"about": {"text": wa.about}}}})
            if method == "PATCH":
                wa.about = body["text"]
                return self._ok({})
        return self._err(404, 1006, "Resource not found", f"Unknown path {path}")

    do_GET = do_POST = do_PATCH = do_DELETE = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return thread


# ---------------------------------------------------------------------------- TLS material


class TLSMaterial:
    pass


def make_tls(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def key():
        return ec.generate_private_key(ec.SECP256R1())

    def pem_key(k):
        return k.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    ca_key = key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wabiz test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(names, ips):
        k = key()
        sans = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (names or ips)[0])]))
            .issuer_name(ca_name)
            .public_key(k.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        return cert, k

    material = TLSMaterial()
    material.ca = str(directory / "ca.pem")
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert, k = leaf(["localhost"], ["127.0.0.1"])
    material.cert = str(directory / "server.pem")
    material.key = str(directory / "server.key")
    (directory / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "server.key").write_bytes(pem_key(k))
    other, ok = leaf(["other.example"], [])
    material.other_cert = str(directory / "other.pem")
    material.other_key = str(directory / "other.key")
    (directory / "other.pem").write_bytes(other.public_bytes(serialization.Encoding.PEM))
    (directory / "other.key").write_bytes(pem_key(ok))
    return material


# ---------------------------------------------------------------------------- raw servers


class RawServer:
    """Accepts connections and runs ``behaviour(conn, request_bytes)`` for each one."""

    def __init__(self, behaviour, context=None):
        self.behaviour = behaviour
        self.context = context
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.stopped = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stopped:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        try:
            if self.context is not None:
                conn = self.context.wrap_socket(conn, server_side=True)
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _sep, rest = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            while len(rest) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                rest += chunk
            self.requests.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
            self.behaviour(conn, data)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stopped = True
        self.sock.close()


def reset(conn, _request=None):
    """Abort the connection with a TCP RST."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def respond(status, body, ctype="text/html"):
    def behaviour(conn, _request):
        payload = body if isinstance(body, bytes) else body.encode()
        head = f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {len(payload)}\r\n"
        head += "Connection: close\r\n\r\n"
        conn.sendall(head.encode() + payload)

    return behaviour


# ---------------------------------------------------------------------------- running a module


def run_module(module, args, check_mode=False, no_log=False):
    """Run ``module.main()`` with ``args``; returns (failed, result, raw_output)."""
    import contextlib
    import io

    from ansible.module_utils.common import warnings as module_warnings
    from ansible.module_utils.testing import patch_module_args

    # A module process starts with no warnings; in one test process they would pile up.
    module_warnings._global_warnings.clear()
    module_warnings._global_deprecations.clear()
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    if no_log:
        args["_ansible_no_log"] = True
    out = io.StringIO()
    code = None
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit as exc:
            code = exc.code
        else:
            raise AssertionError("the module did not exit")
    raw = out.getvalue()
    result = json.loads(raw)
    assert bool(code) == bool(result.get("failed")), raw
    return bool(result.get("failed")), result, raw


def warnings_of(result):
    """The warning texts of a module result (ansible-core 2.19 wraps them in WarningSummary objects)."""
    texts = []
    for warning in result.get("warnings") or []:
        if isinstance(warning, dict):
            event = warning.get("event") or {}
            texts.append(event.get("msg") or warning.get("msg") or json.dumps(warning))
        else:
            texts.append(str(warning))
    return texts
