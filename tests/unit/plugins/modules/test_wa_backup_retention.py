# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of wa_backup's prune option (a retention policy after the backup), against the fake API."""

import os
import time

import pytest

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import write_backup
from ansible_collections.wabiz.migration.plugins.module_utils.wa_retention import DAY, iso_utc
from ansible_collections.wabiz.migration.plugins.modules import wa_backup
from ansible_collections.wabiz.migration.tests.unit.wa_fake_api import (
    ADMIN_PASSWORD,
    BACKUP_PASSWORD,
    run_module,
)


@pytest.fixture
def directory(tmp_path):
    """A backup directory holding prod-old-01d.wabk ... prod-old-40d.wabk, each made that many days ago."""
    now = time.time()
    backups = tmp_path / "prod"
    backups.mkdir(mode=0o700)
    for age in (1, 2, 40):
        name = f"prod-old-{age:02d}d.wabk"
        write_backup(str(backups / name), "V0FCSzE-" + name, manifest_fields={"created_at": iso_utc(now - age * DAY)})
    return backups


def args_for(fake_wa, dest, **prune):
    return {
        "api_url": fake_wa.url,
        "password": ADMIN_PASSWORD,
        "backup_password": BACKUP_PASSWORD,
        "dest": str(dest),
        "retries": 0,
        "timeout": 5,
        "prune": prune,
    }


def names(items):
    return [os.path.basename(item["path"]) for item in items]


def listing(directory):
    return sorted(p.name for p in directory.iterdir() if not p.name.endswith(".manifest.json"))


def test_the_policy_is_applied_after_the_new_backup_which_counts_as_newest(fake_wa, directory):
    dest = directory / "prod-new.wabk"

    failed, result, raw = run_module(wa_backup, args_for(fake_wa, dest, keep_last=2))

    assert not failed, result
    assert names(result["pruned"]["kept"]) == ["prod-new.wabk", "prod-old-01d.wabk"]
    assert names(result["pruned"]["deleted"]) == ["prod-old-02d.wabk", "prod-old-40d.wabk"]
    assert result["pruned"]["newest_good"] == str(dest)
    assert listing(directory) == ["prod-new.wabk", "prod-old-01d.wabk"]
    assert BACKUP_PASSWORD not in raw and ADMIN_PASSWORD not in raw


def test_check_mode_is_a_dry_run_over_the_backups_already_there(fake_wa, directory):
    before = sorted(p.name for p in directory.iterdir())

    failed, result, _raw = run_module(
        wa_backup, args_for(fake_wa, directory / "prod-new.wabk", keep_last=1, keep_days=1.5), check_mode=True
    )

    assert not failed, result
    assert names(result["pruned"]["kept"]) == ["prod-old-01d.wabk"]
    assert names(result["pruned"]["deleted"]) == ["prod-old-02d.wabk", "prod-old-40d.wabk"]
    assert sorted(p.name for p in directory.iterdir()) == before


def test_check_mode_into_a_directory_not_made_yet_has_nothing_to_prune(fake_wa, tmp_path):
    failed, result, _raw = run_module(
        wa_backup, args_for(fake_wa, tmp_path / "new" / "prod-new.wabk", keep_last=1), check_mode=True
    )

    assert not failed, result
    assert result["pruned"] == {"kept": [], "deleted": [], "not_ours": [], "newest_good": None}
    assert not (tmp_path / "new").exists()


def test_a_failed_backup_deletes_nothing(fake_wa, directory):
    fake_wa.fault(status=500, path="/v1/settings/backup")
    before = sorted(p.name for p in directory.iterdir())

    failed, result, _raw = run_module(wa_backup, args_for(fake_wa, directory / "prod-new.wabk", keep_last=0))

    assert failed
    assert "pruned" not in result
    assert sorted(p.name for p in directory.iterdir()) == before


@pytest.mark.parametrize(
    ("prune", "message"),
    [
        ({"keep_last": -1}, "prune.keep_last must be at least 0 (got -1)"),
        ({"keep_days": "nan"}, "prune.keep_days must be a finite number (got nan)"),
        ({"keep_last": 3, "pattern": "*.bak"}, "does not match prune.pattern '*.bak'"),
        ({"keep_last": 3, "pattern": "x/*.wabk"}, "prune: pattern must be a file name pattern"),
        ({"pattern": "*.wabk"}, "one of the following is required: keep_last, keep_days"),
    ],
)
def test_a_policy_that_cannot_apply_is_refused_before_the_client_is_asked(fake_wa, directory, prune, message):
    before = sorted(p.name for p in directory.iterdir())

    failed, result, _raw = run_module(wa_backup, args_for(fake_wa, directory / "prod-new.wabk", **prune))

    assert failed
    assert message in result["msg"], result["msg"]
    assert fake_wa.requests("POST", "/v1/settings/backup") == []
    assert sorted(p.name for p in directory.iterdir()) == before
