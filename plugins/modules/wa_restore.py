#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_restore
short_description: Restore a WhatsApp Business API client from a backup, with safety checks
version_added: 1.0.0
description:
  - Imports a backup made by M(wabiz.migration.wa_backup) (or any data of C(POST /v1/settings/backup)) into an
    on-premises WhatsApp Business API client with C(POST /v1/settings/restore).
  - Before anything is sent, the module
    verifies the backup file (not empty, size and sha256 as in its manifest, or as O(checksum)),
    reads the target's health and refuses a target that is not ready,
    refuses a registered target unless O(allow_registered=true),
    and refuses a target that does not mirror the backup's source (the vendor's rule), as its manifest tells it,
    that is other Masters or Coreapps (C(GET /v1/support), else health), another shard count for a registered
    target (C(GET /v1/account/shards)), or, for an unregistered target whose shard count cannot be read, fewer
    Coreapps than the backup has shards (HA standbys are allowed).
  - The client shuts down after an import (some platforms restart it by themselves, elsewhere it must be
    restarted, for example with M(wabiz.migration.wa_container_restart)). The module reports
    RV(restart_required). Once the request is sent, any answer but a success or a clean refusal (an answer
    with the API's error envelope that says why) means the import may have been applied, as after a closed or
    cut connection, a timeout, a 5xx without the envelope (a proxy) or a 401. The module then succeeds with
    RV(restore_status=unconfirmed), to be settled by restarting the client and checking it with
    M(wabiz.migration.wa_info); it never sends the import again.
  - The restore request is sent at most once, never retried and never sent again after a new login (the token
    is checked with a safe call just before). Restoring needs the V(admin) user.
  - Since v2.31.4 a restore gives the business a new security code; contacts see a notice.
author:
  - wabiz.migration maintainers (@wabiz)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - wabiz.migration.connection
attributes:
  check_mode:
    support: full
    details:
      - In check mode every check runs (file, manifest, checksum, login, target health, registration, shards) and
        nothing is sent to the restore endpoint; the module reports RV(changed=true) and
        RV(restore_status=would_apply).
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  backup_password:
    description:
      - The password given when the backup was made.
    type: str
    required: true
  src:
    description:
      - Path of the backup file (on the host that runs the module).
      - It must be a regular file (a symbolic link to one is fine); a directory, a device (such as C(/dev/zero)),
        a FIFO or a socket is refused at once, before anything is sent.
      - The file is read as it is sent, so the module's memory does not grow with the size of the backup; it is
        checked again while it is sent, and a file changed since it was verified is not restored.
      - Exactly one of O(src) and O(data) is required.
    type: path
  data:
    description:
      - The backup data itself, for example RV(wabiz.migration.wa_backup#module:data).
      - Exactly one of O(src) and O(data) is required. With O(data), the shard check needs O(manifest).
    type: str
  manifest:
    description:
      - Path of the backup's manifest.
      - Default with O(src) is O(src) followed by C(.manifest.json). It must exist unless O(checksum) is given.
    type: path
  checksum:
    description:
      - Expected sha256 (hex, optionally prefixed C(sha256:)) of the backup file or of O(data).
      - An alternative to the manifest; when both are there, both must match.
    type: str
  allow_registered:
    description:
      - Restore even when the target is registered, overwriting its registration and settings.
      - By default a registered target is refused, as a restore is meant for a new, unregistered client.
    type: bool
    default: false
  restore_timeout:
    description:
      - Seconds to wait for the answer to the restore request itself, which may take longer than other calls
        (O(timeout) still bounds connecting). It bounds the whole exchange after the connection - sending the
        backup and the whole answer. When it runs out, the outcome is reported as V(unconfirmed).
      - From 1 to 86400.
    type: float
    default: 300
  shards:
    description:
      - The target's shard count, when it cannot be read (an unregistered multiconnect setup), to check it for
        equality with the backup's. Without it an unregistered target needs at least as many Coreapps running as
        the backup has shards.
    type: int
notes:
  - After a migration, stop the source client; two clients with the same number must not run at once.
seealso:
  - module: wabiz.migration.wa_backup
  - module: wabiz.migration.wa_info
"""

EXAMPLES = r"""
- name: Restore a backup onto a new, unregistered client
  wabiz.migration.wa_restore:
    api_url: https://wa-new.example.com:443
    ca_path: /etc/wa/ca.pem
    password: "{{ wa_admin_password }}"
    backup_password: "{{ wa_backup_password }}"
    src: /srv/wa-backups/wa.backup
  register: wa_restore_result

- name: Restart the client when the restore asks for it
  wabiz.migration.wa_container_restart:
    containers: [wa-webapp, wa-coreapp]
  when: wa_restore_result.restart_required

- name: Wait until the restored client is connected
  wabiz.migration.wa_info:
    api_url: https://wa-new.example.com:443
    ca_path: /etc/wa/ca.pem
    password: "{{ wa_admin_password }}"
    wait_for: connected
    wait_timeout: 600

- name: Check everything without restoring (check mode sends nothing)
  wabiz.migration.wa_restore:
    api_url: https://wa-new.example.com:443
    password: "{{ wa_admin_password }}"
    backup_password: "{{ wa_backup_password }}"
    src: /srv/wa-backups/wa.backup
  check_mode: true

- name: Restore from data with a known checksum, onto a setup that declares 2 shards
  wabiz.migration.wa_restore:
    api_url: https://wa-new.example.com:443
    password: "{{ wa_admin_password }}"
    backup_password: "{{ wa_backup_password }}"
    data: "{{ wa_backup_with_data.data }}"
    checksum: "{{ wa_backup_with_data.checksum }}"
    manifest: /srv/wa-backups/wa.backup.manifest.json
    shards: 2
  no_log: true
"""

RETURN = r"""
changed:
  description: Whether a restore was sent (or would be, in check mode).
  returned: always
  type: bool
restart_required:
  description:
    - Whether the client must be restarted, as it shuts down after an import. True after an applied or unconfirmed
      import, and in check mode (where it is the prediction).
  returned: always
  type: bool
restore_status:
  description:
    - V(applied) when the client answered the import with success;
      V(unconfirmed) when the import was sent and no clean answer came back (closed or cut connection,
      timeout, 5xx without the API's error envelope, 401), so it may have been applied; restart the client and
      check it with M(wabiz.migration.wa_info), never send it again blindly;
      V(would_apply) in check mode.
    - On a failure, V(not_sent) (nothing reached the import endpoint) or V(refused) (the target answered with
      the API's error envelope, so the import was not applied).
  returned: always
  type: str
  sample: applied
reason:
  description: With RV(restore_status=unconfirmed), what came back instead of an answer.
  returned: when unconfirmed
  type: str
checksum:
  description: sha256 of the backup data that was (or would be) restored.
  returned: success
  type: str
  sample: 6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b
manifest:
  description: The backup's manifest (see M(wabiz.migration.wa_backup)), or V(null) without one.
  returned: success
  type: dict
target:
  description: The target as seen before the restore.
  returned: success
  type: dict
  contains:
    registered:
      description: Whether the target was registered.
      type: bool
      returned: always
    shards:
      description: The target's shard count used for the check (O(shards) when given), V(null) when unknown.
      type: int
      returned: always
    masters:
      description: The target's Master nodes.
      type: int
      returned: always
    coreapps:
      description: The target's Coreapp nodes.
      type: int
      returned: always
    version:
      description: The target's API version.
      type: str
      returned: always
    gateway_status:
      description: The target's overall gateway status.
      type: str
      returned: always
"""

import os  # noqa: E402

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import (  # noqa: E402
    BackupFileError,
    load_manifest,
    to_bytes,
    verify_backup,
    verify_data,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_client import WAApiError  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_health import WAHealthError, summarize  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_module import WAModule  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_topology import mismatches  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_topology import read as read_topology  # noqa: E402


def load_backup(module):
    """(data, sha256, manifest) from src or data, verified; fails the module otherwise.

    data is what the restore sends, stripped of white space at both ends: with src, a BackupText
    that streams it from the file (never held whole); with data, the string.
    """
    params = module.params
    try:
        if params["src"] is not None:
            backup = verify_backup(params["src"], manifest_path=params["manifest"], checksum=params["checksum"])
            return backup["text"], backup["sha256"], backup["manifest"]
        manifest = load_manifest(params["manifest"]) if params["manifest"] else None
        sha = verify_data(
            to_bytes(params["data"]),
            manifest=manifest,
            checksum=params["checksum"],
            what="data",
            manifest_path=params["manifest"],
        )
        return params["data"].strip(), sha, manifest
    except BackupFileError as exc:
        module.fail_json(msg="%s Nothing was sent." % exc)


def main():
    module = WAModule(
        argument_spec=dict(
            backup_password=dict(type="str", required=True, no_log=True),
            src=dict(type="path"),
            data=dict(type="str", no_log=True),
            manifest=dict(type="path"),
            checksum=dict(type="str"),
            allow_registered=dict(type="bool", default=False),
            shards=dict(type="int"),
            restore_timeout=dict(type="float", default=300),
        ),
        required_one_of=[["src", "data"]],
        mutually_exclusive=[["src", "data"]],
        supports_check_mode=True,
    )
    params = module.params
    if not params["backup_password"]:
        module.fail_json(msg="backup_password is empty: give the password used when the backup was made.")
    if params["src"] is not None:
        params["src"] = os.path.abspath(params["src"])

    data, sha, manifest = load_backup(module)
    client = module.client
    url = client.display_url

    health = module.run(client.health)
    try:
        summary = summarize(health)
    except WAHealthError as exc:
        module.fail_json(msg="Cannot tell the state of the target %s: %s Nothing was sent." % (url, exc))

    topology = module.run(lambda: read_topology(client, summary))
    target_shards = params["shards"] if params["shards"] is not None else topology["shards"]
    target = dict(
        registered=summary["registered"],
        shards=target_shards,
        masters=topology["masters"],
        coreapps=topology["coreapps"],
        version=client.meta.get("version"),
        gateway_status=summary["gateway_status"],
    )
    result = dict(
        changed=False, restart_required=False, checksum=sha, manifest=manifest, target=target, restore_status="not_sent"
    )
    if not summary["ready"]:
        module.fail_json(
            msg="The target %s is not ready (gateway_status: %s): wait until it is (wabiz.migration.wa_info with "
            "wait_for: ready), then retry. Nothing was sent." % (url, summary["gateway_status"]),
            **result,
        )
    if summary["registered"] and not params["allow_registered"]:
        module.fail_json(
            msg="The target %s is registered (gateway_status: %s): a restore would overwrite its registration and "
            "settings. Restore onto a new, unregistered client, or set allow_registered: true to overwrite it. "
            "Nothing was sent." % (url, summary["gateway_status"]),
            **result,
        )
    check_shards(module, manifest, target, url, result)
    if module.check_mode:
        result.update(changed=True, restart_required=True, restore_status="would_apply")
        module.exit_json(**result)
    try:
        outcome = client.restore(params["backup_password"], data, params["restore_timeout"])
    except WAApiError as exc:
        result["restore_status"] = "refused" if exc.restore_refused else "not_sent"
        module.fail_from(exc, **result)
    result.update(changed=True, restart_required=True, restore_status=outcome["status"])
    if outcome["status"] == "unconfirmed":
        result["reason"] = outcome["reason"]
        module.warn(
            "The import was sent and no clean answer came back (%s): it may have been applied. The client usually "
            "shuts down after an import, which cuts answers like this one. Do not send it again: start the client "
            "and check it with wabiz.migration.wa_info (wait_for: connected); a registered client took it."
            % outcome["reason"]
        )
    module.exit_json(**result)


def check_shards(module, manifest, target, url, result):
    """Fail unless the target mirrors the backup's source (the vendor: the same shards, Masters and Coreapps)."""
    source = dict((key, (manifest or {}).get(key)) for key in ("masters", "coreapps", "shards"))
    if source["shards"] is None:
        module.warn(
            "The backup's shard count is unknown (no manifest, or none in it): the shard check was skipped. "
            "Source and target must run the same number of shards."
        )
        return
    problems = mismatches(source, target)
    if problems:
        module.fail_json(
            msg="Shard mismatch: the backup was taken from %d shard(s) but the target %s does not mirror its source: "
            "%s. The vendor requires the same number of shards and exactly the same number of Masters and Coreapps "
            "on both sides: run them on the target first (or declare its shard count with shards if it cannot be "
            "read). Nothing was sent." % (source["shards"], url, "; ".join(problems)),
            **result,
        )


if __name__ == "__main__":
    main()
