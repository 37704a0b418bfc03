# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wa_settings against a real client: check mode and diff mode first, then the change, then nothing."""

STAGING = {"webhooks": {"url": "https://staging.example.com/whatsapp/webhook"}, "sent_status": True}
ABOUT = "Staging copy - do not use"


def test_settings_check_diff_apply_then_idempotent(target, play):
    before = target.state()["settings"]
    snapshot = target.snapshot()

    def settings(name, application, **keywords):
        return target.task(
            name,
            "wa_settings",
            keywords={"diff": True, "ignore_errors": True, **keywords},
            application=application,
            about=ABOUT,
        )

    run = play(
        [
            settings("Preview the staging settings", STAGING, check_mode=True),
            settings("Apply the staging settings", STAGING),
            settings("Apply them once more", STAGING),
            settings("Apply an unknown setting", {"no_such_setting": 1}),
        ]
    )

    preview, applied, again, unknown = (
        run.result(name)
        for name in (
            "Preview the staging settings",
            "Apply the staging settings",
            "Apply them once more",
            "Apply an unknown setting",
        )
    )
    expected = {
        **before["application"],
        "webhooks": {**before["application"]["webhooks"], **STAGING["webhooks"]},
        "sent_status": True,
    }
    for result in (preview, applied):
        assert result.get("failed") is not True, result
        assert result["changed"] is True
        assert result["changed_settings"] == STAGING
        assert result["settings"] == expected
        assert result["diff"] == {
            "before": {"application": before["application"], "about": before["profile"]["about"]["text"]},
            "after": {"application": expected, "about": ABOUT},
        }
    assert again["changed"] is False
    assert again["changed_settings"] == {}
    assert again["diff"]["before"] == again["diff"]["after"]
    assert unknown["failed"] is True
    assert unknown["msg"].startswith("PATCH /v1/settings/application failed: HTTP 400, API error 1009")
    assert "unknown setting: no_such_setting" in unknown["msg"]

    changes = [
        (r["method"], r["path"], r["status"]) for r in target.api_requests_since(snapshot) if r["method"] != "GET"
    ]
    assert changes.count(("POST", "/v1/users/login", 200)) == 4
    assert [c for c in changes if c[0] == "PATCH"] == [  # check mode and the second run sent nothing
        ("PATCH", "/v1/settings/application", 200),
        ("PATCH", "/v1/settings/profile/about", 200),
        ("PATCH", "/v1/settings/application", 400),
    ]
    assert target.state()["settings"] == {"application": expected, "profile": {"about": {"text": ABOUT}}}
