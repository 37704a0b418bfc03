# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/backup.yml as a scheduled job, against emulator processes: files, retention, exit status.

A scheduler (cron, a systemd timer, AWX) only sees the exit status and the output, so each test
reads both: the one line per environment of the summary play, and the final failure.
"""

from __future__ import annotations

from dr_fixtures import backup_names, damage, mode, plant_backup, process_inventory, read_json
from playbook_runner import PLAYBOOKS, run_playbook

BACKUP = PLAYBOOKS / "backup.yml"
PASSWORD = "Dr-Backup-Pa55!word"


def summary(run) -> list[str]:
    return [item["msg"] for item in run.result("One line per environment")["results"]]


def test_a_failed_environment_fails_the_job_and_the_summary_says_which(emulators, tmp_path):
    prod = emulators.source(name="prod")
    staging = emulators.source(name="staging")
    broken = emulators.target(name="broken")  # not registered: nothing to back up
    root = tmp_path / "backups"
    inventory = process_inventory(
        tmp_path / "inventory.yml",
        {"prod": prod, "staging": staging, "broken": broken},
        wa_backup_password=PASSWORD,
        wa_backup_root=str(root),
    )

    run = run_playbook(BACKUP, inventory=inventory)

    assert run.rc == 2, run.output
    prod_line, staging_line, broken_line = summary(run)
    for name, line in (("prod", prod_line), ("staging", staging_line)):
        (backup,) = backup_names(root / name)
        assert line.startswith(f"{name}: ok, {backup} (")
        assert line.endswith(", 1 kept, 0 deleted")
        assert mode(root / name) == "0o700"
        assert mode(root / name / backup) == mode(root / name / f"{backup}.manifest.json") == "0o600"
        manifest = read_json(root / name / f"{backup}.manifest.json")
        assert manifest["metadata"] == {"environment": name, "job": "backup"}
    assert broken_line.startswith(
        f'broken: FAILED at "Export the client and apply the retention policy": The client at {broken.url} is not '
    )
    assert backup_names(root / "broken") == []
    failure = run.result("Fail the job when an environment was not backed up")
    assert failure["msg"] == "1 of 3 environment(s) not backed up: broken"
    for secret in (PASSWORD, prod.admin_password, staging.admin_password, broken.admin_password):
        assert secret not in run.output


def test_retention_keeps_exactly_what_the_policy_says_and_a_dry_run_changes_nothing(emulators, tmp_path):
    prod = emulators.source(name="prod")
    root = tmp_path / "backups"
    for age in (1, 2, 3, 40):
        plant_backup(root / "prod", f"prod-old-{age:02d}d.wabk", age)
    damage(plant_backup(root / "prod", "prod-old-50d.wabk", 50))
    planted = sorted(p.name for p in (root / "prod").iterdir())
    inventory = process_inventory(
        tmp_path / "inventory.yml",
        {"prod": prod},
        wa_backup_password=PASSWORD,
        wa_backup_root=str(root),
        wa_backup_keep_last=2,
        wa_backup_keep_days=2.5,
    )

    dry = run_playbook(BACKUP, inventory=inventory, check=True)

    assert dry.rc == 0, dry.output
    (line,) = summary(dry)
    assert line.startswith("prod: dry run, ok, prod-")
    # The damaged backup is kept and reported (wa_backup_delete_damaged is false by default).
    assert line.endswith(", 3 kept, 2 would be deleted: prod-old-03d.wabk, prod-old-40d.wabk"), line
    assert "1 backup(s) in" in dry.output and "failed verification and were kept" in dry.output
    assert sorted(p.name for p in (root / "prod").iterdir()) == planted
    assert prod.restore_requests() == []

    run = run_playbook(BACKUP, inventory=inventory)

    assert run.rc == 0, run.output
    new = sorted(set(backup_names(root / "prod")) - set(planted))
    assert len(new) == 1 and new[0].startswith("prod-2")
    assert backup_names(root / "prod") == sorted([*new, "prod-old-01d.wabk", "prod-old-02d.wabk", "prod-old-50d.wabk"])
    assert sorted(p.name for p in (root / "prod").glob("*.manifest.json")) == [
        f"{name}.manifest.json" for name in backup_names(root / "prod")
    ]
    (line,) = summary(run)
    assert line.endswith(", 4 kept, 2 deleted: prod-old-03d.wabk, prod-old-40d.wabk"), line

    again = run_playbook(BACKUP, inventory=inventory, extra_vars={"wa_backup_delete_damaged": True})

    assert again.rc == 0, again.output
    (line,) = summary(again)
    assert line.endswith(", 4 kept, 1 deleted: prod-old-50d.wabk"), line  # the damaged one, only when asked
    assert "prod-old-50d.wabk" not in backup_names(root / "prod")


def test_a_job_that_matches_no_environment_fails(tmp_path):
    inventory = process_inventory(tmp_path / "inventory.yml", {}, wa_backup_password=PASSWORD)

    run = run_playbook(BACKUP, inventory=inventory, extra_vars={"wa_backup_hosts": "wa_nothing"})

    assert run.rc == 2, run.output
    assert run.result("Fail the job")["msg"] == "No environment matched wa_nothing: nothing was backed up."
