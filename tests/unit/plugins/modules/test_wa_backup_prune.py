# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the wa_backup_prune module, on real files."""

import os
import time

import pytest

from ansible_collections.wabiz.migration.plugins.module_utils import wa_retention
from ansible_collections.wabiz.migration.plugins.module_utils.wa_retention import DAY
from ansible_collections.wabiz.migration.plugins.modules import wa_backup_prune
from ansible_collections.wabiz.migration.tests.unit.wa_fake_api import run_module, warnings_of

DATA = "V0FCSzE-encrypted-backup-data-"


def listing(directory):
    return sorted(p.name for p in directory.iterdir())


def paths(items):
    return [os.path.basename(item["path"]) for item in items]


def test_deletes_what_the_policy_does_not_keep_with_its_manifest(tmp_path, backups):
    for age in (1, 2, 3, 10, 40):
        backups(f"prod-{age:02d}.wabk", age)

    failed, result, raw = run_module(wa_backup_prune, {"path": str(tmp_path), "keep_last": 2, "keep_days": 5})

    assert not failed, result
    assert result["changed"] is True
    assert paths(result["kept"]) == ["prod-01.wabk", "prod-02.wabk", "prod-03.wabk"]
    assert paths(result["deleted"]) == ["prod-10.wabk", "prod-40.wabk"]
    assert result["newest_good"] == str(tmp_path / "prod-01.wabk")
    assert listing(tmp_path) == [
        f"prod-{age:02d}.wabk{suffix}" for age in (1, 2, 3) for suffix in ("", ".manifest.json")
    ]
    first = result["kept"][0]
    assert first["good"] is True and first["problem"] is None
    assert first["manifest_path"] == first["path"] + ".manifest.json"
    assert first["manifest"]["sha256"] and 0.99 < first["age_days"] < 1.01
    assert first["reason"] == "the newest good backup"
    assert result["deleted"][0]["reason"] == "not one of the last 2 good backups and not younger than 5 days"
    assert DATA not in raw


def test_check_mode_lists_what_would_go_and_deletes_nothing(tmp_path, backups):
    for age in (1, 2, 3):
        backups(f"prod-{age}.wabk", age)
    before = listing(tmp_path)

    failed, result, _raw = run_module(wa_backup_prune, {"path": str(tmp_path), "keep_last": 1}, check_mode=True)

    assert not failed, result
    assert result["changed"] is True
    assert paths(result["deleted"]) == ["prod-2.wabk", "prod-3.wabk"]
    assert listing(tmp_path) == before


def test_nothing_to_delete_is_no_change(tmp_path, backups):
    backups("prod-1.wabk", 1)
    failed, result, _raw = run_module(wa_backup_prune, {"path": str(tmp_path), "keep_last": 0, "keep_days": 0})
    assert not failed
    assert result["changed"] is False
    assert paths(result["kept"]) == ["prod-1.wabk"]
    assert result["deleted"] == []


def test_damaged_backups_are_reported_and_kept_and_the_newest_good_survives(tmp_path, backups):
    backups("prod-5.wabk", 5)
    old_damaged = backups("prod-4.wabk", 4)
    old_damaged.write_text("y" * len(old_damaged.read_text()))
    os.utime(old_damaged, (time.time() - 4 * DAY, time.time() - 4 * DAY))  # a damaged backup's age is its mtime
    backups("prod-3.wabk", 3)
    newest = backups("prod-1.wabk", 1)
    newest.write_text("x" * len(newest.read_text()))  # damaged after it was written
    orphan = tmp_path / "prod-0.wabk"  # a data file whose manifest is not written yet (or was lost)
    orphan.write_text("half-written")

    failed, result, _raw = run_module(wa_backup_prune, {"path": str(tmp_path), "keep_last": 0})

    assert not failed, result
    assert result["newest_good"] == str(tmp_path / "prod-3.wabk")
    assert paths(result["kept"]) == ["prod-1.wabk", "prod-3.wabk", "prod-4.wabk"]
    assert paths(result["deleted"]) == ["prod-5.wabk"]
    assert result["not_ours"] == [
        {
            "path": str(orphan),
            "reason": "no manifest beside it, so not a backup written by this collection (or its manifest was lost)",
        }
    ]
    damaged_warning, not_ours_warning = warnings_of(result)
    assert damaged_warning.startswith(
        f"2 backup(s) in {tmp_path} failed verification and were kept (delete_damaged: true lets retention delete "
    )
    assert not_ours_warning.startswith(f"1 file(s) in {tmp_path} match the pattern but are not backups written")
    assert "prod-0.wabk" in listing(tmp_path) and "prod-4.wabk" in listing(tmp_path)

    failed, result, _raw = run_module(wa_backup_prune, {"path": str(tmp_path), "keep_last": 0, "delete_damaged": True})
    assert not failed, result
    assert paths(result["deleted"]) == ["prod-4.wabk"]  # older than the newest good; prod-1 is newer: kept
    assert paths(result["kept"]) == ["prod-1.wabk", "prod-3.wabk"]
    assert "prod-0.wabk" in listing(tmp_path)  # never ours, even with delete_damaged


