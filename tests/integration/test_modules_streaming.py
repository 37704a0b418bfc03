# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups of a few MiB stream through wa_backup and wa_restore (ansible-playbook against emulator processes).

The source pads its backups (``--backup-padding-bytes``) so that the data is larger than the pieces the
modules read and write (1 MiB): the file must still be the client's export to the byte, and the target
must take it. Check mode streams the export without writing anything; a backup into a missing directory
creates it 0700; a connection broken mid-answer publishes nothing.
"""

import hashlib
import json
import os
import stat

from test_modules_roundtrip import restart_after_restore, verify

BACKUP_PASSWORD = "Str3aming-Backup-Pa55!"
PADDING = 3 * 2**20  # bytes of padding in the encrypted document: a backup file of about 4 MiB


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_large_backup_there_and_back_through_a_new_directory(emulators, play, tmp_path):
    source, target = emulators.source("--backup-padding-bytes", str(PADDING)), emulators.target()
    dest = tmp_path / "backups" / "nested" / "large.wabk"

    run = play(
        [
            source.task("Back up the source", "wa_backup", backup_password=BACKUP_PASSWORD, dest=str(dest)),
            target.task("Restore the target", "wa_restore", backup_password=BACKUP_PASSWORD, src=str(dest)),
        ]
    )

    assert run.rc == 0, run.output
    backup, restore = run.result("Back up the source"), run.result("Restore the target")
    data = dest.read_bytes()
    manifest = json.loads((dest.parent / "large.wabk.manifest.json").read_text())
    assert len(data) > PADDING * 4 // 3
    assert hashlib.sha256(data).hexdigest() == manifest["sha256"] == backup["checksum"] == restore["checksum"]
    assert len(data) == manifest["size"] == backup["size"]
    assert mode(tmp_path / "backups") == mode(dest.parent) == 0o700
    assert mode(dest) == 0o600
    assert sorted(os.listdir(dest.parent)) == ["large.wabk", "large.wabk.manifest.json"]
    assert restore["restore_status"] == "applied"
    assert [r["status"] for r in target.restore_requests()] == [200]
    assert BACKUP_PASSWORD not in run.output and data[:4096].decode() not in run.output

    restart_after_restore(target)
    verify(play, source, target)  # registered with the source's number, shards and settings


def test_check_mode_streams_the_export_and_writes_nothing(emulators, play, tmp_path):
    source = emulators.source("--backup-padding-bytes", str(PADDING))
    dest = tmp_path / "not-yet" / "large.wabk"
    before = source.snapshot()

    run = play(
        [source.task("Back up", "wa_backup", backup_password=BACKUP_PASSWORD, dest=str(dest))],
        check=True,
    )

    assert run.rc == 0, run.output
    result = run.result("Back up")
    assert result["changed"] is True
    assert result["size"] == result["manifest"]["size"] > PADDING * 4 // 3
    assert result["checksum"] == result["manifest"]["sha256"]
    assert not (tmp_path / "not-yet").exists()
    exports = [r["status"] for r in source.api_requests_since(before) if r["path"] == "/v1/settings/backup"]
    assert exports == [200]


def test_connection_broken_mid_answer_publishes_nothing(emulators, play, tmp_path):
    source = emulators.source("--backup-padding-bytes", str(PADDING))
    source.set_faults({"backup_exit_midway": 1})
    directory = tmp_path / "backups"
    directory.mkdir(mode=0o700)

    run = play(
        [
            source.task(
                "Back up",
                "wa_backup",
                keywords={"ignore_errors": True},
                backup_password=BACKUP_PASSWORD,
                dest=str(directory / "large.wabk"),
                retries=0,
            )
        ]
    )

    result = run.result("Back up")
    assert result["failed"] is True
    assert result["msg"].startswith(f"The answer of {source.url} to POST /v1/settings/backup was cut off")
    assert source.wait_exit(15) == 1  # the client stopped halfway through its answer
    assert os.listdir(directory) == []  # no temporary file left, nothing published
    assert BACKUP_PASSWORD not in run.output
