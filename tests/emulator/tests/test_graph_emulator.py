"""The Graph emulator (``python -m wa_emulator graph``) and the on-prem shutdown hook, as processes."""

from __future__ import annotations

import pytest

from wa_emulator.graph.launcher import GraphProcess
from wa_emulator.lifecycle import read as read_lifecycle

TOKEN = "EAAG-emulator-test-token"
NUMBER = "106540352242922"
WABA = "102290129340398"
PIN = "135790"
PASSWORD = "Backup-Pa55-emu!"


@pytest.fixture
def pair(emulator, tmp_path):
    """(on-prem emulator with 2 shards, Graph emulator linked to it); ``pair.graph`` stopped at the end."""
    started = []

    def build(*graph_args: str, shards: int = 2):
        onprem = emulator("--state", "registered", "--phone", "15550001111", "--shards", str(shards), name="onprem")
        graph = GraphProcess(
            tmp_path / "graph",
            [
                "--tls-self-signed",
                "--access-token",
                TOKEN,
                "--onprem-url",
                onprem.url,
                "--onprem-password",
                onprem.admin_password,
                "--two-step-pin",
                PIN,
                "--callback-verify-token",
                "vt-123",
                *graph_args,
            ],
        )
        started.append(graph)
        return onprem, graph

    yield build
    for graph in started:
        graph.stop()


def backup_of(onprem) -> str:
    status, body = onprem.api("POST", "/v1/settings/backup", {"password": PASSWORD}, token=onprem.admin_token())
    assert status == 200, body
    return body["settings"]["data"]


def register_body(data: str, pin: str = PIN, password: str = PASSWORD) -> dict:
    return {"messaging_product": "whatsapp", "pin": pin, "backup": {"data": data, "password": password}}


def test_tokens_and_the_error_envelope(pair):
    _onprem, graph = pair()
    assert graph.url.startswith("https://")
    status, body = graph.graph("GET", f"/v23.0/{NUMBER}?fields=platform_type", None)
    assert status == 401 and body["error"]["code"] == 190 and body["error"]["fbtrace_id"]
    status, body = graph.graph("GET", f"/v23.0/{NUMBER}?fields=platform_type", "EAAG-wrong")
    assert status == 401 and body["error"]["type"] == "OAuthException"
    status, body = graph.graph("GET", f"/v23.0/{NUMBER}?fields=platform_type,nope", TOKEN)
    assert status == 400 and body["error"]["code"] == 100
    status, body = graph.graph("GET", "/v23.0/999?fields=id", TOKEN)
    assert (status, body["error"]["code"], body["error"]["error_subcode"]) == (400, 100, 33)
    status, body = graph.graph("GET", f"/v23.0/{NUMBER}?fields=platform_type,throughput", TOKEN)
    assert body == {"id": NUMBER, "platform_type": "ON_PREMISE", "throughput": {"level": "STANDARD"}}


@pytest.mark.parametrize("shards, level", [(2, "HIGH"), (1, "STANDARD")])
def test_register_moves_the_number_and_shuts_the_on_prem_client_down(pair, shards, level):
    onprem, graph = pair(shards=shards)
    status, body = graph.graph("POST", f"/v23.0/{NUMBER}/register", TOKEN, register_body(backup_of(onprem)))
    assert (status, body) == (200, {"success": True})
    assert onprem.wait_exit(10) == 0
    assert read_lifecycle(onprem.data_dir)[-1]["reason"] == "cloud_register"
    status, body = graph.graph("GET", f"/v23.0/{NUMBER}?fields=platform_type,throughput", TOKEN)
    assert (body["platform_type"], body["throughput"]["level"]) == ("CLOUD_API", level)


def test_a_wrong_password_leaves_the_on_prem_client_alone(pair):
    onprem, graph = pair()
    status, body = graph.graph(
        "POST", f"/v23.0/{NUMBER}/register", TOKEN, register_body(backup_of(onprem), password="Wr0ng!")
    )
    assert status == 400 and body["error"]["code"] == 100
    assert PASSWORD not in str(body) and "Wr0ng!" not in str(body)
    assert onprem.running() and graph.graph_state()["onprem"]["shutdowns"] == []


def test_a_wrong_pin_takes_the_on_prem_client_down_too(pair):
    onprem, graph = pair()
    status, body = graph.graph("POST", f"/v23.0/{NUMBER}/register", TOKEN, register_body(backup_of(onprem), "000000"))
    assert status == 400 and body["error"]["code"] == 133005
    assert onprem.wait_exit(10) == 0
    assert graph.graph_state()["numbers"][NUMBER]["platform_type"] == "ON_PREMISE"


def test_the_registration_limit_answers_133016(pair):
    onprem, graph = pair("--register-limit", "2")
    data = backup_of(onprem)
    codes = [
        graph.graph("POST", f"/v23.0/{NUMBER}/register", TOKEN, register_body(data, password="x"))[1]["error"]["code"]
        for _attempt in range(3)
    ]
    assert codes == [100, 100, 133016]
    assert onprem.running()


def test_override_callbacks_are_verified_with_their_token(pair):
    _onprem, graph = pair()
    callback = f"{graph.url}/_emulator/webhook"
    good = {"override_callback_uri": callback, "verify_token": "vt-123"}
    bad = {"override_callback_uri": callback, "verify_token": "other"}
    status, body = graph.graph("POST", f"/v23.0/{WABA}/subscribed_apps", TOKEN, bad)
    assert status == 400 and body["error"]["code"] == 2200
    assert graph.graph("POST", f"/v23.0/{WABA}/subscribed_apps", TOKEN, good) == (200, {"success": True})
    status, body = graph.graph("GET", f"/v23.0/{WABA}/subscribed_apps", TOKEN)
    assert body["data"][0]["override_callback_uri"] == callback
    status, body = graph.graph("POST", f"/v23.0/{NUMBER}", TOKEN, {"webhook_configuration": good})
    assert status == 200
    status, body = graph.graph("GET", f"/v23.0/{NUMBER}?fields=webhook_configuration", TOKEN)
    assert body["webhook_configuration"]["phone_number"] == callback


def test_the_on_prem_shutdown_hook_needs_the_admin_and_exits_zero(emulator):
    onprem = emulator("--state", "registered")
    status, _body = onprem.api("POST", "/v1/_emulator/shutdown", {"reason": "test_hook"})
    assert status == 401 and onprem.running()
    status, body = onprem.api("POST", "/v1/_emulator/shutdown", {"reason": "test_hook"}, token=onprem.admin_token())
    assert status == 200 and body["shutdown"] == "test_hook"
    assert onprem.wait_exit(10) == 0
    assert read_lifecycle(onprem.data_dir)[-1]["reason"] == "test_hook"
