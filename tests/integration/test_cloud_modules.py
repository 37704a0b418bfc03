# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wa_cloud_info, wa_cloud_register and wa_cloud_webhook against both emulators as real processes."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("cloud_fixtures")

from cloud_fixtures import (  # noqa: E402
    BACKUP_PASSWORD,
    PHONE_NUMBER_ID,
    READ_ONLY_TOKEN,
    SECRETS,
    VERIFY_TOKEN,
    WABA_ID,
    WRONG_PIN,
)

pytest_plugins = ["cloud_fixtures"]


def backed_up(move, play):
    run = play([move.backup_task()])
    assert run.rc == 0, run.output
    return move


def test_register_moves_the_number_and_shuts_the_source_down(cloud, play):
    move = backed_up(cloud(), play)
    run = play(
        [
            move.task("Before", "wa_cloud_info", phone_number_id=PHONE_NUMBER_ID),
            move.task("Register", "wa_cloud_register", **move.register_args()),
            move.task("After", "wa_cloud_info", phone_number_id=PHONE_NUMBER_ID, wait_for="cloud_api", wait_timeout=30),
        ]
    )
    assert run.rc == 0, run.output
    assert run.result("Before")["platform_type"] == "ON_PREMISE"
    register = run.result("Register")
    assert register["changed"] and register["registered"] and register["register_status"] == "applied"
    assert register["expected_throughput"] == "HIGH"
    after = run.result("After")
    assert (after["platform_type"], after["throughput_level"]) == ("CLOUD_API", "HIGH")
    assert move.source.wait_exit(15) == 0
    assert [s["reason"] for s in move.shutdowns()] == ["cloud_register"]
    assert len(move.graph.register_calls()) == 1

    again = play([move.task("Register again", "wa_cloud_register", **move.register_args())])
    assert again.rc == 0, again.output
    result = again.result("Register again")
    assert not result["changed"] and result["register_status"] == "already_on_cloud_api"
    assert len(move.graph.register_calls()) == 1


def test_a_single_shard_number_gets_standard_throughput(cloud, play):
    move = backed_up(cloud(shards=1), play)
    run = play([move.task("Register", "wa_cloud_register", **move.register_args())])
    assert run.rc == 0, run.output
    assert move.number()["throughput"] == "STANDARD"


def test_check_mode_sends_nothing(cloud, play):
    move = backed_up(cloud(), play)
    run = play([move.task("Register", "wa_cloud_register", **move.register_args())], check=True)
    assert run.rc == 0, run.output
    result = run.result("Register")
    assert result["changed"] and result["register_status"] == "would_register"
    assert move.graph.register_calls() == []
    assert move.source.running() and move.number()["platform_type"] == "ON_PREMISE"


def test_a_bad_token_is_reported_and_nothing_is_registered(cloud, play):
    move = backed_up(cloud(), play)
    run = play(
        [move.task("Register", "wa_cloud_register", access_token="EAAG-not-a-valid-token", **move.register_args())]
    )
    result = run.result("Register")
    assert result["failed"]
    assert "access token is invalid or expired" in result["msg"]
    assert move.graph.register_calls() == [] and move.source.running()


def test_a_read_only_token_cannot_register(cloud, play):
    move = backed_up(cloud(), play)
    run = play([move.task("Register", "wa_cloud_register", access_token=READ_ONLY_TOKEN, **move.register_args())])
    result = run.result("Register")
    assert result["failed"] and "lacks a permission" in result["msg"]
    assert "on-premises client was not touched" in result["msg"]
    assert move.source.running() and move.number()["platform_type"] == "ON_PREMISE"


def test_a_wrong_backup_password_is_refused_and_the_source_keeps_running(cloud, play):
    move = backed_up(cloud(), play)
    run = play([move.task("Register", "wa_cloud_register", **move.register_args(backup_password="Wr0ng-Password!"))])
    result = run.result("Register")
    assert result["failed"]
    assert "Graph API error 100" in result["msg"] and "backup_password" in result["msg"]
    assert move.source.running() and move.shutdowns() == []
    assert move.number()["platform_type"] == "ON_PREMISE"


def test_the_registration_limit_is_reported_without_retry(cloud, play):
    move = backed_up(cloud("--register-limit", "0"), play)
    run = play([move.task("Register", "wa_cloud_register", **move.register_args())])
    result = run.result("Register")
    assert result["failed"] and result["error"]["code"] == 133016
    assert "registration limit is reached" in result["msg"] and "do not retry now" in result["msg"]
    assert result["acted_on"] is False
    assert len(move.graph.register_calls()) == 1
    assert move.source.running()


