# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wa_backup's file contract: 0600 file and manifest written atomically, never overwritten without
``force``, the data returned only when asked for (and then only with no_log)."""

import hashlib
import json
import os
import stat

from wa_emulator.crypto import decrypt_backup

BACKUP_PASSWORD = "Backup-F1le-Pa55!"


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def backup_dir(tmp_path):
    directory = tmp_path / "backups"
    directory.mkdir(mode=0o700)
    return directory


def test_backup_file_and_manifest(source, play, tmp_path):
    directory = backup_dir(tmp_path)
    dest = directory / "wa.backup"
    metadata = {"environment": "production", "ticket": "OPS-1234"}

    run = play(
        [source.task("Back up", "wa_backup", backup_password=BACKUP_PASSWORD, dest=str(dest), metadata=metadata)]
    )

    assert run.rc == 0, run.output
    result = run.result("Back up")
    manifest_path = directory / "wa.backup.manifest.json"
    assert sorted(os.listdir(directory)) == ["wa.backup", "wa.backup.manifest.json"]  # no temporary file left
    assert mode(dest) == mode(manifest_path) == 0o600
    data = dest.read_bytes()
    manifest = json.loads(manifest_path.read_text())
    state = source.state()
    assert manifest == result["manifest"]
    assert manifest == {
        "format": 1,
        "created_at": manifest["created_at"],
        "api_url": source.url,
        "version": state["version"],
        "shards": 1,
        "masters": 0,
        "coreapps": 1,
        "topology": "single",
        "phone_number": state["cc"] + state["phone_number"],
        "file": "wa.backup",
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "metadata": metadata,
    }
    assert (result["dest"], result["manifest_path"]) == (str(dest), str(manifest_path))
    assert (result["checksum"], result["size"]) == (manifest["sha256"], manifest["size"])
    assert result["changed"] is True
    assert "data" not in result
    document = decrypt_backup(data.decode(), BACKUP_PASSWORD)  # the file is the client's own export
    assert document["registration"]["phone_number"] == state["phone_number"]
    assert document["settings"] == state["settings"]


def test_existing_files_are_never_overwritten_without_force(source, play, tmp_path):
    directory = backup_dir(tmp_path)
    dest, lone_manifest_dest, notes = directory / "wa.backup", directory / "other.backup", directory / "notes.txt"
    (directory / "other.backup.manifest.json").write_text('{"a": "manifest without its file"}\n')
    notes.write_text("not a backup\n")

    def backup(name, path, **args):
        return source.task(
            name, "wa_backup", keywords={"ignore_errors": True}, backup_password=BACKUP_PASSWORD, dest=str(path), **args
        )

    run = play([backup("The earlier backup", dest)])
    assert run.result("The earlier backup")["changed"] is True
    dest.chmod(0o644)
    earlier = dest.read_bytes()
    before = source.snapshot()

    run = play(
        [
            backup("Back up onto the earlier backup", dest),
            backup("Back up beside a manifest", lone_manifest_dest),
            backup("Forced onto a file that is not a backup", notes, force=True),
            backup("Back up with force", dest, force=True),
        ]
    )

    refused, lone_manifest, not_ours, forced = (
        run.result(name)
        for name in (
            "Back up onto the earlier backup",
            "Back up beside a manifest",
            "Forced onto a file that is not a backup",
            "Back up with force",
        )
    )
    assert not_ours["failed"] is True
    assert not_ours["msg"] == (
        f"{notes} exists and is not a backup written by this collection (there is no manifest beside it): force "
        "only replaces the collection's own backups. Move it away or choose another dest."
    )
    assert notes.read_text() == "not a backup\n"
    assert dest.read_bytes() != earlier
    assert refused["failed"] is True
    assert refused["msg"] == (
        f"{dest} already exists: it is never overwritten unless force: true; choose another dest or set force: true."
    )
    assert lone_manifest["failed"] is True
    assert lone_manifest["msg"].startswith(
        f"{lone_manifest_dest}.manifest.json already exists: it is never overwritten"
    )
    assert not lone_manifest_dest.exists()
    backups_asked = [r for r in source.api_requests_since(before) if r["path"] == "/v1/settings/backup"]
    assert len(backups_asked) == 1  # only the forced one asked the client anything of the kind
    assert forced.get("failed") is not True, forced
    assert forced["changed"] is True
    assert forced["checksum"] == hashlib.sha256(dest.read_bytes()).hexdigest()
    assert mode(dest) == 0o600
    assert json.loads((directory / "wa.backup.manifest.json").read_text()) == forced["manifest"]
    assert sorted(os.listdir(directory)) == [
        "notes.txt",
        "other.backup.manifest.json",
        "wa.backup",
        "wa.backup.manifest.json",
    ]


def test_data_returned_only_when_asked_and_only_with_no_log(source, play, tmp_path):
    directory = backup_dir(tmp_path)
    refused_dest, dest = directory / "refused.backup", directory / "wa.backup"
    before = source.snapshot()

    run = play(
        [
            source.task(
                "Ask for the data without no_log",
                "wa_backup",
                keywords={"ignore_errors": True},
                backup_password=BACKUP_PASSWORD,
                dest=str(refused_dest),
                return_data=True,
            ),
            source.task(
                "Ask for the data with no_log",
                "wa_backup",
                keywords={"no_log": True, "register": "wa_with_data"},
                backup_password=BACKUP_PASSWORD,
                dest=str(dest),
                return_data=True,
            ),
            {
                "name": "Check the returned data against the file",
                "ansible.builtin.assert": {
                    "that": [
                        f"wa_with_data.data == lookup('ansible.builtin.file', '{dest}')",
                        "wa_with_data.data | hash('sha256') == wa_with_data.checksum",
                    ],
                    "quiet": True,
                },
            },
        ]
    )

    assert run.rc == 0, run.output
    refused = run.result("Ask for the data without no_log")
    assert refused["failed"] is True
    assert refused["msg"] == (
        "return_data: true returns the backup data, which Ansible would show and log: set no_log: true on the task "
        "(nothing was asked of the client)."
    )
    assert not refused_dest.exists()
    assert [r["path"] for r in source.api_requests_since(before)].count("/v1/settings/backup") == 1
    hidden = run.result("Ask for the data with no_log")
    assert set(hidden) <= {"censored", "changed", "warnings", "_ansible_no_log", "action"}, hidden
    assert hidden["warnings"] == [
        "The backup data is in the registered variable (return_data: true): never print it or write it to a log."
    ]
    assert run.result("Check the returned data against the file").get("failed") is not True
    assert dest.read_text() not in run.output
