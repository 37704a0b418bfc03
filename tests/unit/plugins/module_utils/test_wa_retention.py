# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/wa_retention: which backups a policy keeps, clock edge cases included."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import manifest_path_for, write_backup
from ansible_collections.wabiz.migration.plugins.module_utils.wa_retention import (
    DAY,
    FUTURE_TOLERANCE,
    Backup,
    check_policy,
    delete,
    iso_utc,
    parse_created_at,
    plan,
    scan,
)

NOW = 1_760_000_000.0  # a fixed "now": plan() never reads the clock


def good(name, age_days, now=NOW):
    """A verified backup whose manifest says it was made ``age_days`` before ``now``."""
    stamp = iso_utc(now - age_days * DAY)
    return Backup(f"/b/{name}", mtime=0.0, manifest={"created_at": stamp, "sha256": "0" * 64}, problem=None)


def damaged(name, age_days, now=NOW):
    """A backup that failed verification: only its mtime tells its age."""
    return Backup(f"/b/{name}", mtime=now - age_days * DAY, manifest=None, problem="checksum mismatch")


def names(decisions, keep):
    return [d.backup.path.rsplit("/", 1)[1] for d in decisions if d.keep is keep]


def outcome(backups, **policy):
    result = plan(backups, NOW, **policy)
    return names(result.decisions, True), names(result.decisions, False), result.newest_good


# -- the rules -------------------------------------------------------------------------------------


def test_keep_last_keeps_the_newest_and_deletes_the_rest():
    backups = [good(f"b{age}", age) for age in (5, 1, 3, 2, 4)]
    kept, deleted, newest = outcome(backups, keep_last=2)
    assert kept == ["b1", "b2"]
    assert deleted == ["b3", "b4", "b5"]
    assert newest.path == "/b/b1"


def test_keep_days_and_keep_last_together_keep_the_union():
    backups = [good(f"b{age}", age) for age in (1, 2, 10, 20, 40)]
    kept, deleted, _newest_good = outcome(backups, keep_last=3, keep_days=15)
    assert kept == ["b1", "b2", "b10"]  # the last 3; b20 and b40 are not younger than 15 days
    kept, deleted, _newest_good = outcome(backups, keep_last=1, keep_days=25)
    assert kept == ["b1", "b2", "b10", "b20"]
    assert deleted == ["b40"]


def test_exactly_keep_days_old_is_not_younger():
    backups = [good("new", 0.1), good("edge", 7), good("inside", 7 - 1 / DAY)]
    kept, deleted, _newest_good = outcome(backups, keep_days=7)
    assert kept == ["new", "inside"]
    assert deleted == ["edge"]


def test_keep_last_zero_keeps_only_the_newest_good():
    backups = [good(f"b{age}", age) for age in (1, 2, 3)]
    kept, deleted, newest = outcome(backups, keep_last=0)
    assert (kept, deleted, newest.path) == (["b1"], ["b2", "b3"], "/b/b1")
    kept, deleted, _newest_good = outcome(backups, keep_last=0, keep_days=0)
    assert kept == ["b1"]


def test_a_single_backup_is_always_kept():
    kept, deleted, newest = outcome([good("only", 400)], keep_last=0, keep_days=0)
    assert (kept, deleted, newest.path) == (["only"], [], "/b/only")


def test_a_single_damaged_backup_is_kept_and_there_is_no_newest_good():
    kept, deleted, newest = outcome([damaged("only", 400)], keep_last=0)
    assert (kept, deleted, newest) == (["only"], [], None)


def test_nothing_is_deleted_without_a_good_backup():
    backups = [damaged(f"b{age}", age) for age in (1, 50, 100)]
    result = plan(backups, NOW, keep_last=0, keep_days=1)
    assert all(d.keep for d in result.decisions)
    assert {d.reason for d in result.decisions} == {"no good backup in the directory: nothing is deleted"}


def test_corrupt_newest_backup_is_kept_and_the_previous_good_one_is_newest():
    backups = [damaged("corrupt", 0.01), good("b1", 1), good("b2", 2), good("b3", 3)]
    kept, deleted, newest = outcome(backups, keep_last=1)
    assert newest.path == "/b/b1"
    assert kept == ["corrupt", "b1"]
    assert deleted == ["b2", "b3"]


def test_damaged_backups_do_not_count_in_keep_last_and_old_ones_go_only_when_asked():
    backups = [good("b1", 1), damaged("d2", 2), good("b3", 3), damaged("d9", 9)]
    kept, deleted, _newest_good = outcome(backups, keep_last=2, delete_damaged=True)
    assert kept == ["b1", "b3"]
    assert deleted == ["d2", "d9"]
    kept, _deleted, _newest_good = outcome(backups, keep_last=1, keep_days=5, delete_damaged=True)
    assert kept == ["b1", "d2", "b3"]  # young damaged backups stay while keep_days keeps them


