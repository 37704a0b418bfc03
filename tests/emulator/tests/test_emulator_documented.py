"""The documented calls GET /v1/account/shards and GET /v1/support, and --documented-only."""

from __future__ import annotations

from emulator_helpers import BACKUP_PASSWORD, error_of, wait_for


def _support(emu) -> dict:
    status, body = emu.api("GET", "/v1/support", token=emu.admin_token())
    assert status == 200, body
    return body["support"]


def _owned(support: dict) -> dict[str, list]:
    out: dict[str, list] = {}
    for key, node in support.items():
        assert ":" in key and set(node) >= {"multi_connect", "role", "shards", "socket_conn"}, node
        out.setdefault(node["role"], []).append(node["shards"])
    return out


def test_shards_of_a_registered_multiconnect_client_with_a_standby(emulator):
    emu = emulator("--state", "registered", "--shards", "2", "--coreapps", "3")
    status, body = emu.api("GET", "/v1/account/shards", token=emu.admin_token())
    assert status == 200 and body["account"] == {"shards": 2}
    owned = _owned(_support(emu))
    assert owned["primary_master"] == [[[-1, -1]]]
    assert sorted(owned["coreapp"]) == [[], [[0, 0]], [[1, 1]]]
    assert all(node["multi_connect"] for node in _support(emu).values())


def test_high_availability_active_coreapp_owns_the_control_shard(emulator):
    emu = emulator("--state", "registered", "--shards", "1", "--coreapps", "3")
    owned = _owned(_support(emu))
    assert owned["primary_master"] == [[]]
    assert sorted(owned["coreapp"]) == [[], [], [[-1, -1], [0, 0]]]
    assert emu.api("GET", "/v1/account/shards", token=emu.admin_token())[1]["account"] == {"shards": 1}


def test_unregistered_client_owns_no_shard_and_has_no_shard_count(emulator):
    emu = emulator("--coreapps", "3")
    owned = _owned(_support(emu))
    assert owned == {"primary_master": [[]], "coreapp": [[], [], []]}
    status, body = emu.api("GET", "/v1/account/shards", token=emu.admin_token())
    assert status == 404 and error_of(body)["code"] == 1006


def test_two_clients_have_different_node_keys(emulator):
    one, two = emulator("--coreapps", "2", name="one"), emulator("--coreapps", "2", name="two")
    assert not set(_support(one)) & set(_support(two))
    assert set(_support(one)) == set(_support(one))


def test_documented_only_answers_404_to_our_extensions_and_keeps_the_hooks(emulator):
    emu = emulator("--state", "registered", "--documented-only")
    status, body = emu.api("GET", "/v1/account", token=emu.admin_token())
    assert status == 404 and error_of(body)["code"] == 1006
    assert emu.api("GET", "/v1/account/shards", token=emu.admin_token())[0] == 200
    assert emu.api("GET", "/v1/health", token=emu.admin_token())[0] == 200
    assert emu.state()["registered"] is True  # the harness's hooks stay
    # Without the option the extension answers.
    other = emulator("--state", "registered", name="other")
    assert other.api("GET", "/v1/account", token=other.admin_token())[0] == 200


def test_unregistered_target_with_a_standby_accepts_a_backup_of_fewer_shards(emulator):
    source = emulator("--state", "registered", "--shards", "2", "--coreapps", "3", name="src")
    status, body = source.api("POST", "/v1/settings/backup", {"password": BACKUP_PASSWORD}, token=source.admin_token())
    assert status == 200, body
    data = body["settings"]["data"]
    target = emulator("--coreapps", "3", "--documented-only", name="tgt")
    too_few = emulator("--coreapps", "1", name="few")
    status, body = too_few.api(
        "POST", "/v1/settings/restore", {"password": BACKUP_PASSWORD, "data": data}, token=too_few.admin_token()
    )
    assert status == 400 and "shard count mismatch" in error_of(body)["details"]
    status, _body = target.api(
        "POST", "/v1/settings/restore", {"password": BACKUP_PASSWORD, "data": data}, token=target.admin_token()
    )
    assert status == 200
    assert target.wait_exit(10) == 0
    target.start()
    wait_for(lambda: target.api("GET", "/v1/account/shards", token=target.admin_token())[0] == 200)
    assert target.api("GET", "/v1/account/shards", token=target.admin_token())[1]["account"] == {"shards": 2}
