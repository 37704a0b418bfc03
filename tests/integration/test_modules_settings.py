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


PROFILE = {"email": "help@shop.example", "websites": ["https://shop.example"]}


def test_business_profile_check_apply_then_idempotent_and_read_back(target, play):
    snapshot = target.snapshot()

    def profile(name, business_profile, **keywords):
        return target.task(
            name,
            "wa_settings",
            keywords={"diff": True, "ignore_errors": True, **keywords},
            business_profile=business_profile,
        )

    run = play(
        [
            profile("Preview the profile", PROFILE, check_mode=True),
            profile("Apply the profile", PROFILE),
            profile("Apply it once more", PROFILE),
            profile("Apply a bad email", {"email": "not-an-address"}),
            target.task("Read every setting", "wa_settings_info", keywords={"check_mode": True}),
        ]
    )

    preview, applied, again, bad, read = (
        run.result(name)
        for name in (
            "Preview the profile",
            "Apply the profile",
            "Apply it once more",
            "Apply a bad email",
            "Read every setting",
        )
    )
    empty = {"address": "", "description": "", "email": "", "vertical": "", "websites": []}
    for result in (preview, applied):
        assert result.get("failed") is not True, result
        assert result["changed"] is True and result["changed_business_profile"] == PROFILE
        assert result["business_profile"] == {**empty, **PROFILE}
        assert result["diff"]["before"]["business_profile"] == empty
        assert result["diff"]["after"]["business_profile"] == {**empty, **PROFILE}
        assert result["changed_settings"] == {}
    assert again["changed"] is False and again["changed_business_profile"] == {}
    assert bad["failed"] is True
    assert bad["msg"].startswith("POST /v1/settings/business/profile failed: HTTP 400, API error 1009")
    assert read["changed"] is False
    assert read["business_profile"] == {**empty, **PROFILE}
    assert read["about"] == target.state()["settings"]["profile"]["about"]["text"]
    assert read["application"] == target.state()["settings"]["application"]

    posts = [(r["method"], r["status"]) for r in target.api_requests_since(snapshot) if r["path"].endswith("/profile")]
    assert [p for p in posts if p[0] == "POST"] == [("POST", 200), ("POST", 400)]  # check mode and the rerun sent none


def test_business_profile_needs_the_admin_user(target, play):
    target.add_user("ops", "Ops-Pa55word!")
    run = play(
        [
            target.task(
                "Read as a non-admin",
                "wa_settings_info",
                keywords={"ignore_errors": True},
                username="ops",
                password="Ops-Pa55word!",
            )
        ]
    )
    result = run.result("Read as a non-admin")
    assert result["failed"] is True
    assert "GET /v1/settings/business/profile" in result["msg"] and "use the admin user" in result["msg"]
    assert "Ops-Pa55word!" not in run.output
