# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wa_info waits for a state in one task: through connection drops and "not ready" answers, up to a timeout."""


def test_wait_through_drops_and_not_ready_then_time_out(target, play):
    target.set_faults({"drop_next": 2, "fail_next": 2, "fail_status": 503, "paths": ["/v1/health"]})
    snapshot = target.snapshot()

    run = play(
        [
            target.task(
                "Wait until the target is unregistered",
                "wa_info",
                keywords={"ignore_errors": True},
                wait_for="unregistered",
                wait_interval=0.1,
                wait_timeout=60,
            ),
            target.task(
                "Wait for a registration that never comes",
                "wa_info",
                keywords={"ignore_errors": True},
                wait_for="registered",
                wait_interval=0.1,
                wait_timeout=1,
            ),
        ]
    )

    waited = run.result("Wait until the target is unregistered")
    assert waited.get("failed") is not True, waited
    assert (waited["gateway_status"], waited["registered"], waited["ready"]) == ("unregistered", False, True)
    assert waited["waited"] > 0
    health = [r for r in target.api_requests_since(snapshot) if r["path"] == "/v1/health"]
    assert [r["status"] for r in health[:5]] == [None, None, 503, 503, 200]  # two dropped, two not ready, then up
    timed_out = run.result("Wait for a registration that never comes")
    assert timed_out["failed"] is True
    assert timed_out["msg"] == (
        f"Timed out after 1s waiting for the client at {target.url} to be registered. Last health seen: "
        "gateway_status unregistered, registered false, ready true, connected coreapps 0; "
        "nodes: single=unregistered (single)."
    )
    assert timed_out["health"] == {"gateway_status": "unregistered"}


def test_documented_calls_only_give_counts_and_no_number(emulators, play):
    # HA + multiconnect: 2 shards and a standby Coreapp; GET /v1/account answers 404.
    live = emulators.source("--shards", "2", "--coreapps", "3", "--documented-only", name="live")
    spare = emulators.target("--coreapps", "3", "--documented-only", name="spare")

    run = play([live.task("Read the live client", "wa_info"), spare.task("Read the spare client", "wa_info")])

    registered = run.result("Read the live client")
    assert (registered["masters"], registered["coreapps"], registered["counted_from"]) == (1, 3, "support")
    assert (registered["shards"], registered["shards_from"]) == (2, "account_shards")
    assert registered["account"] is None and registered["phone_number"] is None
    assert registered["endpoint"] == f"127.0.0.1:{live.port}" and len(registered["node_keys"]) == 4
    assert registered["about"] is not None  # the profile about, read for the verification
    unregistered = run.result("Read the spare client")
    assert (unregistered["masters"], unregistered["coreapps"], unregistered["shards"]) == (1, 3, None)
    assert not set(unregistered["node_keys"]) & set(registered["node_keys"])
    sent = {(r["method"], r["path"]) for r in live.request_log()}
    assert ("GET", "/v1/support") in sent and ("GET", "/v1/account/shards") in sent
