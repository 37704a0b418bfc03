"""Ours: how the Graph emulator stands in for WhatsApp's servers disconnecting the on-prem client.

The vendor says the on-prem deployment is disconnected and shut down during a register call
(and stays down after a wrong PIN). The emulator logs in to the on-prem emulator as admin and
calls its test hook ``POST /v1/_emulator/shutdown``, which answers, then exits 0.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
from urllib.parse import urlsplit


def _connection(url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    if parts.scheme == "https":
        # Ours: the emulator does not verify the on-prem emulator's certificate (a test stand-in).
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=context)
    return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)


def _call(url: str, method: str, path: str, headers: dict, body: dict, timeout: float) -> tuple[int, dict]:
    conn = _connection(url, timeout)
    try:
        conn.request(
            method, path, body=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers}
        )
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw) if raw else {}
        except ValueError:
            return resp.status, {}
    finally:
        conn.close()


def shut_down(url: str | None, password: str | None, reason: str, timeout: float = 10.0) -> str:
    """Shut the on-prem emulator at ``url`` down; returns what happened (never raises)."""
    if not url or not password:
        return "not_configured"
    try:
        basic = base64.b64encode(f"admin:{password}".encode()).decode()
        status, body = _call(url, "POST", "/v1/users/login", {"Authorization": f"Basic {basic}"}, {}, timeout)
        if status != 200:
            return f"login_failed_{status}"
        token = body["users"][0]["token"]
        status, _body = _call(
            url, "POST", "/v1/_emulator/shutdown", {"Authorization": f"Bearer {token}"}, {"reason": reason}, timeout
        )
        return "shut_down" if status == 200 else f"refused_{status}"
    except (OSError, KeyError, IndexError, TypeError, http.client.HTTPException):
        return "unreachable"
