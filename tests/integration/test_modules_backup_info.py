# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wa_backup_info on backups the emulator really exported: the newest good first, a damaged one last."""

import json
import os

BACKUP_PASSWORD = "Info-Backup-Pa55!"


def names(items):
    return [os.path.basename(item["path"]) for item in items]


def test_lists_real_backups_the_newest_good_first_in_and_out_of_check_mode(source, play, tmp_path):
    backups = tmp_path / "backups"
    taken = play(
        [
            source.task(f"Backup {n}", "wa_backup", backup_password=BACKUP_PASSWORD, dest=str(backups / f"p-{n}.wabk"))
            for n in (1, 2, 3)
        ]
    )
    assert taken.rc == 0, taken.output
    damaged = backups / "p-3.wabk"
    damaged.write_text("x" * len(damaged.read_text()))  # the newest one, damaged after it was written
    (backups / "NOTES.txt.wabk").write_text("not a backup")
    before = sorted((p.name, p.stat().st_mtime_ns) for p in backups.iterdir())
    info = {"wabiz.migration.wa_backup_info": {"path": str(backups)}}

    run = play([dict(info, name="List the backups"), dict(info, name="Check mode", check_mode=True)])

    assert run.rc == 0, run.output
    for name in ("List the backups", "Check mode"):
        result = run.result(name)
        assert result["changed"] is False
        assert result["newest_good"] == str(backups / "p-2.wabk")
        assert names(result["backups"]) == ["p-2.wabk", "p-1.wabk", "p-3.wabk"]
        assert [b["good"] for b in result["backups"]] == [True, True, False]
        assert result["backups"][0]["manifest"]["sha256"] == taken.result("Backup 2")["checksum"]
        assert "Checksum mismatch" in result["backups"][2]["problem"]
        assert names(result["not_ours"]) == ["NOTES.txt.wabk"]
        assert any("failed verification" in w for w in result["warnings"])
    assert sorted((p.name, p.stat().st_mtime_ns) for p in backups.iterdir()) == before
    assert BACKUP_PASSWORD not in run.output and BACKUP_PASSWORD not in json.dumps(run.json)