def test_damaged_backups_are_kept_by_default():
    backups = [good("b1", 1), damaged("d2", 2), good("b3", 3), damaged("d9", 9)]
    result = plan(backups, NOW, keep_last=1)
    assert names(result.decisions, True) == ["b1", "d2", "d9"]
    assert names(result.decisions, False) == ["b3"]
    assert {d.reason for d in result.decisions if not d.backup.good} == {
        "damaged: kept for a look (delete_damaged lets retention delete damaged backups)"
    }


def test_future_backups_are_kept_and_do_not_push_out_real_ones():
    # A manifest written by a clock a year ahead must not count as the newest backup.
    backups = [good("skewed", -365), good("b1", 1), good("b2", 2)]
    kept, deleted, newest = outcome(backups, keep_last=1)
    assert newest.path == "/b/b1"
    assert kept == ["skewed", "b1"]
    assert deleted == ["b2"]


def test_future_mtime_of_a_damaged_backup_keeps_it():
    kept, deleted, _newest_good = outcome([damaged("ahead", -2), good("b1", 1), good("b5", 5)], keep_last=1)
    assert kept == ["ahead", "b1"]
    assert deleted == ["b5"]


def test_a_little_skew_is_tolerated():
    ahead = good("ahead", -(FUTURE_TOLERANCE - 60) / DAY)
    kept, deleted, newest = outcome([ahead, good("b1", 1)], keep_last=1)
    assert newest.path == "/b/ahead"
    assert (kept, deleted) == (["ahead"], ["b1"])


def test_only_future_good_backups_the_nearest_is_newest():
    backups = [good("far", -30), good("near", -2), damaged("old", 10)]
    kept, deleted, newest = outcome(backups, keep_last=0, delete_damaged=True)
    assert newest.path == "/b/near"
    assert kept == ["far", "near"]
    assert deleted == ["old"]


def test_same_timestamps_are_ordered_by_name():
    backups = [good("prod-a", 1), good("prod-c", 1), good("prod-b", 1)]
    kept, deleted, newest = outcome(backups, keep_last=2)
    assert newest.path == "/b/prod-c"
    assert kept == ["prod-c", "prod-b"]
    assert deleted == ["prod-a"]


def test_reasons_name_the_rule():
    result = plan([good("b1", 1), good("b2", 2), good("b3", 3), good("b9", 9)], NOW, keep_last=2, keep_days=5)
    assert [d.reason for d in result.decisions] == [
        "the newest good backup",
        "one of the last 2 good backups",
        "younger than 5 days",
        "not one of the last 2 good backups and not younger than 5 days",
    ]


def test_manifest_time_wins_over_mtime_and_mtime_is_the_fallback():
    copied = Backup("/b/copied", mtime=NOW, manifest={"created_at": iso_utc(NOW - 10 * DAY)}, problem=None)
    assert copied.timestamp == NOW - 10 * DAY
    unreadable = Backup("/b/x", mtime=NOW - 3, manifest={"created_at": "yesterday"}, problem=None)
    assert unreadable.timestamp == NOW - 3


@pytest.mark.parametrize(
    ("keep_last", "keep_days", "message"),
    [
        (None, None, "give keep_last, keep_days or both"),
        (-1, None, "keep_last must be 0 or more"),
        (None, -0.5, "keep_days must be a finite number, 0 or more"),
        (None, float("nan"), "keep_days must be a finite number, 0 or more"),
        (None, float("inf"), "keep_days must be a finite number, 0 or more"),
    ],
)
def test_policies_that_cannot_be_applied(keep_last, keep_days, message):
    with pytest.raises(ValueError, match=message):
        check_policy(keep_last, keep_days)
    with pytest.raises(ValueError, match=message):
        plan([good("b1", 1)], NOW, keep_last, keep_days)


def test_parse_created_at():
    assert parse_created_at("2025-01-31T12:00:00Z") == 1738324800.0
    assert iso_utc(1738324800.0) == "2025-01-31T12:00:00Z"
    for value in (None, 17, "", "2025-01-31", "2025-01-31T12:00:00+00:00"):
        assert parse_created_at(value) is None


# -- properties ------------------------------------------------------------------------------------

backup_lists = st.lists(
    st.tuples(st.floats(min_value=-40, max_value=400, allow_nan=False), st.booleans()),
    min_size=0,
    max_size=12,
).map(lambda rows: [(good if ok else damaged)(f"b{i:02d}", age) for i, (age, ok) in enumerate(rows)])