def test_a_wrong_pin_reports_what_happened_to_the_on_prem_client(cloud, play):
    move = backed_up(cloud(), play)
    run = play([move.task("Register", "wa_cloud_register", **move.register_args(pin=WRONG_PIN))])
    result = run.result("Register")
    assert result["failed"] and result["acted_on"] is True
    assert "wrong PIN leaves it down and disconnected" in result["msg"]
    assert move.source.wait_exit(15) == 0  # the vendor: a wrong PIN takes the on-prem client down too
    assert [s["reason"] for s in move.shutdowns()] == ["wrong_pin"]
    assert move.number()["platform_type"] == "ON_PREMISE"


def test_bad_input_is_refused_before_anything_is_sent(cloud, play, tmp_path):
    move = backed_up(cloud(), play)
    missing = tmp_path / "nowhere.backup"
    run = play(
        [
            move.task("Short PIN", "wa_cloud_register", {"ignore_errors": True}, **move.register_args(pin="12345")),
            move.task("No file", "wa_cloud_register", {"ignore_errors": True}, **move.register_args(src=str(missing))),
            move.task(
                "Bad ID", "wa_cloud_register", {"ignore_errors": True}, **move.register_args(phone_number_id="+1")
            ),
        ]
    )
    assert "6 digits" in run.result("Short PIN")["msg"]
    assert "does not exist" in run.result("No file")["msg"] and "Nothing was sent" in run.result("No file")["msg"]
    assert "not a Graph ID" in run.result("Bad ID")["msg"]
    assert move.graph.register_calls() == [] and move.source.running()


def test_a_changed_backup_file_is_refused(cloud, play):
    move = backed_up(cloud(), play)
    with open(move.backup, "a") as handle:
        handle.write("x")
    run = play([move.task("Register", "wa_cloud_register", **move.register_args())])
    result = run.result("Register")
    assert result["failed"] and "Nothing was sent" in result["msg"]
    assert move.graph.register_calls() == []


@pytest.mark.parametrize("where", ["phone_number_id", "waba_id"])
def test_webhook_override_is_idempotent_with_check_and_diff(cloud, play, where):
    move = cloud()
    target = {where: PHONE_NUMBER_ID if where == "phone_number_id" else WABA_ID}
    present = dict(target, callback_url=move.callback_url, verify_token=VERIFY_TOKEN)
    run = play([move.task("Set", "wa_cloud_webhook", **present)], check=True, args=["--diff"])
    assert run.rc == 0, run.output
    assert run.result("Set")["changed"] and run.result("Set")["diff"]["after"]["callback_url"] == move.callback_url
    assert all(r["method"] == "GET" for r in move.graph.request_log() if not r["path"].startswith("/_emulator"))

    run = play([move.task("Set", "wa_cloud_webhook", **present), move.task("Again", "wa_cloud_webhook", **present)])
    assert run.rc == 0, run.output
    assert run.result("Set")["changed"] and not run.result("Again")["changed"]
    state = move.graph.graph_state()
    stored = (
        state["numbers"][PHONE_NUMBER_ID]["override_callback_uri"]
        if where == "phone_number_id"
        else state["wabas"][WABA_ID]["override_callback_uri"]
    )
    assert stored == move.callback_url

    run = play([move.task("Remove", "wa_cloud_webhook", state="absent", **target)])
    assert run.rc == 0 and run.result("Remove")["changed"], run.output


def test_a_callback_that_fails_verification_is_refused(cloud, play):
    move = cloud()
    run = play(
        [
            move.task(
                "Set",
                "wa_cloud_webhook",
                phone_number_id=PHONE_NUMBER_ID,
                callback_url=move.callback_url,
                verify_token="n0t-the-expected-token",
            )
        ]
    )
    result = run.result("Set")
    assert result["failed"] and "Callback verification failed" in result["msg"]
    assert move.number()["override_callback_uri"] is None


def test_no_secret_in_output_at_vvv(cloud, play):
    move = cloud()
    tasks = [
        move.backup_task(),
        move.task("Register", "wa_cloud_register", **move.register_args()),
        move.task(
            "Webhook",
            "wa_cloud_webhook",
            phone_number_id=PHONE_NUMBER_ID,
            callback_url=move.callback_url,
            verify_token=VERIFY_TOKEN,
        ),
        move.task("Info", "wa_cloud_info", phone_number_id=PHONE_NUMBER_ID, wait_for="cloud_api"),
    ]
    run = play(tasks, verbosity=3, json_output=False)
    assert run.rc == 0, run.output
    assert "CLOUD_API" in run.output
    for secret in (*SECRETS, BACKUP_PASSWORD):
        assert secret not in run.output
    for path in move.backup.parent.iterdir():
        text = path.read_text(errors="replace")
        for secret in SECRETS:
            assert secret not in text, path


def test_success_as_a_string_is_accepted(cloud, play):
    move = backed_up(cloud("--success-as-string"), play)
    run = play([move.task("Register", "wa_cloud_register", **move.register_args())])
    assert run.rc == 0, run.output
    assert run.result("Register")["register_status"] == "applied"
    assert move.number()["platform_type"] == "CLOUD_API"
