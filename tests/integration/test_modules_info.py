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
