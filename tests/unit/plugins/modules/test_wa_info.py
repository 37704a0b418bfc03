# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the wa_info module: reads against the fake API, waits with a scripted client and clock."""

import threading

import pytest

from ansible_collections.wabiz.migration.plugins.module_utils.wa_client import WAApiError
from ansible_collections.wabiz.migration.plugins.module_utils.wa_health import WAHealthError
from ansible_collections.wabiz.migration.plugins.modules import wa_info
from ansible_collections.wabiz.migration.plugins.modules.wa_info import WaitTimeout, wait
from ansible_collections.wabiz.migration.tests.unit.wa_fake_api import ADMIN_PASSWORD, run_module, warnings_of


@pytest.fixture
def args(fake_wa):
    return {"api_url": fake_wa.url, "password": ADMIN_PASSWORD, "retries": 0, "timeout": 5}


def test_reads_everything(fake_wa, args):
    failed, result, raw = run_module(wa_info, args)
    assert not failed, result
    assert result["changed"] is False
    assert result["registered"] is True and result["connected"] is True and result["ready"] is True
    assert result["shards"] == 1 and result["topology"] == "single"
    assert result["gateway_status"] == "connected"
    assert result["version"] == "v2.45.1" and result["api_status"] == "stable"
    assert result["health"] == {"gateway_status": "connected"}
    assert result["nodes"] == [{"name": "single", "role": "single", "gateway_status": "connected"}]
    assert result["account"] == {"account": [{"cc": "1", "phone_number": "5550001111"}]}
    assert result["phone_number"] == "15550001111"
    assert result["settings"] == fake_wa.settings
    assert result["waited"] < 1
    assert ADMIN_PASSWORD not in raw


def test_multiconnect_and_no_settings_no_account(fake_wa, args):
    fake_wa.use_multiconnect(coreapps=4, connected=2)
    fake_wa.account = None
    args["gather_settings"] = False
    failed, result, _raw = run_module(wa_info, args)
    assert not failed
    assert result["topology"] == "multiconnect" and result["shards"] == 2
    assert len(result["nodes"]) == 5
    assert result["settings"] is None and result["account"] is None and result["phone_number"] is None
    assert not fake_wa.requests("GET", "/v1/settings/application")


def test_unregistered(fake_wa, args):
    fake_wa.use_multiconnect(coreapps=2, registered=False)
    failed, result, _raw = run_module(wa_info, args)
    assert not failed
    assert result["registered"] is False and result["gateway_status"] == "unregistered"
    # Not readable before registration (some coreapps may be standbys): the nodes are counted instead.
    assert result["shards"] is None and (result["masters"], result["coreapps"]) == (1, 2)
    assert result["counted_from"] == "health" and result["endpoint"] == "127.0.0.1:" + args["api_url"].rsplit(":", 1)[1]


def test_settings_refused_is_a_warning(fake_wa, args):
    fake_wa.fault(status=400, body={"errors": [{"code": 1006, "title": "Resource not found"}]}, path="/v1/settings/a")
    failed, result, _raw = run_module(wa_info, args)
    assert not failed and result["settings"] is None
    assert any("application settings could not be read" in w for w in warnings_of(result))


def test_check_mode_is_the_same(fake_wa, args):
    failed, result, _raw = run_module(wa_info, args, check_mode=True)
    assert not failed and result["registered"] is True


def test_waits_for_connected_in_one_call(fake_wa, args):
    fake_wa.health = {"gateway_status": "uninitialized"}
    timer = threading.Timer(0.4, lambda: setattr(fake_wa, "health", {"gateway_status": "connected"}))
    timer.start()
    args.update(wait_for="connected", wait_interval=0.05, wait_timeout=10)
    try:
        failed, result, _raw = run_module(wa_info, args)
    finally:
        timer.cancel()
    assert not failed, result
    assert result["connected"] is True
    assert 0.3 <= result["waited"] < 5
    assert len(fake_wa.requests("GET", "/v1/health")) > 2


