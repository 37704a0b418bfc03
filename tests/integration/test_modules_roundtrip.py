# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup, restore, restart, verify: the modules through ansible-playbook against emulator processes.

The client shuts down after an import; the test restarts the process (``wait_exit`` then
``restart``), as the Docker tier restarts the containers.
"""

BACKUP_PASSWORD = "R0und-Trip-Backup!"


def restart_after_restore(emulator, exit_code=0):
    """The client stops by itself after an import; start it again, as a container restart would."""
    assert emulator.wait_exit(15) == exit_code, emulator.output()[-2000:]
    emulator.restart()


def verify(play, source, target, shards=1):
    """wa_info on both: the target connected, with the source's number, shard count and settings."""
    run = play(
        [
            target.task("Wait until the target is connected", "wa_info", wait_for="connected", wait_timeout=30),
            source.task("Read the source", "wa_info"),
        ]
    )
    assert run.rc == 0, run.output
    restored, original = run.result("Wait until the target is connected"), run.result("Read the source")
    restored_state, original_state = target.state(), source.state()
    assert restored["registered"] is True and restored["connected"] is True
    assert restored["phone_number"] == original["phone_number"] == original_state["cc"] + original_state["phone_number"]
    assert restored["shards"] == original["shards"] == shards
    assert restored["settings"] == original["settings"]
    assert restored_state["settings"] == original_state["settings"]  # the about text too
    assert restored_state["identity_key_id"] != original_state["identity_key_id"]  # a new security code
    assert restored_state["generation"] == 2


def backup_restore_restart_verify(play, tmp_path, source, target, shards=1):
    assert target.state()["settings"] != source.state()["settings"]
    dest = tmp_path / "source.backup"

    run = play(
        [
            source.task("Back up the source", "wa_backup", backup_password=BACKUP_PASSWORD, dest=str(dest)),
            target.task("Restore the target", "wa_restore", backup_password=BACKUP_PASSWORD, src=str(dest)),
        ]
    )

    assert run.rc == 0, run.output
    backup, restore = run.result("Back up the source"), run.result("Restore the target")
    assert backup["manifest"]["shards"] == shards
    assert backup["manifest"]["topology"] == ("single" if shards == 1 else "multiconnect")
    assert restore["changed"] is True
    assert restore["restore_status"] == "applied"
    assert restore["restart_required"] is True
    assert restore["checksum"] == backup["checksum"]
    assert restore["target"]["registered"] is False
    # An unregistered target's shard count cannot be read (1 for a single instance); its Coreapps are counted.
    assert restore["target"]["shards"] == (1 if shards == 1 else None) and restore["target"]["coreapps"] == shards
    assert [r["status"] for r in target.restore_requests()] == [200]

    restart_after_restore(target)
    verify(play, source, target, shards)


def test_backup_restore_restart_verify(play, tmp_path, source, target):
    backup_restore_restart_verify(play, tmp_path, source, target)


def test_backup_restore_restart_verify_over_tls_with_a_private_ca(play, tmp_path, tls_source, tls_target):
    assert tls_source.url.startswith("https://") and tls_target.url.startswith("https://")
    backup_restore_restart_verify(play, tmp_path, tls_source, tls_target)


def test_backup_restore_restart_verify_two_shards(play, tmp_path, emulators):
    source, target = emulators.source("--shards", "2"), emulators.target("--coreapps", "2")
    backup_restore_restart_verify(play, tmp_path, source, target, shards=2)


def test_restore_unconfirmed_when_the_client_exits_before_answering(emulators, play, backup_file, source_backup):
    target = emulators.target("--faults", '{"restore_crash": "after_commit"}')

    run = play(
        [target.task("Restore the target", "wa_restore", backup_password=source_backup.password, src=str(backup_file))]
    )

    assert run.rc == 0, run.output
    restore = run.result("Restore the target")
    assert restore["changed"] is True
    assert restore["restore_status"] == "unconfirmed"
    assert restore["restart_required"] is True
    assert any("it may have been applied" in w and "Do not send it again" in w for w in restore["warnings"]), restore
    assert [r["status"] for r in target.restore_requests()] == [None]  # no answer was sent

    restart_after_restore(target, exit_code=1)
    source = emulators.source()
    verify(play, source, target)


def test_registered_target_overwritten_with_allow_registered(emulators, play, backup_file, source_backup):
    target = emulators.start("registered-target", "--state", "registered", "--phone", "15557770000")

    run = play(
        [
            target.task(
                "Overwrite the registered target",
                "wa_restore",
                backup_password=source_backup.password,
                src=str(backup_file),
                allow_registered=True,
            )
        ]
    )

    assert run.rc == 0, run.output
    restore = run.result("Overwrite the registered target")
    assert restore["restore_status"] == "applied"
    assert restore["target"]["registered"] is True
    restart_after_restore(target)
    state = target.state()
    assert (state["cc"], state["phone_number"]) == ("49", "30901820")
    assert state["settings"] == source_backup.source_state["settings"]
