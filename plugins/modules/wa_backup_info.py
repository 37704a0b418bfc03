#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_backup_info
short_description: List and verify the backups in a directory, the newest good one first
version_added: 1.2.0
description:
  - Verifies every backup in O(path) made by M(wabiz.migration.wa_backup) (its manifest is readable and valid, the
    file's size and sha256 match it) and returns them with their manifests, the newest good backup first, then
    the other good ones (newest first), then the damaged ones (newest first).
  - Only the collection's own backups are listed, by the rule of M(wabiz.migration.wa_backup_prune) - a regular
    file C(NAME) beside which C(NAME.manifest.json) is a manifest written by M(wabiz.migration.wa_backup) that
    names C(NAME). Everything else that matches O(pattern) is listed in RV(not_ours), with a warning.
  - The newest good backup is the one M(wabiz.migration.wa_backup_prune) never deletes - the newest good backup
    not dated in the future (clock skew), or, when every good one is, the one nearest to now.
  - A backup's time is the C(created_at) of its manifest (it survives copies), else the file's modification
    time. Backups with the same time are ordered by name. Hidden files (a write in progress) and directories are
    not looked at.
  - The module reads files only, changes nothing and contacts no client.
author:
  - wabiz.migration maintainers (@wabiz)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - The module changes nothing, so it runs the same in check mode.
  diff_mode:
    support: N/A
  platform:
    platforms: posix
options:
  path:
    description:
      - The directory that holds the backups, for example one environment's directory of C(playbooks/backup.yml).
    type: path
    required: true
  pattern:
    description:
      - Shell pattern (C(fnmatch), case-sensitive) of the backup files' names, matched against the name only.
      - The name of one file verifies that file alone.
    type: str
    default: "*.wabk"
seealso:
  - module: wabiz.migration.wa_backup
  - module: wabiz.migration.wa_backup_prune
  - module: wabiz.migration.wa_restore
"""

EXAMPLES = r"""
- name: Find the newest good backup
  wabiz.migration.wa_backup_info:
    path: /srv/wa-backups/prod
  register: wa_backups

- name: Restore it
  wabiz.migration.wa_restore:
    api_url: https://wa-new.example.com:443
    password: "{{ wa_admin_password }}"
    backup_password: "{{ wa_backup_password }}"
    src: "{{ wa_backups.newest_good }}"
  when: wa_backups.newest_good is not none

- name: Verify one backup file against its manifest
  wabiz.migration.wa_backup_info:
    path: /srv/wa-backups/prod
    pattern: prod-20250131T020000Z.wabk
  register: wa_backup_checked

- name: Show why it is not good
  ansible.builtin.debug:
    msg: "{{ wa_backup_checked.backups[0].problem | default('no such backup') }}"
  when: wa_backup_checked.newest_good is none
"""

RETURN = r"""
newest_good:
  description: Path of the newest good backup, or V(null) when none is good.
  returned: always
  type: str
  sample: /srv/wa-backups/prod/prod-20250131T020000Z.wabk
backups:
  description:
    - The collection's backups in O(path), the newest good first, then the other good ones, then the damaged ones.
    - Each with the fields of an element of RV(wabiz.migration.wa_backup_prune#module:kept) but C(reason) - C(path),
      C(manifest_path), C(created_at), C(age_days), C(good), C(problem) (why it is not good) and C(manifest).
  returned: always
  type: list
  elements: dict
  sample:
    - path: /srv/wa-backups/prod/prod-20250131T020000Z.wabk
      manifest_path: /srv/wa-backups/prod/prod-20250131T020000Z.wabk.manifest.json
      created_at: "2025-01-31T02:00:00Z"
      age_days: 3.25
      good: true
      problem: null
      manifest: {}
not_ours:
  description:
    - The files matching O(pattern) that are not backups written by this collection, by name, as
      RV(wabiz.migration.wa_backup_prune#module:not_ours) - each with C(path) and C(reason), why it is not taken
      for one of the collection's backups.
  returned: always
  type: list
  elements: dict
  sample:
    - path: /srv/wa-backups/prod/NOTES.wabk
      reason: no manifest beside it, so not a backup written by this collection (or its manifest was lost)
"""

import os  # noqa: E402

from ansible_collections.wabiz.migration.plugins.module_utils.wa_module_base import WABaseModule  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_retention import (  # noqa: E402
    DEFAULT_PATTERN,
    RetentionError,
    survey,
)


def main():
    module = WABaseModule(
        argument_spec=dict(path=dict(type="path", required=True), pattern=dict(type="str", default=DEFAULT_PATTERN)),
        supports_check_mode=True,
    )
    try:
        outcome = survey(os.path.abspath(module.params["path"]), pattern=module.params["pattern"])
    except RetentionError as exc:
        module.fail_json(msg=str(exc))
    for warning in outcome.pop("warnings"):
        module.warn(warning)
    module.exit_json(changed=False, **outcome)


if __name__ == "__main__":
    main()
