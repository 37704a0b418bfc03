# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which backups a retention policy keeps and which it deletes.

``plan()`` decides, and is pure: it gets the backups (path, mtime, manifest or the reason they
cannot be trusted) and ``now``, and reads neither a clock nor a file. ``scan()`` builds those
backups from a directory with wa_backup_file's reader; ``delete()`` removes one backup.

The rules, in order (the first that applies decides):

1. Without any good backup nothing is deleted: a human must look first.
2. The newest good backup is always kept, whatever keep_last and keep_days say.
3. A backup dated in the future (beyond a small tolerance for clock skew) is kept: its age is
   unknown. It is not counted in keep_last and is newest_good only when no other good one exists.
4. A damaged backup newer than the newest good one is kept (it may still be being written, or
   deserves a look); a damaged one older than it is deleted unless keep_days keeps it.
5. The ``keep_last`` newest good backups are kept.
6. A backup younger than ``keep_days`` days is kept; one exactly that old is not younger.
7. Everything else is deleted.

A backup is "good" when its manifest is readable and valid and the file's size and sha256 match
it. Its time is the manifest's ``created_at`` (which survives copies), else the file's mtime.
Backups with the same time are ordered by name (later names are newer, as names carry stamps).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import fnmatch
import os
import stat
import time
from collections import namedtuple

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import (
    MANIFEST_SUFFIX,
    BackupFileError,
    manifest_path_for,
    read_backup,
)

DAY = 86400.0
# A manifest written on a machine whose clock is a little ahead is not "in the future".
FUTURE_TOLERANCE = 300.0


class Backup(namedtuple("Backup", ["path", "mtime", "manifest", "problem"])):
    """One backup file: ``manifest`` is set when the file was verified, ``problem`` says why it was not."""

    __slots__ = ()

    @property
    def good(self):
        return self.manifest is not None and self.problem is None

    @property
    def timestamp(self):
        """Seconds since the epoch: the manifest's created_at when it can be read, else the mtime."""
        created = parse_created_at((self.manifest or {}).get("created_at"))
        return self.mtime if created is None else created


Decision = namedtuple("Decision", ["backup", "keep", "reason"])
Plan = namedtuple("Plan", ["decisions", "newest_good"])


def parse_created_at(value):
    """Seconds since the epoch of a manifest's ``created_at`` (``2025-01-31T12:00:00Z``), None if not one."""
    if not isinstance(value, str):
        return None
    try:
        return float(calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return None


def iso_utc(timestamp):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def check_policy(keep_last, keep_days):
    """Raise ValueError for a policy that cannot be applied."""
    if keep_last is None and keep_days is None:
        raise ValueError("give keep_last, keep_days or both: without a rule every backup but the newest would go.")
    if keep_last is not None and (isinstance(keep_last, bool) or keep_last < 0):
        raise ValueError("keep_last must be 0 or more (got %s)." % (keep_last,))
    if keep_days is not None and keep_days < 0:
        raise ValueError("keep_days must be 0 or more (got %s)." % (keep_days,))


def _plural(count, word):
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


def _plural_days(days):
    return "%g day%s" % (days, "" if days == 1 else "s")


def _why_not(keep_last, keep_days):
    reasons = []
    if keep_last is not None:
        reasons.append("not one of the last %s" % _plural(keep_last, "good backup"))
    if keep_days is not None:
        reasons.append("not younger than %s" % _plural_days(keep_days))
    return " and ".join(reasons)


def plan(backups, now, keep_last=None, keep_days=None, future_tolerance=FUTURE_TOLERANCE):
    """Decide for each backup: a Plan of Decisions (newest first) and the newest good Backup (or None)."""
    check_policy(keep_last, keep_days)
    ordered = sorted(backups, key=lambda b: (b.timestamp, b.path), reverse=True)
    future = set(b.path for b in ordered if b.timestamp > now + future_tolerance)
    good_now = [b for b in ordered if b.good and b.path not in future]
    good_any = [b for b in ordered if b.good]
    # When every good backup is dated in the future, the one nearest to now stands in as the newest.
    newest_good = good_now[0] if good_now else (good_any[-1] if good_any else None)
    if newest_good is None:
        return Plan([Decision(b, True, "no good backup in the directory: nothing is deleted") for b in ordered], None)

    last = set(b.path for b in good_now[: keep_last or 0])
    newest_index = ordered.index(newest_good)

    def decide(index, backup):
        if backup is newest_good:
            return True, "the newest good backup"
        if backup.path in future:
            return True, "dated in the future (clock skew?): its age is unknown"
        if not backup.good and index < newest_index:
            return True, "damaged, but newer than the newest good backup: look at it"
        if backup.path in last:
            return True, "one of the last %s" % _plural(keep_last, "good backup")
        if keep_days is not None and now - backup.timestamp < keep_days * DAY:
            return True, "younger than %s" % _plural_days(keep_days)
        if not backup.good:
            return False, "damaged and older than the newest good backup"
        return False, _why_not(keep_last, keep_days)

    decisions = [Decision(backup, *decide(index, backup)) for index, backup in enumerate(ordered)]
    return Plan(decisions, newest_good)


# -- the file system ------------------------------------------------------------------------------


def load(path, mtime):
    """A Backup for ``path``: verified with wa_backup_file.read_backup, or with the problem it found."""
    try:
        backup = read_backup(path)
    except BackupFileError as exc:
        return Backup(path, mtime, None, str(exc))
    return Backup(path, mtime, backup["manifest"], None)


def scan(directory, pattern):
    """Every backup in ``directory`` whose name matches ``pattern``, verified.

    Only regular files count: manifests, hidden files (temporary files of a write in progress),
    directories and symbolic links are left out.
    """
    backups = []
    for name in sorted(os.listdir(directory)):
        if name.startswith(".") or name.endswith(MANIFEST_SUFFIX) or not fnmatch.fnmatchcase(name, pattern):
            continue
        path = os.path.join(directory, name)
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode):
            backups.append(load(path, info.st_mtime))
    return backups


def delete(backup):
    """Remove a backup: its manifest first, so that an interruption leaves a data file without one
    (found damaged, and deleted, by the next run) rather than a manifest without its file."""
    for path in (manifest_path_for(backup.path), backup.path):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
