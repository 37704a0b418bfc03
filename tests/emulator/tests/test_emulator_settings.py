"""Application settings and the profile about text."""

from __future__ import annotations

from emulator_helpers import error_of


def test_application_settings_patch_get_delete(emulator):
    emu = emulator()
    token = emu.admin_token()
    status, body = emu.api("GET", "/v1/settings/application", token=token)
    assert status == 200
    defaults = body["settings"]["application"]
    for key in ("webhooks", "callback_persist", "max_callback_backoff_delay_ms", "media"):
        assert key in defaults
    assert defaults["webhooks"]["url"] == "" and defaults["media"]["auto_download"] == []

    patch = {"webhooks": {"url": "https://hooks.example.test/wa"}, "callback_persist": False}
    status, body = emu.api("PATCH", "/v1/settings/application", patch, token=token)
    assert status == 200 and set(body) == {"meta"}
    app = emu.api("GET", "/v1/settings/application", token=token)[1]["settings"]["application"]
    assert app["webhooks"] == {"url": "https://hooks.example.test/wa", "max_concurrent_requests": 6}
    assert app["callback_persist"] is False
    assert app["max_callback_backoff_delay_ms"] == defaults["max_callback_backoff_delay_ms"]

    # What GET returns can be PATCHed back as a whole.
    assert emu.api("PATCH", "/v1/settings/application", app, token=token)[0] == 200

    for bad in (
        {"no_such_setting": 1},
        {"webhooks": {"no_such_key": 1}},
        {"callback_persist": "yes"},
        {"media": {"auto_download": ["hologram"]}},
        {"webhooks": {"url": "ftp://x"}},
        {"callback_persist": True, "unknown": 1},  # all or nothing
    ):
        status, body = emu.api("PATCH", "/v1/settings/application", bad, token=token)
        assert status == 400 and error_of(body)["code"] == 1009, bad
        assert "ftp://x" not in error_of(body)["details"]
    after = emu.api("GET", "/v1/settings/application", token=token)[1]["settings"]["application"]
    assert after == app

    assert emu.api("DELETE", "/v1/settings/application", token=token)[0] == 200
    assert emu.api("GET", "/v1/settings/application", token=token)[1]["settings"]["application"] == defaults


def test_profile_about(emulator):
    emu = emulator()
    token = emu.admin_token()
    body = emu.api("GET", "/v1/settings/profile/about", token=token)[1]
    assert body["settings"]["profile"]["about"]["text"]
    assert emu.api("PATCH", "/v1/settings/profile/about", {"text": "Open 9-5"}, token=token)[0] == 200
    assert emu.api("GET", "/v1/settings/profile/about", token=token)[1]["settings"] == {
        "profile": {"about": {"text": "Open 9-5"}}
    }
    assert emu.api("POST", "/v1/settings/profile/about", {"text": "Closed"}, token=token)[0] == 200
    status, body = emu.api("POST", "/v1/settings/profile/about", {"text": "x" * 140}, token=token)
    assert status == 400 and error_of(body)["code"] == 1009
    status, body = emu.api("POST", "/v1/settings/profile/about", {}, token=token)
    assert status == 400 and error_of(body)["code"] == 1008
    assert emu.state()["settings"]["profile"]["about"]["text"] == "Closed"


def test_business_profile(emulator):
    emu = emulator()
    token = emu.admin_token()
    status, body = emu.api("GET", "/v1/settings/business/profile", token=token)
    assert status == 200
    assert body["settings"]["business"]["profile"] == {
        "address": "",
        "description": "",
        "email": "",
        "vertical": "",
        "websites": [],
    }
    update = {"address": "1 Main St", "email": "hi@shop.example", "websites": ["https://shop.example"]}
    status, body = emu.api("POST", "/v1/settings/business/profile", update, token=token)
    assert status == 200 and set(body) == {"meta"}
    status, body = emu.api("POST", "/v1/settings/business/profile", {"vertical": "Retail"}, token=token)
    assert status == 200
    profile = emu.api("GET", "/v1/settings/business/profile", token=token)[1]["settings"]["business"]["profile"]
    assert profile == {**update, "description": "", "vertical": "Retail"}  # a POST keeps the fields it does not give

    for bad in (
        {"no_such_field": "x"},
        {"email": "not-an-address"},
        {"websites": ["https://a.example", "https://b.example", "https://c.example"]},
        {"websites": ["ftp://a.example"]},
        {"description": "x" * 513},
        {"address": 5},
        {"vertical": "Retail", "unknown": 1},  # all or nothing
    ):
        status, body = emu.api("POST", "/v1/settings/business/profile", bad, token=token)
        assert status == 400 and error_of(body)["code"] == 1009, bad
        assert "not-an-address" not in error_of(body)["details"]
    after = emu.api("GET", "/v1/settings/business/profile", token=token)[1]["settings"]["business"]["profile"]
    assert after == profile

    emu.restart()  # kept in state.json
    token = emu.admin_token()
    assert emu.api("GET", "/v1/settings/business/profile", token=token)[1]["settings"]["business"]["profile"] == profile


def test_business_profile_needs_the_admin_role(emulator):
    emu = emulator()
    user = {"username": "ops", "password": "Ops-Pa55word!"}
    status, body = emu.api("POST", "/v1/users", user, token=emu.admin_token())
    assert status == 201, body
    token = emu.login("ops", "Ops-Pa55word!")
    status, body = emu.api("GET", "/v1/settings/business/profile", token=token)
    assert status == 403 and error_of(body)["code"] == 1005