@settings(max_examples=300, deadline=None)
@given(
    backup_lists,
    st.one_of(st.none(), st.integers(min_value=0, max_value=6)),
    st.one_of(st.none(), st.floats(min_value=0, max_value=60, allow_nan=False)),
)
def test_every_deletion_is_one_no_rule_keeps(backups, keep_last, keep_days):
    if keep_last is None and keep_days is None:
        keep_days = 7.0
    result = plan(backups, NOW, keep_last, keep_days)
    assert sorted(d.backup.path for d in result.decisions) == sorted(b.path for b in backups)
    deleted = [d.backup for d in result.decisions if not d.keep]
    present_good = sorted(
        (b for b in backups if b.good and b.timestamp <= NOW + FUTURE_TOLERANCE),
        key=lambda b: (b.timestamp, b.path),
        reverse=True,
    )
    if not any(b.good for b in backups):
        assert deleted == []
        return
    assert result.newest_good.good
    if present_good:
        assert result.newest_good == present_good[0]
    last = present_good[: keep_last or 0]
    for backup in deleted:
        assert backup != result.newest_good
        assert backup.timestamp <= NOW + FUTURE_TOLERANCE
        assert backup not in last
        assert keep_days is None or NOW - backup.timestamp >= keep_days * DAY
        if not backup.good:
            assert (backup.timestamp, backup.path) < (result.newest_good.timestamp, result.newest_good.path)


# -- the file system -------------------------------------------------------------------------------


def write(directory, name, age_days, now):
    path = directory / name
    write_backup(str(path), f"data-of-{name}", manifest_fields={"created_at": iso_utc(now - age_days * DAY)})
    return path


def test_scan_verifies_ours_and_reports_every_other_file_as_not_ours(tmp_path):
    now = NOW
    ok = write(tmp_path, "prod-1.wabk", 1, now)
    changed = write(tmp_path, "prod-2.wabk", 2, now)
    changed.write_text("x" * len(changed.read_text()))  # same size, other bytes: ours, damaged
    (tmp_path / "prod-3.wabk").write_text("no manifest")
    copied = write(tmp_path, "prod-4.wabk", 4, now)
    os.rename(copied, tmp_path / "copy.wabk")  # with the manifest of another file
    os.rename(manifest_path_for(str(copied)), tmp_path / "copy.wabk.manifest.json")
    (tmp_path / "tool.wabk").write_text("another tool's file")
    (tmp_path / "tool.wabk.manifest.json").write_text('{"name": "another tool\'s manifest"}')
    (tmp_path / "lost.wabk.manifest.json").write_text("{}")
    (tmp_path / ".prod-5.wabk.x1y2.tmp").write_text("a write in progress")
    (tmp_path / "notes.txt").write_text("not a backup, not matching")
    (tmp_path / "dir.wabk").mkdir()
    os.symlink(ok, tmp_path / "latest.wabk")
    os.mkfifo(tmp_path / "pipe.wabk")
    write(tmp_path, "fifo-manifest.wabk", 1, now)
    os.unlink(manifest_path_for(str(tmp_path / "fifo-manifest.wabk")))
    os.mkfifo(manifest_path_for(str(tmp_path / "fifo-manifest.wabk")))

    backups, not_ours = scan(str(tmp_path), "*.wabk")
    found = {os.path.basename(b.path): b for b in backups}
    others = {os.path.basename(n.path): n.reason for n in not_ours}

    assert sorted(found) == ["prod-1.wabk", "prod-2.wabk"]
    assert found["prod-1.wabk"].good
    assert found["prod-1.wabk"].timestamp == now - DAY
    assert found["prod-2.wabk"].problem.startswith("Checksum mismatch: the backup file ")
    assert others == {
        "copy.wabk": "its manifest names another file (prod-4.wabk): a copy, or not ours",
        "fifo-manifest.wabk": f"not known as a backup of this collection: The manifest {tmp_path}/fifo-manifest"
        ".wabk.manifest.json is a FIFO (named pipe), not a regular file: give the path of a file.",
        "latest.wabk": "a symbolic link, not a backup file",
        "pipe.wabk": "a FIFO (named pipe), not a backup file",
        "prod-3.wabk": "no manifest beside it, so not a backup written by this collection (or its manifest was lost)",
        "tool.wabk": f"not known as a backup of this collection: {tmp_path}/tool.wabk.manifest.json is not a "
        "backup manifest: it has no format field.",
    }
    # The pattern narrows, never widens: with "*" the same files are ours, and the others are reported.
    backups, not_ours = scan(str(tmp_path), "*")
    assert sorted(os.path.basename(b.path) for b in backups) == ["prod-1.wabk", "prod-2.wabk"]
    assert {"notes.txt", "lost.wabk.manifest.json"} <= {os.path.basename(n.path) for n in not_ours}


def test_delete_removes_the_file_and_its_manifest(tmp_path):
    write(tmp_path, "prod-1.wabk", 1, NOW)
    (backup,), _not_ours = scan(str(tmp_path), "*.wabk")
    delete(backup)
    assert list(tmp_path.iterdir()) == []
