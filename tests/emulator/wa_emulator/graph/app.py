"""The Graph emulator's request pipeline: bearer tokens, routing, the Graph error envelope.

It has the interface ``server.Handler`` expects of an app (``handle``, ``error``, ``reqlog``,
``data_dir``), so the on-prem emulator's HTTP plumbing serves it too.
"""

from __future__ import annotations

import re
import secrets
import sys
import traceback
from pathlib import Path
from urllib.parse import parse_qs

from .. import reqlog
from ..envelope import ApiError
from ..messages import Request, Response
from . import endpoints
from .config import GraphConfig
from .errors import GraphError
from .store import GraphStore

QUERY_HEADER = "x-wa-emulator-query"  # set by serve.GraphHandler; a client's own is dropped
OBJECT_PATH = re.compile(r"/(v\d+\.\d+)/(\d+)(?:/(register|subscribed_apps))?")


class GraphApp:
    def __init__(self, config: GraphConfig):
        self.config = config
        self.data_dir = Path(config.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = GraphStore(self.data_dir, config)
        self.reqlog = reqlog.RequestLog(self.data_dir / "requests.log")
        self.endpoints = endpoints.Endpoints(self)

    def error(self, exc: Exception) -> Response:
        if isinstance(exc, ApiError):  # from the shared plumbing (bad body, bad request line)
            exc = GraphError(exc.status, 100, f"(#100) {exc.details}", "GraphMethodException")
        body = {
            "error": {
                "message": exc.message,
                "type": exc.type,
                "code": exc.code,
                "fbtrace_id": "A" + secrets.token_hex(10),
            }
        }
        if exc.subcode is not None:
            body["error"]["error_subcode"] = exc.subcode
        return Response(exc.status, body)

    @staticmethod
    def query(req: Request) -> dict:
        return {k: v[-1] for k, v in parse_qs(req.headers.get(QUERY_HEADER, "")).items()}

    def handle(self, req: Request) -> Response:
        try:
            return self._handle(req)
        except (GraphError, ApiError) as exc:
            return self.error(exc)
        except Exception as exc:
            frames = "".join(traceback.format_tb(exc.__traceback__))
            print(f"wa_emulator graph: internal error {type(exc).__name__}\n{frames}", file=sys.stderr, flush=True)
            return self.error(GraphError(500, 1, "An unknown error occurred", "OAuthException"))

    def _handle(self, req: Request) -> Response:
        if req.path == "/_emulator/webhook" and req.method == "GET":
            return self.endpoints.builtin_callback(req)
        if req.path == "/_emulator/state" and req.method == "GET":
            return self.endpoints.state(req)
        match = OBJECT_PATH.fullmatch(req.path)
        if match is None:
            raise GraphError(400, 100, "(#100) Unknown path components", "OAuthException")
        write = self._authenticate(req)
        _version, object_id, edge = match.groups()
        handler = self.endpoints.route(req.method, object_id, edge)
        if req.method != "GET" and not write:
            raise GraphError(
                403,
                200,
                "(#200) Requires whatsapp_business_management permission to manage the object",
                "OAuthException",
            )
        return handler(req, object_id)

    def _authenticate(self, req: Request) -> bool:
        """True for a token that may write, False for a read-only one; 401/190 otherwise."""
        scheme, _space, token = req.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise GraphError(401, 190, "An access token is required to request this resource.", "OAuthException")
        if any(secrets.compare_digest(token, t) for t in self.config.access_token):
            return True
        if any(secrets.compare_digest(token, t) for t in self.config.read_only_token):
            return False
        raise GraphError(
            401, 190, "Invalid OAuth access token - Cannot parse access token", "OAuthException", subcode=None
        )
