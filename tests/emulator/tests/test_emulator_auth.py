"""Login, forced first password change, password rules, tokens, roles."""

from __future__ import annotations

import time

import pytest
from emulator_helpers import error_of

from wa_emulator.launcher import EmulatorError

NEW_PASSWORD = "Fresh-Pa55word!"


def test_first_login_forces_a_password_change(emulator):
    emu = emulator(admin_password=None)
    status, body = emu.api("POST", "/v1/users/login", basic=("admin", "secret"))
    assert status == 401
    err = error_of(body)
    assert err["code"] == 1005
    assert "new_password" in err["details"] and "change" in err["details"]

    # new_password that breaks a rule: 400/1009 and the password is unchanged.
    for weak in ("short1!", "alllowercase1!", "ALLUPPERCASE1!", "NoDigits-here!", "NoSpecial123abc", "A1!" + "a" * 62):
        status, body = emu.api("POST", "/v1/users/login", {"new_password": weak}, basic=("admin", "secret"))
        assert status == 400, weak
        err = error_of(body)
        assert err["code"] == 1009
        assert weak not in err["details"]

    status, body = emu.api("POST", "/v1/users/login", {"new_password": NEW_PASSWORD}, basic=("admin", "secret"))
    assert status == 200
    user = body["users"][0]
    assert user["token"].startswith("eyJ")
    assert time.strptime(user["expires_after"], "%Y-%m-%d %H:%M:%S+00:00")
    assert body["meta"] == {"api_status": "stable", "version": "v2.45.1"}

    # The old password is gone, the new one works without new_password.
    status, _body = emu.api("POST", "/v1/users/login", basic=("admin", "secret"))
    assert status == 401
    token = emu.login("admin", NEW_PASSWORD)
    assert emu.api("GET", "/v1/health", token=token)[0] == 200


def test_admin_password_flag_skips_the_change_and_wrong_credentials_fail(emulator):
    emu = emulator()
    assert emu.login()
    for auth in (("admin", "wrong-Pa55!"), ("nobody", emu.admin_password)):
        status, body = emu.api("POST", "/v1/users/login", basic=auth)
        assert status == 401 and error_of(body)["code"] == 1005
    status, body = emu.api("POST", "/v1/users/login")
    assert status == 401 and error_of(body)["code"] == 1005
    status, body = emu.api("POST", "/v1/users/login", headers={"Authorization": "Basic !!notbase64"})
    assert status == 401
    status, body = emu.api("POST", "/v1/users/login", body=None, basic=("admin", emu.admin_password), headers={})
    assert status == 200


def test_missing_wrong_and_expired_tokens(emulator):
    emu = emulator("--token-ttl", "1")
    status, body = emu.api("GET", "/v1/health")
    assert status == 401 and error_of(body)["code"] == 1005
    status, body = emu.api("GET", "/v1/health", token="eyJ.not-a-token.x")
    assert status == 401 and error_of(body)["code"] == 1005

    status, body = emu.api("POST", "/v1/users/login", basic=("admin", emu.admin_password))
    token = body["users"][0]["token"]
    assert emu.api("GET", "/v1/health", token=token)[0] == 200
    time.sleep(1.1)
    status, body = emu.api("GET", "/v1/health", token=token)
    assert status == 401
    assert "expired" in error_of(body)["details"]


def test_logout_ends_the_token(emulator):
    emu = emulator()
    token = emu.login()
    other = emu.login()
    assert emu.api("POST", "/v1/users/logout", token=token)[0] == 200
    assert emu.api("GET", "/v1/health", token=token)[0] == 401
    assert emu.api("GET", "/v1/health", token=other)[0] == 200


def test_tokens_survive_a_restart(emulator):
    emu = emulator()
    token = emu.login()
    emu.restart()
    assert emu.api("GET", "/v1/health", token=token)[0] == 200


def test_non_admin_gets_403_on_admin_endpoints(emulator):
    emu = emulator("--state", "registered")
    admin = emu.admin_token()
    status, body = emu.api("POST", "/v1/users", {"username": "ops", "password": "Op3rator-pw!"}, token=admin)
    assert status == 201 and body["users"] == [{"username": "ops"}]
    status, body = emu.api("POST", "/v1/users", {"username": "ops", "password": "Op3rator-pw!"}, token=admin)
    assert status == 409 and error_of(body)["code"] == 1004
    status, body = emu.api("POST", "/v1/users", {"username": "weak", "password": "weak"}, token=admin)
    assert status == 400 and error_of(body)["code"] == 1009

    user = emu.login("ops", "Op3rator-pw!")
    assert emu.api("GET", "/v1/health", token=user)[0] == 200
    assert emu.api("GET", "/v1/settings/application", token=user)[0] == 200
    for path, body in (
        ("/v1/settings/backup", {"password": "Backup-pw1!"}),
        ("/v1/settings/restore", {"password": "Backup-pw1!", "data": "AAAA"}),
        ("/v1/users", {"username": "x", "password": "Op3rator-pw!"}),
        ("/v1/_emulator/faults", {}),
    ):
        status, answer = emu.api("POST", path, body, token=user)
        assert status == 403, path
        err = error_of(answer)
        assert err["code"] == 1005 and err["title"] == "Access denied"
    # The admin still can.
    assert emu.api("POST", "/v1/settings/backup", {"password": "Backup-pw1!"}, token=admin)[0] == 200


def test_launcher_login_failure_does_not_leak_the_password(emulator):
    emu = emulator()
    with pytest.raises(EmulatorError) as info:
        emu.login("admin", "Not-The-Pa55word!")
    assert "Not-The-Pa55word!" not in str(info.value)
