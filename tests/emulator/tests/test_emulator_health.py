"""GET /v1/health shapes and GET /v1/account."""

from __future__ import annotations

from emulator_helpers import error_of


def _statuses(health: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, node in health.items():
        assert ":" in key, key
        out.setdefault(node["role"], []).append(node["gateway_status"])
    return out


def test_single_instance_registered_and_unregistered(emulator):
    reg = emulator("--state", "registered", name="reg")
    status, body = reg.api("GET", "/v1/health", token=reg.admin_token())
    assert status == 200 and body["health"] == {"gateway_status": "connected"}
    status, body = reg.api("GET", "/v1/account", token=reg.admin_token())
    assert status == 200
    assert body["account"] == [
        {"cc": "1", "phone_number": "5550001111", "vname": "Emulated Business", "wa_id": "15550001111"}
    ]

    unreg = emulator(name="unreg")
    status, body = unreg.api("GET", "/v1/health", token=unreg.admin_token())
    assert status == 200 and body["health"] == {"gateway_status": "unregistered"}
    status, body = unreg.api("GET", "/v1/account", token=unreg.admin_token())
    assert status == 404 and error_of(body)["code"] == 1006


def test_multiconnect_two_shards(emulator):
    emu = emulator("--state", "registered", "--shards", "2", "--phone", "447700900123", "--cc", "44")
    body = emu.api("GET", "/v1/health", token=emu.admin_token())[1]
    assert _statuses(body["health"]) == {"primary_master": ["connected"], "coreapp": ["connected", "connected"]}
    account = emu.api("GET", "/v1/account", token=emu.admin_token())[1]["account"][0]
    assert (account["cc"], account["phone_number"]) == ("44", "7700900123")


def test_high_availability_one_shard_three_coreapps(emulator):
    emu = emulator("--state", "registered", "--coreapps", "3", "--shards", "1")
    body = emu.api("GET", "/v1/health", token=emu.admin_token())[1]
    statuses = _statuses(body["health"])
    assert statuses["primary_master"] == ["connected"]
    assert sorted(statuses["coreapp"]) == ["connected", "disconnected", "disconnected"]


def test_unregistered_multiconnect_every_node_unregistered(emulator):
    emu = emulator("--coreapps", "2")
    body = emu.api("GET", "/v1/health", token=emu.admin_token())[1]
    assert _statuses(body["health"]) == {"primary_master": ["unregistered"], "coreapp": ["unregistered"] * 2}
