# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/restore.yml: bring an environment back from its newest good backup, the source gone.

The refusals run against an emulator process; the recovery itself runs in containers (the
client stops after the import and the role starts it again through the Docker API).
"""

from __future__ import annotations

import json
import secrets

import pytest
from dr_fixtures import TEST_LABEL, backup_names, damage, plant_backup, process_inventory, remove_labelled
from playbook_runner import PLAYBOOKS, run_playbook

pytest_plugins = ["docker_fixtures", "role_fixtures"]

BACKUP = PLAYBOOKS / "backup.yml"
RESTORE = PLAYBOOKS / "restore.yml"
PASSWORD = "Dr-Restore-Pa55!word"


def test_without_a_good_backup_nothing_is_sent(emulators, tmp_path):
    standby = emulators.target(name="standby")
    backups = tmp_path / "backups" / "prod"
    damage(plant_backup(backups, "prod-1.wabk", 1))
    (backups / "prod-2.wabk").write_text("a data file whose manifest never came")
    inventory = process_inventory(
        tmp_path / "inventory.yml",
        {"standby": standby},
        groups={"wa_restores": {"standby": {"wa_restore_from": "prod", "wa_restart_strategy": "none"}}},
        wa_backup_password=PASSWORD,
        wa_backup_root=str(tmp_path / "backups"),
    )

    latest = run_playbook(RESTORE, inventory=inventory)
    chosen = run_playbook(RESTORE, inventory=inventory, extra_vars={"wa_backup_file": str(backups / "prod-1.wabk")})

    messages = []
    for run in (latest, chosen):
        assert run.rc == 2, run.output
        messages.append(run.result("Stop when there is no good backup", host="standby")["msg"])
        assert messages[-1].endswith("Nothing was sent to the target.")
        assert "Checksum mismatch" in messages[-1]
    assert messages[0].startswith(f"No good backup in {backups}: ")
    assert "prod-2.wabk: no manifest beside it, so not a backup written by this collection" in messages[0]
    assert messages[1].startswith(f"No good backup named prod-1.wabk in {backups}: ")
    assert standby.restore_requests() == []
    assert standby.state()["registered"] is False


@pytest.mark.docker
def test_restore_from_the_newest_good_backup_with_the_source_stopped(docker_client, emulator_image, environments):
    prefix = f"wa-dr-r{secrets.token_hex(3)}"
    try:
        envs = environments(
            prefix,
            22010,
            {"prod": {"state": "registered", "phone": "15550007777"}, "standby": {"wa_restore_from": "prod"}},
        )
        root = envs.workdir / "dr-backups"
        backed_up = envs.run(BACKUP, extra_vars={"wa_backup_hosts": "prod", "wa_backup_root": str(root)})
        assert backed_up.rc == 0, backed_up.output
        (good,) = backup_names(root / "prod")
        damage(plant_backup(root / "prod", "prod-zz-newer.wabk", 0))  # newest, but damaged
        prod_state = envs.state_file("prod")
        docker_client.containers.get(envs.container("prod")).stop(timeout=5)  # the source is gone

        run = envs.run(
            RESTORE,
            extra_vars={
                "wa_restore_hosts": "standby",
                "wa_backup_root": str(root),
                "migrate_report_dir": str(envs.report_dir),
                "migrate_backup_dir": str(envs.backup_dir),
                "migrate_lock_dir": str(envs.workdir / "locks"),
                "migrate_wait_interval": 0.2,
            },
        )

        assert run.rc == 0, run.output
        (path,) = envs.report_dir.glob("standby-migration-*.json")
        report = json.loads(path.read_text())
        assert report["result"] == "migrated"
        assert report["backup"]["path"] == str(root / "prod" / good)
        assert report["source"]["api_url"] is None
        restored = envs.emulator("standby", "state")
        assert restored["registered"] is True
        assert (restored["cc"], restored["phone_number"]) == (prod_state["cc"], prod_state["phone_number"])
        assert len(envs.restores("standby")) == 1
        assert envs.status("standby") == "running"
        assert envs.status("prod") == "exited"
        assert envs.restores("prod") == []
        for secret in envs.secrets:
            assert secret not in run.output
    finally:
        remove_labelled(docker_client, f"{TEST_LABEL}={prefix}")
