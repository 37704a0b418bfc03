"""Serve the Graph emulator with the on-prem emulator's HTTP plumbing (server.py)."""

from __future__ import annotations

import signal
import threading
from urllib.parse import urlsplit

from .. import lifecycle
from ..server import Handler, Server, _ssl_context
from .app import QUERY_HEADER, GraphApp
from .config import GraphConfig


class GraphHandler(Handler):
    """The shared handler, plus the query string (which Graph reads) as a header only we set."""

    def parse_request(self):
        ok = super().parse_request()
        if ok:
            del self.headers[QUERY_HEADER]
            self.headers[QUERY_HEADER] = urlsplit(self.path).query
        return ok


class GraphServer(Server):
    handler_class = GraphHandler


def serve(config: GraphConfig) -> int:
    app = GraphApp(config)
    httpd = GraphServer((config.host, config.port), app, _ssl_context(config))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    host, port = httpd.server_address[:2]
    print(
        f"wa_emulator graph {config.api_version}: serving {'https' if config.tls else 'http'}://{host}:{port} "
        f"from {config.data_dir} (phone_number_id={config.phone_number_id}, waba_id={config.waba_id})",
        flush=True,
    )
    lifecycle.record(app.data_dir, "start", service="graph")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    while not done.wait(0.05):
        pass
    httpd.shutdown()
    httpd.server_close()
    lifecycle.record(app.data_dir, "exit", reason="signal", code=0, service="graph")
    return 0