def test_wait_tolerates_restart(fake_wa, args):
    """503s and a lost token (the client restarted) are tolerated while waiting."""
    fake_wa.fault(status=503, body={"errors": [{"code": 1011, "title": "Service not ready"}]}, path="/v1/health")
    fake_wa.fault(status=502, body="<html>bad gateway</html>", ctype="text/html", path="/v1/health")
    fake_wa.fault(path="/v1/health", action="close")
    args.update(wait_for="registered", wait_interval=0.05, wait_timeout=10)
    failed, result, _raw = run_module(wa_info, args)
    assert not failed, result
    fake_wa.tokens.clear()  # a restart drops every token
    failed, result, _raw = run_module(wa_info, args)
    assert not failed, result


def test_wait_timeout_shows_last_health(fake_wa, args):
    fake_wa.use_multiconnect(coreapps=2, registered=False)
    args.update(wait_for="registered", wait_interval=0.05, wait_timeout=0.3)
    failed, result, _raw = run_module(wa_info, args)
    assert failed
    msg = result["msg"]
    assert msg.startswith(f"Timed out after 0.3s waiting for the client at {fake_wa.url} to be registered.")
    assert "Last health seen: gateway_status unregistered, registered false" in msg
    assert "wa-core-1:0100=unregistered (coreapp)" in msg
    assert result["health"] == fake_wa.health
    assert result["waited"] >= 0.3


def test_wait_timeout_shows_last_error(args, free_port):
    args.update(api_url=f"http://127.0.0.1:{free_port}", wait_for="ready", wait_interval=0.05, wait_timeout=0.3)
    failed, result, raw = run_module(wa_info, args)
    assert failed
    assert "No health answer was seen" in result["msg"]
    assert "Last error: Connection refused" in result["msg"]
    assert ADMIN_PASSWORD not in raw


def test_without_wait_errors_fail_at_once(args, free_port):
    args["api_url"] = f"http://127.0.0.1:{free_port}"
    failed, result, _raw = run_module(wa_info, args)
    assert failed and result["msg"].startswith("Connection refused")


def test_expected_shards(fake_wa, args):
    fake_wa.use_multiconnect(coreapps=2, connected=1)
    args.update(wait_for="connected", expected_shards=2, wait_interval=0.05, wait_timeout=0.3)
    failed, result, _raw = run_module(wa_info, args)
    assert failed and "connected with 2 coreapp(s) connected" in result["msg"]
    fake_wa.use_multiconnect(coreapps=2, connected=2)
    failed, result, _raw = run_module(wa_info, args)
    assert not failed and result["shards"] == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expected_shards": 2}, "expected_shards needs wait_for: connected"),
        ({"expected_shards": 0, "wait_for": "connected"}, "expected_shards must be at least 1 (got 0)"),
        ({"wait_interval": 0}, "wait_interval must be at least 0.05 s"),
        ({"wait_interval": 1e-6}, "wait_interval must be at least 0.05 s: polling faster only loads the client"),
        ({"wait_interval": "nan"}, "wait_interval must be a finite number (got nan)"),
        ({"wait_timeout": -1}, "wait_timeout must be at least 0 s"),
        ({"wait_timeout": "nan"}, "wait_timeout must be a finite number (got nan)"),
        ({"wait_timeout": "inf"}, "wait_timeout must be a finite number (got inf)"),
        ({"wait_for": "sleeping"}, "value of wait_for must be one of"),
    ],
)
def test_argument_validation(fake_wa, args, change, message):
    args.update(change)
    failed, result, _raw = run_module(wa_info, args)
    assert failed and message in result["msg"]
    assert fake_wa.log == []


# ---------------------------------------------------------------------------- wait() with a script


class Clock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedClient:
    display_url = "https://wa:443"

    def __init__(self, clock, *script, cost=0.0):
        self.clock = clock
        self.script = list(script)
        self.retries = 3
        self.timeout = 30.0
        self.token = "t"
        self.cost = cost
        self.calls = []
        self.retries_seen = []

    def health(self, timeout=None):
        self.calls.append(timeout)
        self.retries_seen.append(self.retries)
        self.clock.now += self.cost
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        return step


def error(kind, transient=False, message="boom"):
    exc = WAApiError(message, kind=kind, transient=transient)
    return exc


UNREG = {"gateway_status": "unregistered"}
UNINIT = {"gateway_status": "uninitialized"}
CONNECTED = {"gateway_status": "connected"}


