# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the wa_backup_info module, on real files."""

import os

import pytest

from ansible_collections.wabiz.migration.plugins.modules import wa_backup_info, wa_backup_prune
from ansible_collections.wabiz.migration.tests.unit.wa_fake_api import run_module, warnings_of

DATA = "V0FCSzE-encrypted-backup-data-"  # as in conftest.py


def names(items):
    return [os.path.basename(item["path"]) for item in items]


def listing(directory):
    return sorted((p.name, p.stat().st_mtime_ns) for p in directory.iterdir())


@pytest.mark.parametrize("check_mode", [False, True])
def test_lists_the_newest_good_first_then_the_good_then_the_damaged_and_changes_nothing(tmp_path, backups, check_mode):
    for age in (3, 1, 10):
        backups(f"prod-{age:02d}.wabk", age)
    newest = backups("prod-00.wabk", 0.5)
    newest.write_text("x" * len(newest.read_text()))  # damaged after it was written
    backups("prod-future.wabk", -2)  # clock skew: never the newest good while another is good
    (tmp_path / "prod-orphan.wabk").write_text("a data file whose manifest never came")
    before = listing(tmp_path)

    failed, result, raw = run_module(wa_backup_info, {"path": str(tmp_path)}, check_mode=check_mode)

    assert not failed, result
    assert result["changed"] is False
    assert result["newest_good"] == str(tmp_path / "prod-01.wabk")
    assert names(result["backups"]) == [
        "prod-01.wabk",
        "prod-future.wabk",
        "prod-03.wabk",
        "prod-10.wabk",
        "prod-00.wabk",
    ]
    first, damaged = result["backups"][0], result["backups"][-1]
    assert first["good"] is True and first["problem"] is None and first["manifest"]["sha256"]
    assert first["manifest_path"] == first["path"] + ".manifest.json" and 0.99 < first["age_days"] < 1.01
    assert "reason" not in first
    assert damaged["good"] is False and "Checksum mismatch" in damaged["problem"] and damaged["manifest"] is None
    assert names(result["not_ours"]) == ["prod-orphan.wabk"]
    assert "no manifest beside it" in result["not_ours"][0]["reason"]
    warned = " ".join(warnings_of(result))
    assert f"1 backup(s) in {tmp_path} failed verification: " in warned and "prod-orphan.wabk" in warned
    assert listing(tmp_path) == before
    assert DATA not in raw


def test_agrees_with_the_retention_policy_on_the_newest_good_backup(tmp_path, backups):
    for age in (-3, -1):  # every good backup dated in the future: the one nearest to now stands in
        backups(f"skewed{age}.wabk", age)
    _failed, info, _raw = run_module(wa_backup_info, {"path": str(tmp_path)})
    _failed, prune, _raw = run_module(wa_backup_prune, {"path": str(tmp_path), "keep_last": 1}, check_mode=True)
    assert info["newest_good"] == prune["newest_good"] == str(tmp_path / "skewed-1.wabk")


def test_one_file_by_its_name(tmp_path, backups):
    backups("prod-1.wabk", 1)
    backups("prod-2.wabk", 2)
    failed, result, _raw = run_module(wa_backup_info, {"path": str(tmp_path), "pattern": "prod-2.wabk"})
    assert not failed
    assert names(result["backups"]) == ["prod-2.wabk"] and result["newest_good"] == str(tmp_path / "prod-2.wabk")


def test_no_backup_at_all_is_no_error(tmp_path):
    failed, result, _raw = run_module(wa_backup_info, {"path": str(tmp_path)})
    assert not failed
    assert result == dict(result, changed=False, backups=[], not_ours=[], newest_good=None)
    assert not warnings_of(result)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"path": "missing"}, "does not exist (or is not a directory): check path."),
        ({"pattern": "sub/*.wabk"}, "pattern must be a file name pattern without '/'"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, args, message):
    args = dict({"path": str(tmp_path)}, **args)
    if args["path"] == "missing":
        args["path"] = str(tmp_path / "missing")
    failed, result, _raw = run_module(wa_backup_info, args)
    assert failed and message in result["msg"]
