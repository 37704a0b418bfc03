"""The envelope, status codes, routing and HTTP/1.1 keep-alive."""

from __future__ import annotations

import http.client
import json

from emulator_helpers import error_of


def test_errors_and_meta(emulator):
    emu = emulator("--version", "v2.99.9")
    token = emu.admin_token()
    status, body = emu.api("GET", "/v1/settings/application", token=token)
    assert status == 200 and body["meta"] == {"api_status": "stable", "version": "v2.99.9"}

    status, body = emu.api("GET", "/v1/no/such/thing", token=token)
    assert status == 404 and error_of(body)["code"] == 1006
    assert body["meta"]["version"] == "v2.99.9"

    status, body = emu.api("PUT", "/v1/health", token=token)
    assert status == 405 and error_of(body)["title"] == "Method not allowed"

    status, _headers, raw = emu.raw(
        "PATCH",
        "/v1/settings/application",
        b"{not json",
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    body = json.loads(raw)
    assert status == 400 and error_of(body)["code"] == 1009

    status, body = emu.api("PATCH", "/v1/settings/application", ["a", "list"], token=token)
    assert status == 400 and error_of(body)["code"] == 1009

    status, body = emu.api("POST", "/v1/settings/backup", {}, token=token)
    assert status == 400 and error_of(body)["code"] == 1008


def test_unknown_fields_are_ignored(emulator):
    emu = emulator("--state", "registered")
    status, body = emu.api(
        "POST", "/v1/users/login", {"surprise": {"nested": [1, 2]}}, basic=("admin", emu.admin_password)
    )
    assert status == 200
    token = body["users"][0]["token"]
    status, _body = emu.api("POST", "/v1/settings/backup", {"password": "Backup-pw1!", "extra": True}, token=token)
    assert status == 200


def test_keep_alive_with_exact_content_length(emulator):
    emu = emulator()
    token = emu.admin_token()
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    try:
        for path in ("/v1/health", "/v1/settings/application", "/v1/nothing", "/v1/settings/profile/about"):
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            resp = conn.getresponse()
            raw = resp.read()
            assert int(resp.getheader("Content-Length")) == len(raw)
            assert resp.getheader("Content-Type") == "application/json"
            assert not resp.will_close
            json.loads(raw)
        sock = conn.sock
        conn.request("POST", "/v1/users/logout", body=b"", headers={"Authorization": f"Bearer {token}"})
        assert conn.getresponse().read() and conn.sock is sock  # the same connection throughout
    finally:
        conn.close()
    log = emu.request_log()
    assert [e["path"] for e in log[-5:]] == [
        "/v1/health",
        "/v1/settings/application",
        "/v1/nothing",
        "/v1/settings/profile/about",
        "/v1/users/logout",
    ]
    assert [e["status"] for e in log[-5:]] == [200, 200, 404, 200, 200]
    assert all(set(e) == {"ts", "method", "path", "status"} for e in log)
