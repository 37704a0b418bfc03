"""A relay between the collection and an emulated client that breaks the answer to the import.

Real sockets on both sides: it serves HTTPS on 127.0.0.1 (the test CA's server certificate)
and forwards every request, one upstream connection each, to the client. For
``POST /v1/settings/restore`` it does what ``mode`` says:

- ``500``: forwards the import, then answers HTTP 500 with a plain-text page (no API envelope),
  as a proxy does when its upstream fails;
- ``cut``: forwards the import, then sends the upstream's status line and headers and half its
  body, and closes the connection (a cut answer);
- ``401``: forwards the import, then answers 401 with the API's envelope (a token refused by a
  proxy or a restarted client: the outcome is unknown);
- ``refuse500``: does not forward it and answers 500 with the API's envelope, as a peer's mock
  of this API answers a backup it cannot decrypt (a clean refusal);
- ``hold``: forwards the import, then holds its answer until ``release`` is set (a test
  interrupts the run meanwhile), and closes the connection without one;
- ``None``: forwards it untouched.

``imports`` counts the imports forwarded to the client.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RESTORE = ("POST", "/v1/settings/restore")
ENVELOPE_500 = {
    "errors": [{"code": 1014, "title": "Internal error", "details": "could not decrypt the backup"}],
    "meta": {"api_status": "stable", "version": "v2.45.1"},
}
ENVELOPE_401 = {
    "errors": [{"code": 1005, "title": "Access denied", "details": "invalid token"}],
    "meta": {"api_status": "stable", "version": "v2.45.1"},
}


class FaultRelay:
    def __init__(self, upstream_port: int, tls_dir: Path, mode: str | None = None, port: int = 0):
        self.upstream_port = upstream_port
        self.mode = mode
        self.imports = 0
        self.release = threading.Event()
        self.tls_dir = Path(tls_dir)
        self._lock = threading.Lock()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                relay.handle(self)

            do_GET = do_POST = do_PATCH = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.tls_dir / "server.pem"), str(self.tls_dir / "server.key"))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultRelay:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _forward(self, handler, body: bytes) -> tuple[int, list, bytes]:
        context = ssl.create_default_context(cafile=str(self.tls_dir / "ca.pem"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.upstream_port, timeout=300, context=context)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "connection")}
            conn.request(handler.command, handler.path, body=body or None, headers=headers)
            answer = conn.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            conn.close()

    def _reply(self, handler, status: int, body: bytes, ctype: str, close: bool = False) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        if close:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        handler.wfile.write(body)

    def handle(self, handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        is_import = (handler.command, handler.path.split("?")[0]) == RESTORE
        if is_import and self.mode == "refuse500":
            self._reply(handler, 500, json.dumps(ENVELOPE_500).encode(), "application/json")
            return
        try:
            status, headers, answer = self._forward(handler, body)
        except OSError:
            handler.close_connection = True  # the client went away: so does the relay's answer
            return
        if is_import:
            with self._lock:
                self.imports += 1
            if self.mode == "hold":
                self.release.wait(120)
                handler.close_connection = True
                return
            if self.mode == "500":
                self._reply(handler, 500, b"Internal Server Error\n", "text/plain", close=True)
                return
            if self.mode == "401":
                self._reply(handler, 401, json.dumps(ENVELOPE_401).encode(), "application/json", close=True)
                return
            if self.mode == "cut":
                handler.send_response(status)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(max(len(answer), 16)))
                handler.end_headers()
                handler.wfile.write(answer[: len(answer) // 2])
                handler.wfile.flush()
                handler.close_connection = True
                return
        ctype = dict((k.lower(), v) for k, v in headers).get("content-type", "application/json")
        self._reply(handler, status, answer, ctype)
