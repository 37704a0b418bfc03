"""Backup, restore into another emulator, and every refused restore leaving the state unchanged."""

from __future__ import annotations

import base64
import json

import pytest
from emulator_helpers import BACKUP_PASSWORD, error_of

SETTINGS_PATCH = {"webhooks": {"url": "https://hooks.example.test/migrated"}, "sent_status": True}


def _source(emulator, *args, name="src"):
    emu = emulator("--state", "registered", "--phone", "15550003333", *args, name=name)
    token = emu.admin_token()
    assert emu.api("PATCH", "/v1/settings/application", SETTINGS_PATCH, token=token)[0] == 200
    assert emu.api("PATCH", "/v1/settings/profile/about", {"text": "Migrated"}, token=token)[0] == 200
    return emu


def _backup(emu, password=BACKUP_PASSWORD) -> str:
    status, body = emu.api("POST", "/v1/settings/backup", {"password": password}, token=emu.admin_token())
    assert status == 200, body
    assert set(body) == {"settings", "meta"}
    return body["settings"]["data"]


def _restore(emu, data, password=BACKUP_PASSWORD):
    return emu.api("POST", "/v1/settings/restore", {"password": password, "data": data}, token=emu.admin_token())


def test_backup_format(emulator):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from wa_emulator.crypto import derive_key

    src = _source(emulator, "--backup-padding-bytes", "5000")
    data = _backup(src)
    raw = base64.b64decode(data, validate=True)
    assert raw[:5] == b"WABK1" and len(raw) > 5000
    doc = json.loads(AESGCM(derive_key(BACKUP_PASSWORD, raw[5:21])).decrypt(raw[21:33], raw[33:], None))
    assert doc["registration"]["phone_number"] == "5550003333" and doc["shards"] == 1
    assert doc["settings"]["application"]["sent_status"] is True
    assert len(doc["padding"]) == 5000
    assert _backup(src) != data  # fresh salt and nonce every time


def test_backup_needs_a_registered_client(emulator):
    emu = emulator()
    status, body = emu.api("POST", "/v1/settings/backup", {"password": BACKUP_PASSWORD}, token=emu.admin_token())
    assert status == 400 and "regist" in error_of(body)["details"]


def test_migration_to_a_second_emulator(emulator):
    src = _source(emulator, "--shards", "2")
    source_state = src.state()
    data = _backup(src)

    dst = emulator("--shards", "2", name="dst")
    before = dst.state()
    assert not before["registered"]
    status, body = _restore(dst, data)
    assert status == 200 and body == {"meta": {"api_status": "stable", "version": "v2.45.1"}}
    assert dst.wait_exit(5) == 0

    dst.restart()
    after = dst.state()
    assert after["registered"] and after["shards"] == 2
    assert (after["cc"], after["phone_number"]) == ("1", "5550003333")
    assert after["settings"] == source_state["settings"]
    assert after["generation"] == before["generation"] + 1
    assert after["restored_at"]
    assert after["identity_key_id"] not in (source_state["identity_key_id"], before["identity_key_id"], None)
    health = dst.api("GET", "/v1/health", token=dst.admin_token())[1]["health"]
    assert [n["gateway_status"] for n in health.values() if n["role"] == "coreapp"] == ["connected"] * 2
    log = dst.request_log()
    assert [e["status"] for e in log if e["path"] == "/v1/settings/restore"] == [200]


@pytest.mark.parametrize(("body_kind", "expected"), [("empty", {}), ("null", None)])
def test_restore_body_variants_and_continue(emulator, body_kind, expected):
    data = _backup(_source(emulator))
    dst = emulator("--restore-body", body_kind, "--after-restore", "continue", name="dst")
    status, body = _restore(dst, data)
    assert status == 200 and body == expected
    assert dst.running()
    assert dst.state()["phone_number"] == "5550003333"


def test_restore_onto_a_registered_client_is_allowed(emulator):
    data = _backup(_source(emulator))
    dst = emulator("--state", "registered", "--phone", "15550004444", "--after-restore", "continue", name="dst")
    assert _restore(dst, data)[0] == 200
    assert dst.state()["phone_number"] == "5550003333"


@pytest.mark.parametrize(
    ("case", "detail"),
    [
        ("wrong_password", "could not decrypt: wrong password or corrupted data"),
        ("tampered", "could not decrypt: wrong password or corrupted data"),
        ("garbage", "data is not a valid backup"),
        ("not_base64", "data is not a valid backup"),
        ("shard_mismatch", "the backup has 4 shards, this deployment has 2"),
    ],
)
def test_refused_restores_change_nothing(emulator, case, detail):
    data = _backup(_source(emulator))
    dst = emulator("--shards", "2", name="dst")
    password = BACKUP_PASSWORD
    if case == "wrong_password":
        password = "Other-Pa55phrase!"
    elif case == "tampered":
        middle = len(data) // 2
        data = data[:middle] + ("A" if data[middle] != "A" else "B") + data[middle + 1 :]
    elif case == "garbage":
        data = base64.b64encode(b"this is not a backup at all, not even close" * 3).decode()
    elif case == "not_base64":
        data = "%%% definitely not base64 %%%"
    elif case == "shard_mismatch":  # an unregistered client needs at least as many coreapps as shards
        data = _backup(_source(emulator, "--shards", "4", name="src4"))
    before_file = dst.state_file()
    before = dst.state()
    status, body = _restore(dst, data, password)
    assert status == 400
    err = error_of(body)
    assert err["code"] == 1009 and detail in err["details"]
    assert password not in err["details"] and data[:40] not in err["details"]
    assert dst.running()
    assert dst.state() == before
    after_file = dst.state_file()
    assert {k: v for k, v in after_file.items() if k != "tokens"} == {
        k: v for k, v in before_file.items() if k != "tokens"
    }


def test_shard_mismatch_against_a_registered_target(emulator):
    data = _backup(_source(emulator, "--shards", "2"))
    dst = emulator("--state", "registered", "--coreapps", "2", "--shards", "1", name="dst")
    before = dst.state()
    status, body = _restore(dst, data)
    assert status == 400
    assert "the backup has 2 shards, this deployment has 1" in error_of(body)["details"]
    assert dst.state() == before


def test_large_padded_backup_round_trip(emulator):
    src = _source(emulator, "--backup-padding-bytes", str(3 * 1024 * 1024 + 11))
    data = _backup(src)
    assert len(data) > 4 * 1024 * 1024
    dst = emulator("--after-restore", "continue", name="dst")
    assert _restore(dst, data)[0] == 200
    assert dst.state()["settings"]["profile"]["about"]["text"] == "Migrated"


def test_state_persists_across_restarts(emulator):
    emu = emulator("--state", "registered", "--shards", "2")
    token = emu.admin_token()
    assert emu.api("PATCH", "/v1/settings/application", SETTINGS_PATCH, token=token)[0] == 200
    before = emu.state()
    # Initial-state flags no longer matter once state.json exists.
    emu.restart(["--state", "unregistered", "--phone", "15559999999", "--shards", "2"])
    assert emu.state() == before
    emu.kill()
    emu.restart()
    assert emu.state() == before
