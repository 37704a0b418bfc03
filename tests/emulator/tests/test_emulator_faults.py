"""Every fault mode, through the API and the --faults flag."""

from __future__ import annotations

import http.client
import json
import time

import pytest
from emulator_helpers import BACKUP_PASSWORD, error_of


def _get_health(emu, token):
    return emu.api("GET", "/v1/health", token=token)


def test_fault_api_replace_read_clear(emulator):
    emu = emulator()
    assert emu.get_faults() == {}
    stored = emu.set_faults({"fail_next": 1, "paths": "/v1/health"})
    assert stored == {"fail_next": 1, "paths": ["/v1/health"]}
    assert emu.set_faults({"drop_next": 2}) == {"drop_next": 2}  # replaces, does not merge
    status, body = emu.api("POST", "/v1/_emulator/faults", {"explode": 1}, token=emu.admin_token())
    assert status == 400 and error_of(body)["code"] == 1009
    status, body = emu.api("POST", "/v1/_emulator/faults", {"restore_crash": "sometimes"}, token=emu.admin_token())
    assert status == 400
    emu.clear_faults()
    assert emu.get_faults() == {}


def test_fail_next_with_path_filter_and_counter(emulator):
    emu = emulator("--faults", json.dumps({"fail_next": 2, "paths": ["/v1/health"]}))
    token = emu.admin_token()  # login is not under the filter
    assert emu.api("GET", "/v1/settings/application", token=token)[0] == 200
    for _attempt in range(2):
        status, body = _get_health(emu, token)
        assert status == 503 and error_of(body)["code"] == 1011
    assert _get_health(emu, token)[0] == 200
    assert emu.get_faults()["fail_next"] == 0

    emu.set_faults({"fail_next": 1, "fail_status": 500})
    status, body = emu.api("GET", "/v1/settings/application", token=token)
    assert status == 500 and error_of(body)["code"] == 1014
    assert emu.api("GET", "/v1/settings/application", token=token)[0] == 200
    faulty = [e for e in emu.request_log() if e.get("fault")]
    assert [e["status"] for e in faulty] == [503, 503, 500]


def test_delay(emulator):
    emu = emulator()
    token = emu.admin_token()
    emu.set_faults({"delay_ms": 400})
    started = time.monotonic()
    assert _get_health(emu, token)[0] == 200
    assert time.monotonic() - started >= 0.4
    emu.clear_faults()
    started = time.monotonic()
    assert _get_health(emu, token)[0] == 200
    assert time.monotonic() - started < 0.4


def test_drop_next_closes_without_answer(emulator):
    emu = emulator()
    token = emu.admin_token()
    emu.set_faults({"drop_next": 1, "paths": ["/v1/health"]})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        _get_health(emu, token)
    assert _get_health(emu, token)[0] == 200
    dropped = [e for e in emu.request_log() if e.get("fault") == "drop_next"]
    assert len(dropped) == 1 and dropped[0]["status"] is None


def test_html_next_answers_a_proxy_page(emulator):
    emu = emulator()
    token = emu.admin_token()
    emu.set_faults({"html_next": 1})
    status, headers, raw = emu.raw("GET", "/v1/health", headers={"Authorization": f"Bearer {token}"})
    assert status == 502 and headers["content-type"].startswith("text/html")
    assert b"<html>" in raw and b"502 Bad Gateway" in raw
    assert _get_health(emu, token)[0] == 200


def test_backup_exit_midway(emulator):
    emu = emulator("--state", "registered", "--backup-padding-bytes", "200000")
    token = emu.admin_token()
    emu.set_faults({"backup_exit_midway": 1})
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    conn.request(
        "POST",
        "/v1/settings/backup",
        body=json.dumps({"password": BACKUP_PASSWORD}),
        headers={"Authorization": f"Bearer {token}"},
    )
    resp = conn.getresponse()
    assert resp.status == 200
    length = int(resp.getheader("Content-Length"))
    with pytest.raises(http.client.IncompleteRead) as info:
        resp.read()
    assert 0 < len(info.value.partial) < length
    conn.close()
    assert emu.wait_exit(5) != 0


@pytest.mark.parametrize(("mode", "applied"), [("before_commit", False), ("after_commit", True)])
def test_restore_crash(emulator, mode, applied):
    src = emulator("--state", "registered", "--phone", "15550005555", name="src")
    data = src.api("POST", "/v1/settings/backup", {"password": BACKUP_PASSWORD}, token=src.admin_token())[1]
    dst = emulator("--faults", json.dumps({"restore_crash": mode}), name="dst")
    token = dst.admin_token()
    # A refused restore does not use the fault up.
    body = {"password": "Wrong-Pa55phrase!", "data": data["settings"]["data"]}
    assert dst.api("POST", "/v1/settings/restore", body, token=token)[0] == 400
    body = {"password": BACKUP_PASSWORD, "data": data["settings"]["data"]}
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        dst.api("POST", "/v1/settings/restore", body, token=token)
    assert dst.wait_exit(5) != 0
    state = dst.state_file()
    assert state["registered"] is applied
    assert state["generation"] == (2 if applied else 1)
    dst.restart(["--after-restore", "continue"])
    assert dst.state()["registered"] is applied
    crashed = [e for e in dst.request_log() if e.get("fault")]
    assert crashed == [{**crashed[0], "method": "POST", "path": "/v1/settings/restore", "status": None}]
    assert crashed[0]["fault"] == f"restore_crash:{mode}"


def test_emulator_endpoints_are_never_faulted(emulator):
    emu = emulator()
    token = emu.admin_token()
    emu.set_faults({"html_next": 2})
    for _attempt in range(3):
        assert emu.get_faults()["html_next"] == 2
        assert emu.state()["generation"] == 1
    assert _get_health(emu, token)[0] == 502
    assert emu.get_faults()["html_next"] == 1
