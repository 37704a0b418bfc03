# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which backups a retention policy keeps and which it deletes.

``plan()`` decides, and is pure: it gets the backups (path, mtime, manifest or the reason they
cannot be trusted) and ``now``, and reads neither a clock nor a file. ``scan()`` builds those
backups from a directory with wa_backup_file's reader; ``delete()`` removes one backup;
``apply_policy()`` does all three for a directory, as wa_backup_prune and wa_backup's ``prune``
do; ``survey()`` only scans and orders, for wa_backup_info.

Only the collection's own backups are ever considered: a regular file ``NAME`` beside which
``NAME.manifest.json`` is a manifest of this collection that names it (``"file": "NAME"``, which
wa_backup has always written). The user's pattern only narrows that further; whatever else matches
it (a file without such a manifest, with another tool's or a copied manifest, a link, a device) is
left alone and reported as not ours, and a backup whose manifest was lost is such a file: never
deleted.

The rules, in order (the first that applies decides):

1. Without any good backup nothing is deleted: a human must look first.
2. The newest good backup is always kept, whatever keep_last and keep_days say.
3. A backup dated in the future (beyond a small tolerance for clock skew) is kept: its age is
   unknown. It is not counted in keep_last and is newest_good only when no other good one exists.
4. A damaged backup (its manifest is ours, the file does not match it) is kept unless
   ``delete_damaged`` is set; even then one newer than the newest good one is kept (it may still be
   being written, or deserves a look), and one older is deleted unless keep_days keeps it.
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
import math
import os
import stat
import time
from collections import namedtuple

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import (
    MANIFEST_SUFFIX,
    BackupFileError,
    kind_of,
    load_manifest,
    manifest_path_for,
    verify_backup,
)

DAY = 86400.0
DEFAULT_PATTERN = "*.wabk"
# The policy's options: wa_backup_prune's own, and the suboptions of wa_backup's prune.
POLICY_ARGUMENT_SPEC = dict(
    keep_last=dict(type="int"),
    keep_days=dict(type="float"),
    pattern=dict(type="str", default=DEFAULT_PATTERN),
    delete_damaged=dict(type="bool", default=False),
)
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
# A file the policy leaves alone because the collection did not write it (or cannot tell that it did).
NotOurs = namedtuple("NotOurs", ["path", "reason"])
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
    if keep_days is not None and (not math.isfinite(keep_days) or keep_days < 0):
        raise ValueError("keep_days must be a finite number, 0 or more (got %s)." % (keep_days,))


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


def newest_first(backups):
    return sorted(backups, key=lambda b: (b.timestamp, b.path), reverse=True)


def find_newest_good(ordered, now, future_tolerance=FUTURE_TOLERANCE):
    """(newest good Backup or None, good ones not dated in the future, paths dated in the future) of ``ordered``."""
    future = set(b.path for b in ordered if b.timestamp > now + future_tolerance)
    good_now = [b for b in ordered if b.good and b.path not in future]
    good_any = [b for b in ordered if b.good]
    # When every good backup is dated in the future, the one nearest to now stands in as the newest.
    newest_good = good_now[0] if good_now else (good_any[-1] if good_any else None)
    return newest_good, good_now, future


def plan(backups, now, keep_last=None, keep_days=None, future_tolerance=FUTURE_TOLERANCE, delete_damaged=False):
    """Decide for each backup: a Plan of Decisions (newest first) and the newest good Backup (or None)."""
    check_policy(keep_last, keep_days)
    ordered = newest_first(backups)
    newest_good, good_now, future = find_newest_good(ordered, now, future_tolerance)
    if newest_good is None:
        return Plan([Decision(b, True, "no good backup in the directory: nothing is deleted") for b in ordered], None)

    last = set(b.path for b in good_now[: keep_last or 0])
    newest_index = ordered.index(newest_good)

    def decide(index, backup):
        if backup is newest_good:
            return True, "the newest good backup"
        if backup.path in future:
            return True, "dated in the future (clock skew?): its age is unknown"
        if not backup.good and not delete_damaged:
            return True, "damaged: kept for a look (delete_damaged lets retention delete damaged backups)"
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
    """A Backup for ``path``: verified with wa_backup_file.verify_backup, or with the problem it found."""
    try:
        backup = verify_backup(path)
    except BackupFileError as exc:
        return Backup(path, mtime, None, str(exc))
    return Backup(path, mtime, backup["manifest"], None)


def _our_manifest(path, name):
    """None when ``path`` is a manifest of this collection naming the file ``name``, else why it is not."""
    if not os.path.lexists(path):
        return "no manifest beside it, so not a backup written by this collection (or its manifest was lost)"
    try:
        manifest = load_manifest(path)
    except BackupFileError as exc:
        return "not known as a backup of this collection: %s" % exc
    if manifest.get("file") != name:
        return "its manifest names another file (%s): a copy, or not ours" % (manifest.get("file"),)
    return None


def scan(directory, pattern):
    """(backups, not_ours) in ``directory`` among the names that match ``pattern``.

    ``backups``: the collection's own (see the module doc), verified; ``not_ours``: NotOurs for
    everything else that matches, left alone. Manifests are counted with their backup; hidden files
    (a write in progress) and directories are not looked at.
    """
    backups, not_ours = [], []
    for name in sorted(os.listdir(directory)):
        if name.startswith(".") or not fnmatch.fnmatchcase(name, pattern):
            continue
        path = os.path.join(directory, name)
        info = os.lstat(path)
        if stat.S_ISDIR(info.st_mode):
            continue
        if name.endswith(MANIFEST_SUFFIX):
            if not os.path.lexists(path[: -len(MANIFEST_SUFFIX)]):
                not_ours.append(NotOurs(path, "a manifest without its backup file"))
            continue  # else it is looked at with its backup file
        if not stat.S_ISREG(info.st_mode):
            not_ours.append(NotOurs(path, "%s, not a backup file" % kind_of(info.st_mode)))
            continue
        why = _our_manifest(manifest_path_for(path), name)
        if why is not None:
            not_ours.append(NotOurs(path, why))
            continue
        backups.append(load(path, info.st_mtime))
    return backups, not_ours


def delete(backup):
    """Remove a backup: its data file first, so that an interruption leaves a small manifest without
    its file (reported by the next run) rather than a data file without its manifest, which would no
    longer be known as ours."""
    for path in (backup.path, manifest_path_for(backup.path)):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


# -- the whole policy on a directory ---------------------------------------------------------------


class RetentionError(Exception):
    """A policy that cannot be applied, or a deletion that failed; ``outcome`` is what was done before."""

    def __init__(self, message, outcome=None):
        super(RetentionError, self).__init__(message)
        self.outcome = outcome or {}


def check_pattern(pattern):
    if not pattern or "/" in pattern:
        raise RetentionError("pattern must be a file name pattern without '/' (got %r)." % (pattern,))


def describe(backup, now):
    """A backup as the modules return it: where, its time and age, whether it is good, its manifest."""
    return dict(
        path=backup.path,
        manifest_path=manifest_path_for(backup.path),
        created_at=iso_utc(backup.timestamp),
        age_days=round((now - backup.timestamp) / DAY, 3),
        good=backup.good,
        problem=backup.problem,
        manifest=backup.manifest,
    )


def describe_decision(decision, now):
    """A decision as wa_backup_prune returns it: the backup, and why it is kept or deleted."""
    return dict(describe(decision.backup, now), reason=decision.reason)


def checked_scan(directory, pattern):
    """scan() of an existing directory, with the pattern checked; RetentionError when it cannot be read."""
    check_pattern(pattern)
    if not os.path.isdir(directory):
        raise RetentionError("The backup directory %s does not exist (or is not a directory): check path." % directory)
    try:
        return scan(directory, pattern)
    except OSError as exc:
        raise RetentionError("Cannot read the backups in %s: %s." % (directory, exc.strerror or exc)) from None


def damaged_warning(directory, damaged, kept_because=""):
    return "%d backup(s) in %s failed verification%s: %s" % (
        len(damaged),
        directory,
        kept_because,
        "; ".join(b.problem for b in damaged),
    )


def not_ours_warning(directory, not_ours):
    shown = ", ".join(os.path.basename(n.path) for n in not_ours[:5]) + (", ..." if len(not_ours) > 5 else "")
    return (
        "%d file(s) in %s match the pattern but are not backups written by this collection, and were left "
        "alone (see not_ours): %s" % (len(not_ours), directory, shown)
    )


def survey(directory, pattern=DEFAULT_PATTERN, now=None):
    """The collection's backups in ``directory``, verified, newest good first, then the damaged ones.

    Returns ``dict(backups, not_ours, newest_good, warnings)`` as wa_backup_info does; deletes nothing.
    Raises RetentionError for a bad pattern or directory.
    """
    now = time.time() if now is None else now
    backups, not_ours = checked_scan(directory, pattern)
    ordered = newest_first(backups)
    newest_good = find_newest_good(ordered, now)[0]
    good = [b for b in ordered if b.good]
    if newest_good is not None:
        good.remove(newest_good)
        good.insert(0, newest_good)
    damaged = [b for b in ordered if not b.good]
    warnings = [damaged_warning(directory, damaged)] if damaged else []
    if not_ours:
        warnings.append(not_ours_warning(directory, not_ours))
    return dict(
        backups=[describe(b, now) for b in good + damaged],
        not_ours=[dict(path=n.path, reason=n.reason) for n in not_ours],
        newest_good=newest_good.path if newest_good else None,
        warnings=warnings,
    )


def apply_policy(
    directory,
    keep_last=None,
    keep_days=None,
    pattern=DEFAULT_PATTERN,
    check_mode=False,
    now=None,
    delete_damaged=False,
):
    """Verify the backups in ``directory``, then delete those the policy does not keep (none in check mode).

    Returns ``dict(kept, deleted, not_ours, newest_good, warnings)``; ``deleted`` lists what would go in
    check mode, ``not_ours`` what matched the pattern but was left alone as not the collection's.
    Raises RetentionError for a bad policy or directory (nothing deleted), or when a deletion fails.
    """
    try:
        check_policy(keep_last, keep_days)
    except ValueError as exc:
        raise RetentionError(str(exc)) from None
    now = time.time() if now is None else now
    backups, not_ours = checked_scan(directory, pattern)
    decided = plan(backups, now, keep_last, keep_days, delete_damaged=delete_damaged)

    warnings = []
    if decided.newest_good is None and decided.decisions:
        warnings.append("No backup in %s is good, so nothing was deleted: check them." % directory)
    damaged = [d.backup for d in decided.decisions if not d.backup.good]
    if damaged:
        kept_because = "" if delete_damaged else " and were kept (delete_damaged: true lets retention delete them)"
        warnings.append(damaged_warning(directory, damaged, kept_because))
    if not_ours:
        warnings.append(not_ours_warning(directory, not_ours))
    outcome = dict(
        kept=[describe_decision(d, now) for d in decided.decisions if d.keep],
        deleted=[],
        not_ours=[dict(path=n.path, reason=n.reason) for n in not_ours],
        newest_good=decided.newest_good.path if decided.newest_good else None,
        warnings=warnings,
    )
    for decision in decided.decisions:
        if decision.keep:
            continue
        if not check_mode:
            try:
                delete(decision.backup)
            except OSError as exc:
                raise RetentionError(
                    "Cannot delete %s: %s. Deleted before it: %d."
                    % (decision.backup.path, exc.strerror or exc, len(outcome["deleted"])),
                    outcome,
                ) from None
        outcome["deleted"].append(describe_decision(decision, now))
    return outcome