def test_without_a_good_backup_nothing_is_deleted(tmp_path, backups):
    for name in ("a.wabk", "b.wabk"):
        path = backups(name, 30)
        path.write_text("z" * len(path.read_text()))

    failed, result, _raw = run_module(
        wa_backup_prune, {"path": str(tmp_path), "keep_last": 0, "keep_days": 1, "delete_damaged": True}
    )

    assert not failed
    assert result["changed"] is False and result["newest_good"] is None
    assert listing(tmp_path) == ["a.wabk", "a.wabk.manifest.json", "b.wabk", "b.wabk.manifest.json"]
    assert f"No backup in {tmp_path} is good, so nothing was deleted: check them." in warnings_of(result)


def test_files_that_are_not_ours_are_never_deleted_whatever_the_pattern(tmp_path, backups):
    """The issue's directory: two good backups, notes, an SSH key, an intact backup copied in without its manifest."""
    backups("prod-1.wabk", 1)
    backups("prod-2.wabk", 2)
    (tmp_path / "NOTES.txt").write_text("runbook notes")
    (tmp_path / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----")
    os.utime(tmp_path / "NOTES.txt", (0, 0))
    copied = backups("copied.wabk", 3)
    os.unlink(f"{copied}.manifest.json")

    for pattern in ("*.wabk", "*"):
        failed, result, _raw = run_module(
            wa_backup_prune, {"path": str(tmp_path), "keep_last": 1, "pattern": pattern, "delete_damaged": True}
        )
        assert not failed, result
        assert "NOTES.txt" in listing(tmp_path) and "id_ed25519" in listing(tmp_path)
        assert "copied.wabk" in listing(tmp_path)
        assert "copied.wabk" in paths(result["not_ours"])
        assert all("failed verification" not in w for w in warnings_of(result))
    assert sorted(paths(result["not_ours"])) == ["NOTES.txt", "copied.wabk", "id_ed25519"]
    assert listing(tmp_path) == ["NOTES.txt", "copied.wabk", "id_ed25519", "prod-1.wabk", "prod-1.wabk.manifest.json"]


def test_other_files_are_left_alone(tmp_path, backups):
    backups("prod-1.wabk", 1)
    backups("prod-9.wabk", 9)
    (tmp_path / "prod-9.backup").write_text("another pattern")
    (tmp_path / ".prod-2.wabk.abc.tmp").write_text("a write in progress")
    (tmp_path / "old.wabk").mkdir()
    os.symlink(tmp_path / "prod-9.wabk", tmp_path / "link.wabk")

    failed, result, _raw = run_module(wa_backup_prune, {"path": str(tmp_path), "keep_last": 1})

    assert not failed, result
    assert paths(result["deleted"]) == ["prod-9.wabk"]
    assert listing(tmp_path) == [
        ".prod-2.wabk.abc.tmp",
        "link.wabk",
        "old.wabk",
        "prod-1.wabk",
        "prod-1.wabk.manifest.json",
        "prod-9.backup",
    ]


def test_pattern_selects_the_backups(tmp_path, backups):
    backups("prod-1.wabk", 1)
    backups("prod-2.wabk", 2)
    failed, result, _raw = run_module(
        wa_backup_prune, {"path": str(tmp_path), "keep_last": 5, "pattern": "prod-2.wabk"}, check_mode=True
    )
    assert not failed
    assert result["newest_good"] == str(tmp_path / "prod-2.wabk")
    assert paths(result["kept"]) == ["prod-2.wabk"]


def test_an_empty_directory_is_fine(tmp_path):
    failed, result, _raw = run_module(wa_backup_prune, {"path": str(tmp_path), "keep_last": 3})
    assert not failed
    assert (result["kept"], result["deleted"], result["newest_good"], result["changed"]) == ([], [], None, False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"keep_last": 1, "path": "/nonexistent/wa-backups"}, "The backup directory /nonexistent/wa-backups does not"),
        ({"keep_last": -1}, "keep_last must be at least 0 (got -1)."),
        ({"keep_days": -2}, "keep_days must be at least 0 days (got -2)."),
        ({"keep_days": "nan"}, "keep_days must be a finite number (got nan)."),
        ({"keep_days": "inf"}, "keep_days must be a finite number (got inf)."),
        ({"keep_last": 1, "path": "/srv/wa\x00"}, "path holds a NUL character"),
        ({}, "one of the following is required: keep_last, keep_days"),
        ({"keep_last": 1, "pattern": "../*.wabk"}, "pattern must be a file name pattern without '/'"),
    ],
)
def test_refusals(tmp_path, backups, args, message):
    backups("prod-1.wabk", 1)
    failed, result, _raw = run_module(wa_backup_prune, {"path": str(tmp_path), **args})
    assert failed
    assert message in result["msg"]
    assert listing(tmp_path) == ["prod-1.wabk", "prod-1.wabk.manifest.json"]


def test_a_deletion_that_fails_says_which(tmp_path, backups, monkeypatch):
    backups("prod-1.wabk", 1)
    backups("prod-2.wabk", 2)
    backups("prod-3.wabk", 3)
    real_unlink = os.unlink

    def unlink(path):
        if str(path).endswith("prod-3.wabk"):
            raise PermissionError(13, "Permission denied")
        real_unlink(path)

    monkeypatch.setattr(wa_retention.os, "unlink", unlink)
    failed, result, _raw = run_module(wa_backup_prune, {"path": str(tmp_path), "keep_last": 1})

    assert failed
    assert result["msg"] == f"Cannot delete {tmp_path / 'prod-3.wabk'}: Permission denied. Deleted before it: 1."
    assert paths(result["deleted"]) == ["prod-2.wabk"]
    assert "prod-3.wabk" in listing(tmp_path) and "prod-2.wabk" not in listing(tmp_path)
