# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the module tests that work on backup files (wa_backup_prune, wa_backup_info)."""

import time

import pytest

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import write_backup
from ansible_collections.wabiz.migration.plugins.module_utils.wa_retention import DAY, iso_utc

# The start of every backup's data: the tests check that it never shows in a module's output.
DATA = "V0FCSzE-encrypted-backup-data-"


@pytest.fixture
def backups(tmp_path):
    """make(name, age_days): a good backup with its manifest, made ``age_days`` ago, its data DATA + name."""
    now = time.time()

    def make(name, age_days):
        path = tmp_path / name
        write_backup(str(path), DATA + name, manifest_fields={"created_at": iso_utc(now - age_days * DAY)})
        return path

    return make
