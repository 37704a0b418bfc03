"""The verification of an override callback: Meta's GET challenge (``hub.mode``, ``hub.challenge``,
``hub.verify_token``); the callback must answer 200 with the challenge as its body."""

from __future__ import annotations

import http.client
import secrets
import ssl
from urllib.parse import urlencode, urlsplit


def verify(url: str, verify_token: str, timeout: float = 10.0) -> str | None:
    """None when the callback answered the challenge, else why not (without the token)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "the callback URL is not an http(s) URL"
    challenge = str(secrets.randbelow(10**9))
    query = urlencode({"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token})
    path = (parts.path or "/") + "?" + (parts.query + "&" if parts.query else "") + query
    if parts.scheme == "https":
        # Ours: the emulator accepts any certificate (Meta needs a valid one).
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read(1024).decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException) as exc:
        return f"the callback could not be reached ({type(exc).__name__})"
    finally:
        conn.close()
    if resp.status != 200:
        return f"the callback answered HTTP {resp.status}"
    if body != challenge:
        return "the callback did not echo hub.challenge"
    return None
