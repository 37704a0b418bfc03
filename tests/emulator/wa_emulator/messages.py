"""A request and a response as the pipeline sees them (no HTTP details)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable

from .envelope import ApiError, bad_request, dumps

_NOBODY = object()


@dataclasses.dataclass
class Request:
    method: str
    path: str
    headers: dict  # lower-case names
    body: bytes
    abort: Callable[[int, str], None]  # log the request as unanswered, then exit the process
    user: str | None = None
    role: str | None = None
    token_hash: str | None = None

    def json(self, *, optional: bool = False) -> dict:
        """The body as a JSON object. An empty body is ``{}`` (when ``optional``) or 400/1008."""
        if not self.body.strip():
            if optional:
                return {}
            raise ApiError(400, 1008, "a JSON request body is required")
        try:
            value = json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request("request body is not valid JSON") from exc
        if not isinstance(value, dict):
            raise bad_request("request body must be a JSON object")
        return value


@dataclasses.dataclass
class Response:
    status: int
    body: object = _NOBODY  # JSON value (None answers ``null``)
    raw: bytes | None = None
    content_type: str = "application/json"
    headers: dict = dataclasses.field(default_factory=dict)
    close: bool = False
    drop: bool = False
    fault: str | None = None
    stream: Iterable[bytes] | None = None
    length: int = 0
    exit_midway: bool = False
    after: Callable[[], None] | None = None

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return b"" if self.body is _NOBODY else dumps(self.body)
