# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode (ansible-playbook --check): every check runs against the real client, nothing is written
and no restore is sent."""

BACKUP_PASSWORD = "Check-M0de-Backup!"


def test_backup_check_mode_proves_login_and_admin_rights_and_writes_nothing(source, play, tmp_path):
    source.add_user("operator", "Operat0r-Pass!")
    dest = tmp_path / "backups" / "wa.backup"
    dest.parent.mkdir()
    before = source.snapshot()

    def backup(name, **args):
        return source.task(
            name, "wa_backup", keywords={"ignore_errors": True}, backup_password=BACKUP_PASSWORD, dest=str(dest), **args
        )

    run = play(
        [
            backup("Back up as admin"),
            backup("Back up with a wrong password", password="Wr0ng-Passw0rd!"),
            backup("Back up as a user without admin rights", username="operator", password="Operat0r-Pass!"),
        ],
        check=True,
    )

    would, wrong_password, not_admin = (
        run.result(name)
        for name in ("Back up as admin", "Back up with a wrong password", "Back up as a user without admin rights")
    )
    assert would.get("failed") is not True, would
    assert would["changed"] is True
    assert would["dest"] == str(dest)
    assert would["manifest"]["shards"] == 1 and would["manifest"]["file"] == "wa.backup"
    assert would["checksum"] == would["manifest"]["sha256"]
    assert "data" not in would
    assert wrong_password["failed"] is True
    assert wrong_password["msg"].startswith("POST /v1/users/login failed: HTTP 401")
    assert not_admin["failed"] is True
    assert "Backup and restore need the admin user" in not_admin["msg"]
    assert list(dest.parent.iterdir()) == []
    exports = [r["status"] for r in source.api_requests_since(before) if r["path"] == "/v1/settings/backup"]
    assert exports == [200, 403]  # the export was asked for: that is what proves the rights
    assert source.state() == before.state


def test_restore_check_mode_runs_every_check_and_sends_nothing(emulators, target, play, backup_file, source_backup):
    registered = emulators.start("registered-target", "--state", "registered", "--phone", "15557770000")
    before = {emulator: emulator.snapshot() for emulator in (target, registered)}

    def restore(emulator, name):
        return emulator.task(
            name,
            "wa_restore",
            keywords={"ignore_errors": True},
            backup_password=source_backup.password,
            src=str(backup_file),
        )

    run = play(
        [restore(target, "Restore the target"), restore(registered, "Restore a registered target")],
        check=True,
    )

    would = run.result("Restore the target")
    assert would.get("failed") is not True, would
    assert would["changed"] is True
    assert would["restore_status"] == "would_apply"
    assert would["restart_required"] is True
    assert would["target"] == {
        "registered": False,
        "shards": 1,
        "masters": 0,
        "coreapps": 1,
        "version": "v2.45.1",
        "gateway_status": "unregistered",
    }
    assert would["manifest"]["sha256"] == would["checksum"]
    refused = run.result("Restore a registered target")
    assert refused["failed"] is True
    assert f"The target {registered.url} is registered" in refused["msg"]
    for emulator, snapshot in before.items():
        emulator.assert_unchanged(snapshot)
        assert emulator.restore_requests(snapshot) == []
