# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/migrate_to_cloud.yml (role cloud_migrate) against both emulators as real processes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from playbook_runner import PLAYBOOKS, run_playbook

pytest.register_assert_rewrite("cloud_fixtures")

from cloud_fixtures import (  # noqa: E402
    ACCESS_TOKEN,
    BACKUP_PASSWORD,
    PHONE_NUMBER_ID,
    PIN,
    SECRETS,
    VERIFY_TOKEN,
    WRONG_PIN,
)

pytest_plugins = ["cloud_fixtures"]

PLAYBOOK = PLAYBOOKS / "migrate_to_cloud.yml"


class CloudRun:
    """Runs migrate_to_cloud.yml for one on-prem environment ``prod`` against a CloudMove."""

    def __init__(self, move, directory: Path):
        self.move = move
        self.directory = directory
        self.backups = directory / "backups"
        self.reports = directory / "reports"
        directory.mkdir(parents=True, exist_ok=True)

    def inventory(self, **overrides) -> Path:
        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        prod = {
            **local,
            "wa_api_url": self.move.source.url,
            "wa_api_password": self.move.source.admin_password,
            "wa_phone_number_id": PHONE_NUMBER_ID,
            "wa_pin": PIN,
            "wa_backup_password": BACKUP_PASSWORD,
            "wa_backup_dir": str(self.backups),
            "wa_report_dir": str(self.reports),
            "wa_graph_url": self.move.graph.url,
            "wa_graph_ca_path": self.move.graph.ca_path,
            "wa_graph_access_token": ACCESS_TOKEN,
            "wa_cloud_webhook_url": self.move.callback_url,
            "wa_cloud_webhook_verify_token": VERIFY_TOKEN,
            **overrides,
        }
        document = {"all": {"hosts": {"localhost": local}, "children": {"wa_cloud_moves": {"hosts": {"prod": prod}}}}}
        path = self.directory / "inventory.yml"
        path.write_text(yaml.safe_dump(document))
        return path

    def run(self, confirm=True, check=False, verbosity=0, json_output=True, env=None, **overrides):
        extra = {"wa_cloud_confirm": True} if confirm else None
        return run_playbook(
            PLAYBOOK,
            inventory=self.inventory(**overrides),
            extra_vars=extra,
            check=check,
            verbosity=verbosity,
            json_output=json_output,
            env=env,
        )

    def reports_of(self, suffix: str) -> list[Path]:
        return sorted(self.reports.glob(f"prod-cloud-*.{suffix}")) if self.reports.exists() else []

    def last_report(self) -> dict:
        return json.loads(self.reports_of("json")[-1].read_text())


@pytest.fixture
def cloud_run(cloud, tmp_path):
    def build(*graph_args, **kwargs):
        return CloudRun(cloud(*graph_args, **kwargs), tmp_path / "cloud-run")

    return build


def backup_requests(move) -> list[dict]:
    return [r for r in move.source.request_log() if r["path"] == "/v1/settings/backup"]


def test_a_move_then_a_second_run_that_changes_nothing(cloud_run):
    runner = cloud_run()
    move = runner.move
    run = runner.run()
    assert run.rc == 0, run.output
    report = runner.last_report()
    assert report["result"] == "moved"
    assert (report["platform_type_before"], report["platform_type"], report["throughput"]) == (
        "ON_PREMISE",
        "CLOUD_API",
        "HIGH",
    )
    assert report["on_prem"]["state"] == "down" and report["register_status"] == "applied"
    assert [p["name"] for p in report["phases"]] == ["preflight", "backup", "register", "verify", "webhook"]
    assert any("credentials" in item for item in report["operator_todo"])
    assert any(report["backup"]["path"] in item for item in report["operator_todo"])
    assert Path(report["backup"]["path"]).exists() and Path(report["backup"]["manifest"]).exists()
    assert move.source.wait_exit(15) == 0
    assert move.number()["override_callback_uri"] == move.callback_url
    markdown = runner.reports_of("md")[-1].read_text()
    assert "What you must still do" in markdown and "CLOUD_API" in markdown

    again = runner.run()
    assert again.rc == 0, again.output
    assert again.stats("prod")["changed"] == 0
    second = runner.last_report()
    assert second["result"] == "unchanged" and second["register_status"] == "already on the Cloud API"
    assert not any("DR copy" in item for item in second["operator_todo"])
    assert len(move.graph.register_calls()) == 1


def test_check_mode_prints_the_plan_and_sends_nothing(cloud_run):
    runner = cloud_run()
    move = runner.move
    run = runner.run(confirm=False, check=True)
    assert run.rc == 0, run.output
    plan = "\n".join(run.result("The plan", "prod")["msg"])
    assert "CHECK MODE" in plan and "Register the number" in plan and "cloud_migrate_confirm" in plan
    assert move.graph.register_calls() == [] and backup_requests(move) == []
    assert move.source.running() and not runner.backups.exists() and runner.reports_of("json") == []


def test_without_confirmation_nothing_is_sent(cloud_run):
    runner = cloud_run()
    run = runner.run(confirm=False)
    assert run.rc != 0
    assert "cloud_migrate_confirm: true" in run.output
    assert runner.move.graph.register_calls() == [] and backup_requests(runner.move) == []
    assert runner.last_report()["result"] == "failed" and runner.last_report()["on_prem"]["state"] == "running"


def test_a_bad_token_stops_before_anything_is_sent(cloud_run):
    runner = cloud_run()
    run = runner.run(wa_graph_access_token="EAAG-expired-token-000")
    assert run.rc != 0
    assert "access token is invalid or expired" in run.output
    assert backup_requests(runner.move) == [] and runner.move.source.running()


def test_a_wrong_pin_is_reported_with_the_on_prem_client_down(cloud_run):
    runner = cloud_run()
    run = runner.run(wa_pin=WRONG_PIN)
    assert run.rc != 0
    report = runner.last_report()
    assert report["result"] == "failed" and report["failed_task"].endswith("with the backup")
    assert report["register_acted_on"] is True and report["on_prem"]["state"] == "down"
    assert "on-premises client is DOWN" in report["next_step"]
    assert runner.move.source.wait_exit(15) == 0


def test_the_registration_limit_leaves_the_on_prem_client_running(cloud_run):
    runner = cloud_run("--register-limit", "0")
    run = runner.run()
    assert run.rc != 0
    report = runner.last_report()
    assert report["register_acted_on"] is False and report["on_prem"]["state"] == "running"
    assert "registration limit is reached" in report["error"]


@pytest.mark.parametrize("debug", ["0", "1"])
def test_no_secret_at_vvv_in_output_logs_reports_or_files(cloud_run, tmp_path, debug):
    runner = cloud_run()
    log = tmp_path / "ansible.log"
    run = runner.run(verbosity=3, json_output=False, env={"ANSIBLE_LOG_PATH": str(log), "ANSIBLE_DEBUG": debug})
    assert run.rc == 0, run.output[-3000:]
    assert "CLOUD_API" in run.output and len(log.read_text()) > 10_000
    if debug == "1":
        assert "done with _execute_module (wabiz.migration.wa_cloud_register" in run.output
    files = [p for p in runner.directory.rglob("*") if p.is_file() and p.name != "inventory.yml"]
    assert len(files) >= 4  # backup, manifest, two reports
    (backup,) = runner.backups.glob("*.wabk")
    texts = {"output": run.output, "log": log.read_text(), **{str(p): p.read_text(errors="replace") for p in files}}
    secrets = (*SECRETS, runner.move.source.admin_password)
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, name
        if name != str(backup):
            assert backup.read_text().strip()[:64] not in text, name