def test_wait_polls_at_the_interval_and_restores_retries():
    clock = Clock()
    client = ScriptedClient(clock, error("connection", True), UNINIT, UNINIT, CONNECTED)
    health, summary, waited = wait(client, "connected", 60, 0.5, clock=clock, sleep=clock.sleep)
    assert health == CONNECTED and summary["connected"]
    assert clock.sleeps == [0.5, 0.5, 0.5]
    assert waited == 1.5
    assert client.retries_seen == [0, 0, 0, 0] and client.retries == 3


def test_wait_none_reads_once_with_client_retries():
    clock = Clock()
    client = ScriptedClient(clock, UNREG)
    health, _summary, waited = wait(client, "none", 300, 0.5, clock=clock, sleep=clock.sleep)
    assert health == UNREG and waited == 0 and client.calls == [None] and client.retries_seen == [3]
    client = ScriptedClient(clock, error("connection", True))
    with pytest.raises(WAApiError):
        wait(client, "none", 300, 0.5, clock=clock, sleep=clock.sleep)


def test_wait_last_sleep_is_cut_to_the_deadline():
    clock = Clock()
    client = ScriptedClient(clock, UNREG)
    with pytest.raises(WaitTimeout) as info:
        wait(client, "registered", 1.2, 0.5, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == [0.5, 0.5, pytest.approx(0.2)]
    assert info.value.waited == pytest.approx(1.2)
    assert info.value.health == UNREG


def test_wait_request_timeout_is_bounded_by_the_deadline():
    clock = Clock()
    client = ScriptedClient(clock, UNREG, cost=0.4)
    with pytest.raises(WaitTimeout):
        wait(client, "registered", 5, 0.1, clock=clock, sleep=clock.sleep)
    assert client.calls[0] == 5
    assert all(0.1 <= t <= 5 for t in client.calls)
    assert client.calls[-1] < 1.0  # cut to what remained of the wait (at least 0.1 s for a call)


def test_wait_fails_at_once_on_non_transient_errors():
    clock = Clock()
    client = ScriptedClient(clock, error("tls", message="TLS certificate verification failed"))
    with pytest.raises(WAApiError, match="TLS"):
        wait(client, "ready", 300, 0.5, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == []


def test_wait_401_after_a_restart_is_tolerated_until_the_timeout():
    clock = Clock()
    client = ScriptedClient(clock, error("closed", True), *[error("auth", message="401")] * 200, CONNECTED)
    health, _summary, _waited = wait(client, "connected", 300, 0.5, clock=clock, sleep=clock.sleep)
    assert health == CONNECTED
    assert clock.now - 100 > 60  # far beyond the 30 s grace: a restart was seen


def test_wait_401_without_a_restart_fails_after_the_grace():
    clock = Clock()
    client = ScriptedClient(clock, error("auth", message="Check username and password"))
    with pytest.raises(WAApiError, match="Check username and password"):
        wait(client, "connected", 300, 0.5, clock=clock, sleep=clock.sleep)
    assert clock.now - 100 == pytest.approx(wa_info.AUTH_GRACE)


def test_wait_timeout_message_has_last_error_and_health():
    clock = Clock()
    client = ScriptedClient(clock, UNREG, error("connection", True, "Connection refused by https://wa:443"))
    with pytest.raises(WaitTimeout) as info:
        wait(client, "registered", 2, 0.5, clock=clock, sleep=clock.sleep)
    msg = str(info.value)
    assert "Timed out after 2s waiting for the client at https://wa:443 to be registered." in msg
    assert "Last health seen: gateway_status unregistered" in msg
    assert "Last error: Connection refused" in msg


def test_wait_bad_health_raises_the_health_error():
    clock = Clock()
    client = ScriptedClient(clock, {"nothing": "here"})
    with pytest.raises(WAHealthError):
        wait(client, "ready", 5, 0.5, clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize(
    ("script", "wanted", "ok"),
    [
        ([UNINIT, UNREG], "ready", True),
        ([UNINIT, UNREG], "unregistered", True),
        ([UNREG], "registered", False),
        ([{"gateway_status": "connecting"}], "registered", True),
        ([{"gateway_status": "connecting"}], "connected", False),
    ],
)
def test_wait_states(script, wanted, ok):
    clock = Clock()
    client = ScriptedClient(clock, *script)
    if ok:
        wait(client, wanted, 5, 0.5, clock=clock, sleep=clock.sleep)
    else:
        with pytest.raises(WaitTimeout):
            wait(client, wanted, 5, 0.5, clock=clock, sleep=clock.sleep)
