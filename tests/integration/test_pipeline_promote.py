# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/promote_settings.yml against emulator processes: staging's settings promoted to prod.

The plan (check mode with --diff) shows the change and sends none; the promotion applies the
application settings, about text and business profile with prod's own webhook and overrides,
never touches the registration, and writes JSON, Markdown and JUnit reports; a second run changes
nothing; a failed environment fails the job by name while the others are promoted.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from dr_fixtures import process_inventory, read_json
from playbook_runner import PLAYBOOKS, run_playbook
from source_settings import SOURCE_ABOUT, SOURCE_APPLICATION

PROMOTE = PLAYBOOKS / "promote_settings.yml"
PROFILE = {
    "address": "1 Staging Street",
    "description": "Promoted from staging",
    "email": "hello@shop.example",
    "vertical": "Retail",
    "websites": ["https://shop.example"],
}
PROD_WEBHOOK = "https://hooks.prod.example/wa"
PROD_EMAIL = "prod@shop.example"
# Everything that makes up the registration: a promotion must leave all of it as it was.
REGISTRATION = ("registered", "cc", "phone_number", "shards", "generation", "identity_key_id", "registered_at")


def business_profile(emulator) -> dict:
    status, body = emulator.api("GET", "/v1/settings/business/profile", token=emulator.admin_token())
    assert status == 200, body
    return body["settings"]["business"]["profile"]


def changes(emulator, snapshot) -> list[tuple[str, str]]:
    """What was sent to ``emulator`` since ``snapshot`` besides reads and logins."""
    return [
        (r["method"], r["path"])
        for r in emulator.api_requests_since(snapshot)
        if r["method"] != "GET" and r["path"] != "/v1/users/login"
    ]


def promotion_setup(emulators, tmp_path, **prod_overrides):
    staging = emulators.source(name="staging")
    status, body = staging.api("POST", "/v1/settings/business/profile", PROFILE, token=staging.admin_token())
    assert status == 200, body
    prod = emulators.start("prod", "--state", "registered", "--phone", "15550100100")
    promotion = {"wa_promote_from": "staging", "wa_settings": {"webhooks": {"url": PROD_WEBHOOK}}, **prod_overrides}
    inventory = process_inventory(
        tmp_path / "inventory.yml",
        {"staging": staging, "prod": prod},
        groups={"wa_promotions": {"prod": promotion}},
        wa_promote_report_dir=str(tmp_path / "reports"),
    )
    return staging, prod, inventory


