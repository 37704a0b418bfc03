#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_backup_prune
short_description: Apply a retention policy to a directory of backups, never losing the newest good one
version_added: 1.0.0
description:
  - Verifies every backup in O(path) made by M(wabiz.migration.wa_backup) (its manifest is readable and valid, the
    file's size and sha256 match it) and deletes the ones the policy does not keep, each data file together with
    its manifest.
  - B(Only the collection's own backups are ever considered) - a regular file C(NAME) beside which
    C(NAME.manifest.json) is a manifest written by M(wabiz.migration.wa_backup) that names C(NAME). O(pattern)
    only narrows that further; no pattern widens it. Everything else that matches O(pattern) (a file without
    such a manifest, a backup copied in without its manifest or with another's, a symbolic link, a device) is
    left alone and listed in RV(not_ours), with a warning. A backup whose manifest was lost is never deleted.
  - A backup is kept when any rule keeps it. It is one of the O(keep_last) newest good backups; or it is younger
    than O(keep_days) days (one exactly O(keep_days) days old is not younger); or it is the newest good backup,
    which is B(never) deleted, even with O(keep_last=0); or it is dated in the future (clock skew), so that its
    age is unknown; or it is damaged (its manifest is ours but the file does not match it) and
    O(delete_damaged) is not set; or it is damaged but newer than the newest good backup (it may still be being
    written).
  - When no backup in O(path) is good, nothing is deleted and a warning says so.
  - A backup's time is the C(created_at) of its manifest (it survives copies), else the file's modification
    time. Backups with the same time are ordered by name.
  - Hidden files (a write in progress) and directories are not looked at.
  - The module works on the files only and contacts no client.
author:
  - wabiz.migration maintainers (@wabiz)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - A dry run. Every backup is verified and the lists are returned, RV(deleted) naming those that would go;
        nothing is deleted. To find the newest good backup or to verify one file without a policy, use
        M(wabiz.migration.wa_backup_info).
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  path:
    description:
      - The directory that holds the backups, for example one environment's directory of C(playbooks/backup.yml).
    type: path
    required: true
  keep_last:
    description:
      - Keep this many of the newest good backups (damaged ones are not counted).
      - V(0) keeps none by count; the newest good backup is kept all the same.
      - At least one of O(keep_last) and O(keep_days) is required.
    type: int
  keep_days:
    description:
      - Keep the backups younger than this many days (fractions allowed, V(0.5) is twelve hours).
      - At least one of O(keep_last) and O(keep_days) is required.
    type: float
  pattern:
    description:
      - Shell pattern (C(fnmatch), case-sensitive) of the backup files' names, matched against the name only.
    type: str
    default: "*.wabk"
  delete_damaged:
    description:
      - Let the policy delete damaged backups (their manifest is this collection's, the file does not match it)
        older than the newest good one, unless O(keep_days) keeps them.
      - By default a damaged backup is only reported (a warning, and RV(kept) with C(good=false)) and kept for a
        look.
    type: bool
    default: false
    version_added: 1.2.0
notes:
  - Schedule it right after M(wabiz.migration.wa_backup), as C(playbooks/backup.yml) does, so that a failed backup
    never makes room by deleting good ones.
seealso:
  - module: wabiz.migration.wa_backup
  - module: wabiz.migration.wa_backup_info
  - module: wabiz.migration.wa_restore
"""

EXAMPLES = r"""
- name: Keep the last 7 backups, and every backup of the last 30 days
  wabiz.migration.wa_backup_prune:
    path: /srv/wa-backups/prod
    keep_last: 7
    keep_days: 30

- name: Dry run, listing what would go
  wabiz.migration.wa_backup_prune:
    path: /srv/wa-backups/prod
    keep_last: 3
  check_mode: true
  register: wa_prune_plan

- name: Show it
  ansible.builtin.debug:
    msg: "Would delete: {{ wa_prune_plan.deleted | map(attribute='path') | join(', ') or 'nothing' }}"
"""

RETURN = r"""
newest_good:
  description: Path of the newest good backup, or V(null) when none is good.
  returned: always
  type: str
  sample: /srv/wa-backups/prod/prod-20250131T020000Z.wabk
kept:
  description: The backups kept, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: Path of the backup file.
      type: str
      returned: always
    manifest_path:
      description: Path of its manifest.
      type: str
      returned: always
    created_at:
      description: The backup's time (UTC, ISO 8601) as used by the policy.
      type: str
      returned: always
      sample: "2025-01-31T02:00:00Z"
    age_days:
      description: Its age in days when the module ran (negative when dated in the future).
      type: float
      returned: always
      sample: 3.25
    good:
      description: Whether the file matched a valid manifest.
      type: bool
      returned: always
    problem:
      description: Why the backup is not good, or V(null).
      type: str
      returned: always
    manifest:
      description: The manifest (see M(wabiz.migration.wa_backup)) of a good backup, or V(null).
      type: dict
      returned: always
    reason:
      description: Which rule kept or deleted it.
      type: str
      returned: always
      sample: one of the last 7 good backups
deleted:
  description:
    - The backups deleted (in check mode, those that would be), newest first, each with the same fields as an
      element of RV(kept).
  returned: always
  type: list
  elements: dict
not_ours:
  description:
    - The files matching O(pattern) that are not backups written by this collection, left alone, by name.
  returned: always
  type: list
  elements: dict
  version_added: 1.2.0
  contains:
    path:
      description: Path of the file.
      type: str
      returned: always
    reason:
      description: Why it is not taken for one of the collection's backups.
      type: str
      returned: always
      sample: no manifest beside it, so not a backup written by this collection (or its manifest was lost)
"""

import os  # noqa: E402

from ansible_collections.wabiz.migration.plugins.module_utils.wa_module_base import WABaseModule  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_retention import (  # noqa: E402
    POLICY_ARGUMENT_SPEC,
    RetentionError,
    apply_policy,
)


def main():
    module = WABaseModule(
        argument_spec=dict(path=dict(type="path", required=True), **POLICY_ARGUMENT_SPEC),
        required_one_of=[["keep_last", "keep_days"]],
        supports_check_mode=True,
    )
    params = module.params
    try:
        outcome = apply_policy(
            os.path.abspath(params["path"]),
            keep_last=params["keep_last"],
            keep_days=params["keep_days"],
            pattern=params["pattern"],
            delete_damaged=params["delete_damaged"],
            check_mode=module.check_mode,
        )
    except RetentionError as exc:
        module.fail_json(msg=str(exc), **exc.outcome)
    for warning in outcome.pop("warnings"):
        module.warn(warning)
    module.exit_json(changed=bool(outcome["deleted"]), **outcome)


if __name__ == "__main__":
    main()
