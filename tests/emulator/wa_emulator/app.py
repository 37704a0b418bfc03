"""The request pipeline, independent of HTTP plumbing: faults, readiness, routing, auth."""

from __future__ import annotations

import hashlib
import sys
import threading
import time
import traceback
from pathlib import Path

from . import api, reqlog, state
from .config import Config
from .envelope import CODE_FOR_STATUS, ApiError, error_body, meta, with_meta
from .faults import Faults
from .health import Deployment
from .messages import Request, Response

HTML_PAGE = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class App:
    def __init__(self, config: Config):
        self.config = config
        self.data_dir = Path(config.data_dir)
        for sub in ("", "nodes"):
            (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
        self.store = state.StateStore(self.data_dir)
        if self.store.exists():
            self.store.load()
        else:
            self.store.create(
                state.initial_state(
                    registered=config.state == "registered",
                    cc=config.cc,
                    phone_number=config.national_number,
                    vname=config.vname,
                    shards=config.shards or 1,
                    admin_password=config.admin_password,
                )
            )
        coreapps = config.coreapps or config.shards or self.store.data.get("shards") or 1
        self.deployment = Deployment(self.data_dir, coreapps, config.external_coreapps)
        self.faults = Faults(config.faults)
        self.reqlog = reqlog.RequestLog(self.data_dir / "requests.log")
        self.started = time.monotonic()
        self.exit_event = threading.Event()
        self.exit_code = 0
        self.exit_reason = "signal"
        self.exiting = False
        self.routes = api.Api(self).routes()

    # -- life cycle -------------------------------------------------------------------------
    def request_exit(self, code: int = 0, reason: str = "signal") -> None:
        self.exit_code = code
        self.exit_reason = reason
        self.exit_event.set()

    def exit_soon(self, delay: float = 0.05) -> None:
        """After a restore: stop answering, then exit 0 a fraction of a second later."""
        self.exiting = True
        timer = threading.Timer(delay, self.request_exit, args=(0, "restore"))
        timer.daemon = True
        timer.start()

    def meta(self) -> dict:
        return meta(self.config.api_version)

    def ok(self, status: int = 200, body: dict | None = None, **kwargs) -> Response:
        return Response(status, with_meta(body or {}, self.config.api_version), **kwargs)

    def error(self, exc: ApiError) -> Response:
        return Response(exc.status, error_body(exc, self.config.api_version), headers=exc.headers)

    # -- pipeline -----------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        try:
            return self._handle(req)
        except ApiError as exc:
            return self.error(exc)
        except Exception as exc:
            # The type and the frames only: an exception's message may quote a value.
            frames = "".join(traceback.format_tb(exc.__traceback__))
            print(f"wa_emulator: internal error {type(exc).__name__}\n{frames}", file=sys.stderr, flush=True)
            return self.error(ApiError(500, 1014, "internal error"))

    def _handle(self, req: Request) -> Response:
        path = req.path
        is_api = path.startswith("/v1/") and not (path == "/v1/_emulator" or path.startswith("/v1/_emulator/"))
        if is_api:
            delay = self.faults.delay_seconds()
            if delay:
                time.sleep(delay)
            fault = self.faults.take_transport(path)
            if fault:
                return self._fault_response(*fault)
            if self.exiting:
                raise ApiError(503, 1011, "Service not ready: the client is shutting down after a restore")
            if time.monotonic() - self.started < self.config.start_delay:
                raise ApiError(503, 1011, "Service not ready", headers={"Retry-After": "1"})
        route = self.routes.get(path)
        if self.config.documented_only and (req.method, path) in api.EXTENSIONS:
            route = None  # as a real client answers a call it does not have
        if route is None:
            raise ApiError(404, 1006, "Resource not found: unknown path")
        entry = route.get(req.method)
        if entry is None:
            allowed = ", ".join(sorted(route))
            raise ApiError(
                405, 1000, f"Method not allowed (allowed: {allowed})", "Method not allowed", {"Allow": allowed}
            )
        level, handler = entry
        if level != "none":
            self.authenticate(req, admin=level == "admin")
        return handler(req)

    def _fault_response(self, kind: str, status: int) -> Response:
        if kind == "drop":
            return Response(0, drop=True, fault="drop_next")
        if kind == "html":
            phrase = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}.get(
                status, "Error"
            )
            page = HTML_PAGE.format(status=status, phrase=phrase).encode()
            return Response(status, raw=page, content_type="text/html", fault="html_next")
        resp = self.error(ApiError(status, CODE_FOR_STATUS.get(status, 1000), "injected failure (fault fail_next)"))
        resp.fault = "fail_next"
        return resp

    def authenticate(self, req: Request, *, admin: bool) -> None:
        scheme, _space, token = req.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, 1005, "missing bearer token: log in with POST /v1/users/login")
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        with self.store.lock:
            record = self.store.data.get("tokens", {}).get(token_hash)
            user = self.store.data.get("users", {}).get(record["user"]) if record else None
        if record is None or user is None:
            raise ApiError(401, 1005, "invalid token: log in again with POST /v1/users/login")
        if float(record.get("expires", 0)) <= time.time():
            raise ApiError(401, 1005, "token expired: log in again with POST /v1/users/login")
        req.user, req.role, req.token_hash = record["user"], user.get("role"), token_hash
        if admin and req.role != "admin":
            raise ApiError(403, 1005, "Access denied: this endpoint needs the admin user")
