"""POST /v1/account, /v1/account/verify and /v1/account/shards."""

from __future__ import annotations

from emulator_helpers import error_of

NUMBER = {"cc": "1", "phone_number": "5550002222"}
REGISTER = {**NUMBER, "method": "sms", "cert": "Q0VSVElGSUNBVEU="}


def test_register_verify_then_shards(emulator):
    emu = emulator("--coreapps", "2", "--verify-code", "654321")
    token = emu.admin_token()

    status, body = emu.api("POST", "/v1/account", {**NUMBER, "method": "fax", "cert": "x"}, token=token)
    assert status == 400 and error_of(body)["code"] == 1009
    status, body = emu.api("POST", "/v1/account", {"cc": "1", "method": "sms", "cert": "x"}, token=token)
    assert status == 400 and error_of(body)["code"] == 1008

    status, body = emu.api("POST", "/v1/account", REGISTER, token=token)
    assert status == 202 and body["account"][0]["vname"]
    assert emu.api("GET", "/v1/account", token=token)[0] == 404
    assert emu.state()["pending"] == {**NUMBER, "method": "sms"}

    status, body = emu.api("POST", "/v1/account/verify", {"code": "111111"}, token=token)
    assert status == 400 and error_of(body)["code"] == 1009
    assert not emu.state()["registered"]

    status, body = emu.api("POST", "/v1/account/verify", {"code": "654321"}, token=token)
    assert status == 201
    state = emu.state()
    assert state["registered"] and state["phone_number"] == "5550002222" and state["shards"] == 1
    assert state["identity_key_id"]
    health = emu.api("GET", "/v1/health", token=token)[1]["health"]
    assert sorted(n["gateway_status"] for n in health.values() if n["role"] == "coreapp") == [
        "connected",
        "disconnected",
    ]

    # Same number again: 201; another number: 400.
    assert emu.api("POST", "/v1/account", REGISTER, token=token)[0] == 201
    status, body = emu.api("POST", "/v1/account", {**REGISTER, "phone_number": "5550009999"}, token=token)
    assert status == 400 and error_of(body)["code"] == 1009

    shards = {**NUMBER, "shards": 2, "pin": "123456"}
    for bad in ({**shards, "shards": 3}, {**shards, "phone_number": "5550009999"}, {**shards, "shards": 4}):
        status, body = emu.api("POST", "/v1/account/shards", bad, token=token)
        assert status == 400 and error_of(body)["code"] == 1009, bad
    assert emu.state()["shards"] == 1

    status, body = emu.api("POST", "/v1/account/shards", shards, token=token)
    assert status == 200 and set(body) == {"meta"}
    assert emu.state()["shards"] == 2
    health = emu.api("GET", "/v1/health", token=token)[1]["health"]
    assert [n["gateway_status"] for n in health.values() if n["role"] == "coreapp"] == ["connected"] * 2


def test_shards_need_a_registration(emulator):
    emu = emulator("--coreapps", "2")
    status, body = emu.api("POST", "/v1/account/shards", {**NUMBER, "shards": 2}, token=emu.admin_token())
    assert status == 400 and error_of(body)["code"] == 1009
    status, body = emu.api("POST", "/v1/account/verify", {"code": "123456"}, token=emu.admin_token())
    assert status == 400 and "pending" in error_of(body)["details"]