def test_plan_then_promote_then_nothing_to_do(emulators, tmp_path):
    staging, prod, inventory = promotion_setup(emulators, tmp_path, wa_business_profile={"email": PROD_EMAIL})
    prod_before = prod.state()
    staging_before = staging.snapshot()

    plan_snapshot = prod.snapshot()
    plan = run_playbook(PROMOTE, inventory=inventory, check=True, args=["--diff"])
    assert plan.rc == 0, plan.output
    applied = plan.result("Promote | Apply them to this environment", "prod")
    assert applied["changed"] is True
    assert applied["diff"]["after"]["application"]["webhooks"]["url"] == PROD_WEBHOOK
    assert applied["diff"]["after"]["about"] == SOURCE_ABOUT
    assert applied["diff"]["after"]["business_profile"] == {**PROFILE, "email": PROD_EMAIL}
    assert changes(prod, plan_snapshot) == []  # the plan sent nothing
    assert prod.state() == prod_before
    (line,) = [r["msg"] for r in plan.result("One line a promotion")["results"]]
    assert line.startswith("prod: would change (check mode) from staging in ")
    assert not (tmp_path / "reports").exists()  # check mode writes nothing

    run_snapshot = prod.snapshot()
    run = run_playbook(PROMOTE, inventory=inventory)
    assert run.rc == 0, run.output
    after = prod.state()
    expected_application = {
        **prod_before["settings"]["application"],
        **SOURCE_APPLICATION,
        "webhooks": {**prod_before["settings"]["application"]["webhooks"], "url": PROD_WEBHOOK},
    }
    assert after["settings"]["application"] == expected_application
    assert after["settings"]["profile"]["about"]["text"] == SOURCE_ABOUT
    assert business_profile(prod) == {**PROFILE, "email": PROD_EMAIL}
    assert {key: after[key] for key in REGISTRATION} == {key: prod_before[key] for key in REGISTRATION}
    assert sorted(set(changes(prod, run_snapshot))) == [
        ("PATCH", "/v1/settings/application"),
        ("PATCH", "/v1/settings/profile/about"),
        ("POST", "/v1/settings/business/profile"),
    ]
    assert changes(staging, staging_before) == []  # the source is only read
    assert staging.state()["settings"]["application"]["webhooks"]["url"] == SOURCE_APPLICATION["webhooks"]["url"]

    (report,) = (tmp_path / "reports").glob("prod-promotion-*.json")
    data = read_json(report)
    assert data["result"] == "promoted" and data["source"] == "staging"
    assert set(data["changed"]["application"]) == {"webhooks", "callback_persist", "media"}
    assert data["changed"]["about"] is True and data["changed"]["business_profile"] == {**PROFILE, "email": PROD_EMAIL}
    junit = ET.parse(report.with_suffix(".xml")).getroot()
    assert (junit.get("tests"), junit.get("failures"), junit.get("skipped")) == ("2", "0", "0")
    assert [case.get("name") for case in junit.iter("testcase")] == ["read settings of staging", "apply to prod"]
    assert report.with_suffix(".md").read_text().startswith("# Settings promotion: staging -> prod")

    again_snapshot = prod.snapshot()
    again = run_playbook(PROMOTE, inventory=inventory)
    assert again.rc == 0, again.output
    assert again.stats("prod")["changed"] == 0
    assert changes(prod, again_snapshot) == []
    (line,) = [r["msg"] for r in again.result("One line a promotion")["results"]]
    assert line.startswith("prod: unchanged from staging") and line.endswith(": nothing to change")


def test_a_failed_environment_fails_the_job_by_name(emulators, tmp_path):
    staging, prod, _inventory = promotion_setup(emulators, tmp_path)
    dr = emulators.start("dr", "--state", "registered", "--phone", "15550100199")
    inventory = process_inventory(
        tmp_path / "inventory-two.yml",
        {
            "staging": staging,
            "prod": prod,
            "dr": dr,
            "gone": {"wa_api_url": "https://127.0.0.1:9", "wa_api_password": "x"},
        },
        groups={
            "wa_promotions": {
                "prod": {"wa_promote_from": "staging"},
                "dr": {"wa_promote_from": "gone"},  # its source does not answer
            }
        },
        wa_promote_report_dir=str(tmp_path / "reports"),
    )
    dr_before = dr.snapshot()

    run = run_playbook(PROMOTE, inventory=inventory, args=["--forks", "2"])

    assert run.rc == 2, run.output
    assert run.result("Fail the job when a promotion failed")["msg"] == "1 of 2 promotion(s) failed: dr"
    lines = [r["msg"] for r in run.result("One line a promotion")["results"]]
    assert lines[0].startswith("prod: promoted from staging")
    assert (
        lines[1].startswith("dr: failed from gone in ")
        and 'failed at "Promote | Read the source\'s settings"' in lines[1]
    )
    assert changes(dr, dr_before) == []
    (junit_file,) = (tmp_path / "reports").glob("dr-promotion-*.xml")
    junit = ET.parse(junit_file).getroot()
    assert (junit.get("tests"), junit.get("failures"), junit.get("skipped")) == ("2", "1", "1")
    assert prod.state()["settings"]["profile"]["about"]["text"] == SOURCE_ABOUT
    for secret in (staging.admin_password, prod.admin_password, dr.admin_password):
        assert secret not in run.output
