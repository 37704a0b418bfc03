"""HTTP/1.1 plumbing: keep-alive, exact Content-Length, TLS per connection, clean shutdown."""

from __future__ import annotations

import contextlib
import http
import os
import signal
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import __version__, lifecycle
from .app import App
from .config import Config
from .envelope import ApiError
from .messages import Request, Response

MAX_BODY = 512 * 1024 * 1024
CHUNK = 1 << 16


class _BodyError(Exception):
    def __init__(self, status: int, details: str):
        super().__init__(details)
        self.status, self.details = status, details


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"wa-emulator/{__version__}"
    sys_version = ""
    timeout = 300  # idle keep-alive connections are closed after this

    server: Server

    def version_string(self) -> str:
        return self.server_version

    def setup(self):
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # Nothing of a request is printed: a request line may carry a secret.
    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_OPTIONS(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch(head=True)

    def send_error(self, code, message=None, explain=None):
        """Errors the base class detects (bad request line, headers too long...), as JSON."""
        app = self.server.app
        try:
            phrase = http.HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        exc = ApiError(code, 1000 if code != 404 else 1006, phrase, phrase)
        app.reqlog.write(getattr(self, "command", None), None, code)
        self.close_connection = True
        self._write(app.error(exc), head=False, close=True)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";")[0].strip() or b"x", 16)
                except ValueError as exc:
                    raise _BodyError(400, "malformed chunked body") from exc
                if size == 0:
                    while self.rfile.readline(1024).strip():
                        pass
                    return b"".join(parts)
                total += size
                if total > MAX_BODY:
                    raise _BodyError(413, "request body too large")
                parts.append(self.rfile.read(size))
                self.rfile.readline(8)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            size = int(length)
        except ValueError as exc:
            raise _BodyError(400, "invalid Content-Length") from exc
        if size < 0:
            raise _BodyError(400, "invalid Content-Length")
        if size > MAX_BODY:
            raise _BodyError(413, "request body too large")
        data = self.rfile.read(size)
        if len(data) != size:
            raise ConnectionError("client closed the connection mid-body")
        return data

    def _dispatch(self, head: bool = False):
        app = self.server.app
        method = self.command
        path = urlsplit(self.path).path
        path = path.rstrip("/") or "/"
        try:
            body = self._read_body()
        except _BodyError as exc:
            app.reqlog.write(method, path, exc.status)
            self._write(app.error(ApiError(exc.status, 1009 if exc.status == 400 else 1000, exc.details)), close=True)
            return
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True
            return
        headers = {k.lower(): v for k, v in self.headers.items()}

        def abort(code: int, note: str) -> None:
            app.reqlog.write(method, path, None, note)
            lifecycle.record(app.data_dir, "exit", reason=note, code=code)
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            sys.stdout.flush()
            os._exit(code)

        request = Request(method, path, headers, body, abort)
        del body
        response = app.handle(request)
        del request
        app.reqlog.write(method, path, response.status or None, response.fault)
        if response.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self._write(response, head=head)
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True
            return
        if response.after:
            response.after()

    def _write(self, response: Response, head: bool = False, close: bool = False):
        payload = b"" if response.stream is not None else response.payload()
        length = response.length if response.stream is not None else len(payload)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(length))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.close or close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if head:
            return
        if response.stream is None:
            self.wfile.write(payload)
            return
        sent, half = 0, length // 2
        for chunk in response.stream:
            for start in range(0, len(chunk), CHUNK):
                piece = chunk[start : start + CHUNK]
                if response.exit_midway and sent + len(piece) >= half:
                    lifecycle.record(self.server.app.data_dir, "exit", reason="backup_exit_midway", code=1)
                    self.wfile.write(piece[: half - sent])
                    with contextlib.suppress(OSError):
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                    os._exit(1)
                self.wfile.write(piece)
                sent += len(piece)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    handler_class = Handler  # a server of another API (the Graph emulator) brings its own

    def __init__(self, address, app: App, ssl_context: ssl.SSLContext | None = None):
        self.app = app
        self.ssl_context = ssl_context
        super().__init__(address, self.handler_class)

    def finish_request(self, request, client_address):
        if self.ssl_context is None:
            self.RequestHandlerClass(request, client_address, self)
            return
        try:
            request.settimeout(15)
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError | ssl.SSLError | ConnectionError | TimeoutError):
            return
        print(f"wa_emulator: connection error {type(exc).__name__}", file=sys.stderr, flush=True)


def _ssl_context(config: Config) -> ssl.SSLContext | None:
    if not config.tls:
        return None
    if config.tls_self_signed:
        from .certs import ensure_self_signed

        cert, key = ensure_self_signed(config.data_dir / "tls", config.host)
    else:
        cert, key = config.tls_cert, config.tls_key
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


def serve(config: Config) -> int:
    """Serve until SIGTERM/SIGINT (exit 0) or until a restore asks to exit."""
    app = App(config)
    ssl_context = _ssl_context(config)
    httpd = Server((config.host, config.port), app, ssl_context)

    def on_signal(signum, frame):
        app.request_exit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheme = "https" if ssl_context else "http"
    host, port = httpd.server_address[:2]
    snap = app.store.snapshot()
    print(
        f"wa_emulator {config.api_version}: serving {scheme}://{host}:{port} from {config.data_dir} "
        f"(registered={snap['registered']}, shards={snap['shards']}, coreapps={app.deployment.coreapps}"
        f"{' external' if config.external_coreapps else ''}, generation={snap['generation']})",
        flush=True,
    )
    lifecycle.record(app.data_dir, "start", generation=snap["generation"], registered=snap["registered"])
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    while not app.exit_event.wait(0.05):
        pass
    httpd.shutdown()
    httpd.server_close()
    lifecycle.record(app.data_dir, "exit", reason=app.exit_reason, code=app.exit_code)
    print(f"wa_emulator: exiting with status {app.exit_code} ({app.exit_reason})", flush=True)
    return app.exit_code
