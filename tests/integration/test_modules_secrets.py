# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No secret in the output, even at -vvv: API passwords, backup passwords, tokens and backup data.

A backup and restore round trip (a token for the source, the data passed through a variable) with
failures on the way (wrong API password, wrong backup password), as people see it: the default
callback at -vvv, and Ansible's log file. The secrets come from a variables file, as from a vault:
on a failure ansible-core prints the lines of the playbook around the task, so a secret written
in a playbook would show there, whatever the modules do.
"""

import yaml

BACKUP_PASSWORD = "Vvv-Backup-Pa55phrase!"
WRONG_BACKUP_PASSWORD = "Vvv-Wr0ng-Backup-Pa55!"
WRONG_API_PASSWORD = "Vvv-Wr0ng-Api-Pa55!"


def test_no_secret_in_the_output_at_vvv(emulators, play, tmp_path):
    source = emulators.source(admin_password="Vvv-S0urce-Admin!")
    target = emulators.target(admin_password="Vvv-Targ3t-Admin!")
    token = source.login()
    dest, log, variables = tmp_path / "wa.backup", tmp_path / "ansible.log", tmp_path / "secrets.yml"
    variables.write_text(
        yaml.safe_dump(
            {
                "vvv_source_token": token,
                "vvv_target_password": target.admin_password,
                "vvv_wrong_api_password": WRONG_API_PASSWORD,
                "vvv_backup_password": BACKUP_PASSWORD,
                "vvv_wrong_backup_password": WRONG_BACKUP_PASSWORD,
            }
        )
    )

    def restore(name, backup_password, **keywords):
        return target.task(
            name,
            "wa_restore",
            keywords=keywords,
            password="{{ vvv_target_password }}",
            backup_password=backup_password,
            data="{{ wa_secret_backup.data }}",
            checksum="{{ wa_secret_backup.checksum }}",
            manifest=f"{dest}.manifest.json",
        )

    run = play(
        [
            source.task(
                "Back up with a token",
                "wa_backup",
                keywords={"no_log": True, "register": "wa_secret_backup"},
                password=None,
                token="{{ vvv_source_token }}",
                backup_password="{{ vvv_backup_password }}",
                dest=str(dest),
                return_data=True,
            ),
            target.task(
                "Log in with a wrong password",
                "wa_info",
                keywords={"ignore_errors": True},
                password="{{ vvv_wrong_api_password }}",
            ),
            restore("Restore with a wrong backup password", "{{ vvv_wrong_backup_password }}", ignore_errors=True),
            restore("Restore", "{{ vvv_backup_password }}"),
        ],
        verbosity=3,
        json_output=False,
        env={"ANSIBLE_LOG_PATH": str(log)},
        args=["--extra-vars", f"@{variables}"],
    )

    assert run.rc == 0, run.output
    assert "ESTABLISH LOCAL CONNECTION FOR USER" in run.output  # -vvv took effect
    assert "POST /v1/users/login failed: HTTP 401" in run.output
    assert "Check backup_password" in run.output
    assert [r["status"] for r in target.restore_requests()] == [400, 200]
    assert target.wait_exit(15) == 0
    data = dest.read_text()
    middle = len(data) // 2
    secrets = {
        "source API password": source.admin_password,
        "target API password": target.admin_password,
        "wrong API password": WRONG_API_PASSWORD,
        "backup password": BACKUP_PASSWORD,
        "wrong backup password": WRONG_BACKUP_PASSWORD,
        "token": token,
        "token signature": token.rsplit(".", 1)[1],
        "backup data": data,
        "start of the backup data": data[:24],
        "middle of the backup data": data[middle : middle + 24],
        "end of the backup data": data[-24:],
    }
    for where, text in {"output": run.output, "log file": log.read_text()}.items():
        assert text.strip(), where
        assert [name for name, value in secrets.items() if value in text] == [], where
