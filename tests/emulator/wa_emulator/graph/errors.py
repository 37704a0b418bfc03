"""The Graph API's error: ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``."""

from __future__ import annotations


class GraphError(Exception):
    """An error answer; ``message`` never quotes a secret the client sent."""

    def __init__(self, status: int, code: int, message: str, type_: str = "OAuthException", subcode: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.type = type_
        self.subcode = subcode


def bad_parameter(message: str) -> GraphError:
    return GraphError(400, 100, f"(#100) {message}", "OAuthException")


def no_object(object_id: str) -> GraphError:
    return GraphError(
        400,
        100,
        f"Unsupported request. Object with ID '{object_id}' does not exist, cannot be loaded due to missing "
        "permissions, or does not support this operation.",
        "GraphMethodException",
        subcode=33,
    )
