#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_lock
short_description: Take or release an exclusive lock on a migration target, on the controller
version_added: 1.0.0
description:
  - The WhatsApp Business API has no lock, so two migrations aimed at one target would both import into it. This
    module keeps one lock file per target in O(lock_dir) on the host that runs it (the controller), so that one
    run at a time goes past it.
  - The lock file, named after the address the target's host resolves to and its port (C(192.0.2.10_443.lock);
    any loopback address is C(127.0.0.1), so C(localhost) and C(127.0.0.1) take the same lock), holds a JSON record
    of its holder (O(owner), the PID and start time of the ansible-playbook process, the host name, the time and
    O(labels)) and no secret. It is created 0600 in a O(lock_dir) created 0700, atomically (written aside, then
    linked in place, which fails when the lock exists).
  - A lock is stale, and replaced with a warning, when it is older than O(max_age), or when it was taken on this
    host and its ansible-playbook process has ended (killed, or the host rebooted).
  - With O(state=absent) only the lock of O(owner) is removed; a lock held by another run is left alone.
  - The lock only excludes runs that share O(lock_dir), that is runs on one controller (or on controllers that
    share a file system where C(link) is atomic). Two controllers with their own O(lock_dir) are not excluded.
author:
  - wabiz.migration maintainers (@wabiz)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the lock and fails the same way when a live run holds it; creates and removes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  lock_dir:
    description:
      - Directory of the lock files, created with mode C(0700) when missing.
    type: path
    required: true
  resource:
    description:
      - What is locked, normally the target's API URL; the lock file is named after the address its host resolves
        to and its port (any credentials in the URL are left out), so that runs from different inventories, and
        different spellings of one target, exclude each other.
    type: str
    required: true
  owner:
    description:
      - Id of this run, unique per run; the same id releases the lock. Taking a lock already held by O(owner)
        changes nothing.
    type: str
    required: true
  state:
    description:
      - V(present) takes the lock, or fails when a live run holds it. V(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  max_age:
    description:
      - Seconds after which a lock counts as stale whatever its process, for a lock taken on another host or when
        the process cannot be checked (no C(/proc)). Longer than the longest run.
    type: int
    default: 21600
  labels:
    description:
      - Labels (not secrets) recorded in the lock and shown to a run that finds it held, for example the
        environment's name.
    type: dict
    default: {}
notes:
  - The M(wabiz.migration.wa_container_restart) and API modules need no lock; the C(wabiz.migration.migrate) role
    takes this one before anything is read and releases it at the end, failed or not.
seealso:
  - module: wabiz.migration.wa_restore
"""

EXAMPLES = r"""
- name: Take the target's lock (fails when another run migrates it)
  wabiz.migration.wa_lock:
    lock_dir: ~/wabiz-migration/locks
    resource: https://wa-new.example.com:443
    owner: "{{ run_id }}"
    labels:
      environment: "{{ inventory_hostname }}"

- name: Release it, whatever happened
  wabiz.migration.wa_lock:
    lock_dir: ~/wabiz-migration/locks
    resource: https://wa-new.example.com:443
    owner: "{{ run_id }}"
    state: absent
"""

RETURN = r"""
path:
  description: Path of the lock file.
  returned: always
  type: str
  sample: /home/ops/wabiz-migration/locks/192.0.2.10_443.lock
holder:
  description:
    - The record in the lock file after the task (with O(state=present), this run's own record), or V(null)
      when there is no lock. On a failure because the lock is held, the holder's record.
  returned: always
  type: dict
  sample:
    owner: 20250131T120000Z-5f3a9c
    resource: https://wa-new.example.com:443
    pid: 4242
    pid_start: "1234567"
    host: controller-1
    created: 1738324800.0
    created_at: "2025-01-31T12:00:00Z"
    labels: {environment: staging}
endpoint:
  description: The address and port O(resource) reaches, which names the lock (V(null) when it is not a URL).
  returned: always
  type: str
  sample: 192.0.2.10:443
replaced:
  description: The record of a stale lock that was replaced (with C(stale_because)), or V(null).
  returned: success
  type: dict
"""

from ansible_collections.wabiz.migration.plugins.module_utils.wa_endpoint import endpoint_key  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_lock import (  # noqa: E402
    LockBusy,
    LockError,
    acquire,
    describe,
    release,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_module_base import WABaseModule  # noqa: E402


def main():
    module = WABaseModule(
        argument_spec=dict(
            lock_dir=dict(type="path", required=True),
            resource=dict(type="str", required=True),
            owner=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            max_age=dict(type="int", default=21600),
            labels=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not p["owner"].strip():
        module.fail_json(msg="owner is empty: give an id unique to this run.")
    if p["max_age"] < 1:
        module.fail_json(msg="max_age must be 1 second or more (got %d)." % p["max_age"])
    endpoint = endpoint_key(p["resource"])
    try:
        if p["state"] == "present":
            changed, path, holder, replaced = acquire(
                p["lock_dir"], p["resource"], p["owner"], p["max_age"], p["labels"], module.check_mode
            )
            if replaced:
                module.warn("Replaced the stale lock of %s: %s." % (describe(replaced), replaced["stale_because"]))
            module.exit_json(changed=changed, path=path, holder=holder, replaced=replaced, endpoint=endpoint)
        changed, path, holder = release(p["lock_dir"], p["resource"], p["owner"], module.check_mode)
        if holder is not None:
            module.warn("The lock %s is held by %s, not by this run: it was left alone." % (path, describe(holder)))
        module.exit_json(changed=changed, path=path, holder=holder, replaced=None, endpoint=endpoint)
    except LockBusy as exc:
        module.fail_json(msg=str(exc), holder=exc.holder)
    except LockError as exc:
        module.fail_json(msg=str(exc), holder=None)


if __name__ == "__main__":
    main()
