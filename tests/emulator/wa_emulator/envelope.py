"""The API's response envelope: ``meta`` on every answer, ``errors`` on failures."""

from __future__ import annotations

import json

TITLES = {
    1000: "Generic error",
    1004: "Resource already exists",
    1005: "Access denied",
    1006: "Resource not found",
    1008: "Required parameter is missing",
    1009: "Parameter value is not valid",
    1011: "Service not ready",
    1013: "User is not valid",
    1014: "Internal error",
    1015: "Too many requests",
    1016: "System overloaded",
    1017: "Not Primary Master",
}

# The code an injected failure (fault ``fail_next``) carries for a given HTTP status.
CODE_FOR_STATUS = {400: 1009, 401: 1005, 403: 1005, 404: 1006, 429: 1015, 500: 1014, 503: 1011}


class ApiError(Exception):
    """An error answer. ``details`` must never contain a value the client submitted."""

    def __init__(self, status: int, code: int, details: str, title: str | None = None, headers=None):
        super().__init__(details)
        self.status = status
        self.code = code
        self.title = title or TITLES.get(code, "Error")
        self.details = details
        self.headers = dict(headers or {})


def bad_request(details: str) -> ApiError:
    return ApiError(400, 1009, details)


def missing(name: str) -> ApiError:
    return ApiError(400, 1008, f"{name} is required")


def not_found(details: str = "Resource not found") -> ApiError:
    return ApiError(404, 1006, details)


def meta(version: str) -> dict:
    return {"api_status": "stable", "version": version}


def with_meta(body: dict, version: str) -> dict:
    out = dict(body)
    out["meta"] = meta(version)
    return out


def error_body(error: ApiError, version: str) -> dict:
    return {
        "errors": [{"code": error.code, "title": error.title, "details": error.details}],
        "meta": meta(version),
    }


def dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()
