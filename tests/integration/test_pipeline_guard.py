# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/migrate.yml against emulator processes: the guard against copying a live number, and
the pipeline outcome (a JUnit test case per environment and phase, one line per environment, a
non-zero exit status naming the environments that failed).

The targets restart by themselves (``--after-restore continue``, strategy ``none``), so that a
whole migration runs without Docker.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from dr_fixtures import process_inventory, read_json
from playbook_runner import PLAYBOOKS, run_playbook

MIGRATE = PLAYBOOKS / "migrate.yml"
BACKUP_PASSWORD = "Pipe-Backup-pa55!"
TOUCHES = {("POST", "/v1/settings/backup"), ("POST", "/v1/settings/restore")}
PHASES = ["preflight", "backup", "restore", "restart", "verify", "source"]


def inventory_of(tmp_path, emulators: dict, migrations: dict):
    return process_inventory(
        tmp_path / "inventory.yml",
        emulators,
        groups={"wa_migrations": {host: {"wa_restart_strategy": "none", **spec} for host, spec in migrations.items()}},
        wa_backup_password=BACKUP_PASSWORD,
    )


def migrate(tmp_path, inventory, check=False, **extra):
    variables = {
        "migrate_backup_dir": str(tmp_path / "backups"),
        "migrate_report_dir": str(tmp_path / "reports"),
        "migrate_lock_dir": str(tmp_path / "locks"),
        "migrate_wait_interval": 0.2,
        **extra,
    }
    return run_playbook(MIGRATE, inventory=inventory, extra_vars=variables, check=check)


def sent(emulator, snapshot) -> set:
    return {(r["method"], r["path"]) for r in emulator.api_requests_since(snapshot)}


def test_a_live_source_left_running_is_refused_in_check_mode_and_for_real(emulators, tmp_path):
    source = emulators.source(name="prod-old")
    target = emulators.target(name="prod-new")
    inventory = inventory_of(
        tmp_path, {"prod-old": source, "prod-new": target}, {"prod-new": {"wa_migrate_from": "prod-old"}}
    )
    before = {name: emulator.snapshot() for name, emulator in (("prod-old", source), ("prod-new", target))}

    for check in (True, False):
        run = migrate(tmp_path, inventory, check=check)

        assert run.rc == 2, run.output
        refusal = run.result("Preflight | Refuse to copy a live number", "prod-new")
        assert refusal["failed"] is True
        assert "would be left running (migrate_source_after: leave)" in refusal["msg"]
        assert "migrate_allow_running_source: true" in refusal["msg"] and "wa_source_after: stop" in refusal["msg"]
        assert run.result("Fail the job when a migration failed")["msg"] == "1 of 1 migration(s) failed: prod-new"
        (line,) = [r["msg"] for r in run.result("One line a migration")["results"]]
        assert line.startswith("prod-new: failed in ") and 'failed at "Preflight | Refuse to copy a live number' in line
    for emulator, name in ((source, "prod-old"), (target, "prod-new")):
        emulator.assert_unchanged(before[name])
        assert not sent(emulator, before[name]) & TOUCHES
    assert not (tmp_path / "backups").exists()
    # The real run's refusal is in the pipeline's JUnit file (check mode writes no report).
    (junit_file,) = (tmp_path / "reports").glob("prod-new-migration-*.xml")
    junit = ET.parse(junit_file).getroot()
    assert (junit.get("tests"), junit.get("failures"), junit.get("skipped")) == ("6", "1", "5")
    (failure,) = junit.iter("failure")
    assert "would be left running" in failure.get("message")


def test_the_allowance_or_an_already_migrated_target_passes_the_guard(emulators, tmp_path):
    source = emulators.source(name="prod-old")
    target = emulators.target("--after-restore", "continue", name="prod-new")
    inventory = inventory_of(
        tmp_path,
        {"prod-old": source, "prod-new": target},
        {"prod-new": {"wa_migrate_from": "prod-old", "wa_allow_running_source": True}},
    )

    plan = migrate(tmp_path, inventory, check=True)
    assert plan.rc == 0, plan.output
    assert plan.result("Preflight | Refuse to copy a live number", "prod-new").get("skipped") is True
    (line,) = [r["msg"] for r in plan.result("One line a migration")["results"]]
    assert line == "prod-new: planned (check mode: preflight passed, nothing changed)"

    run = migrate(tmp_path, inventory)
    assert run.rc == 0, run.output
    (line,) = [r["msg"] for r in run.result("One line a migration")["results"]]
    assert line.startswith("prod-new: migrated in ") and line.endswith(", from prod-old, source left running")
    (report,) = (tmp_path / "reports").glob("prod-new-migration-*.json")
    assert read_json(report)["result"] == "migrated"
    junit = ET.parse(report.with_suffix(".xml")).getroot()
    assert (junit.get("tests"), junit.get("failures"), junit.get("skipped")) == ("6", "0", "0")
    cases = list(junit.iter("testcase"))
    assert [case.get("name") for case in cases] == PHASES
    assert {case.get("classname") for case in cases} == {"migration.prod-new"}
    assert all(float(case.get("time")) >= 0 for case in cases)

    # A second run without the allowance: nothing is copied any more (the target holds the number).
    again = migrate(tmp_path, inventory, wa_allow_running_source=False)
    assert again.rc == 0, again.output
    reports = sorted((tmp_path / "reports").glob("prod-new-migration-*.xml"))
    assert len(reports) == 2
    (unchanged,) = [ET.parse(p).getroot() for p in reports if p != report.with_suffix(".xml")]
    statuses = {case.get("name"): case.find("skipped") is not None for case in unchanged.iter("testcase")}
    assert statuses == {
        "preflight": False,
        "backup": True,
        "restore": True,
        "restart": True,
        "verify": False,
        "source": True,
    }
