#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_backup
short_description: Back up a WhatsApp Business API client to a file with a manifest
version_added: 1.0.0
description:
  - Exports the registration and application settings of an on-premises WhatsApp Business API client
    (C(POST /v1/settings/backup)), encrypted by the client with O(backup_password), and writes the data to O(dest).
  - The file is written atomically (a temporary file in the same directory, then published), with mode C(0600),
    and is never overwritten unless O(force=true).
  - Beside it, C(DEST.manifest.json) records the creation time, the API URL and version, the shard count and
    topology, the phone number (when the API tells it), the sha256 and the size of the file. It holds no secret.
  - The client must be registered and running; backups need the V(admin) user. Messages and callbacks are not in
    a backup.
author:
  - wabiz.migration maintainers (@wabiz)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - wabiz.migration.connection
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module logs in and asks the client for the export (which proves the credentials, the
        admin rights and that the client can be backed up), then writes nothing and reports C(changed=true).
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  backup_password:
    description:
      - Password with which the client encrypts the backup. Keep it with the backup; a restore needs it.
    type: str
    required: true
  dest:
    description:
      - Path of the backup file to write on the host that runs the module. Its directory must exist.
      - The manifest is written to O(dest) followed by C(.manifest.json).
    type: path
    required: true
  force:
    description:
      - Overwrite O(dest) (and its manifest) when they exist. Without it, an existing file makes the module fail
        before anything is asked of the client.
    type: bool
    default: false
  return_data:
    description:
      - Also return the (encrypted) backup data as RV(data).
      - The data then lives in the registered variable. Ansible hides only the values of C(no_log) options, not
        return values, so the task B(must) set C(no_log=true); the module refuses to run otherwise.
      - Never print the registered variable.
    type: bool
    default: false
  metadata:
    description:
      - Labels (not secrets) added to the manifest under C(metadata), for example the environment or a ticket.
    type: dict
notes:
  - A restore with M(wabiz.migration.wa_restore) verifies the file against the manifest before sending anything.
seealso:
  - module: wabiz.migration.wa_restore
  - module: wabiz.migration.wa_info
"""

EXAMPLES = r"""
- name: Back up the client (the data file is 0600, the manifest sits beside it)
  wabiz.migration.wa_backup:
    api_url: https://wa-old.example.com:443
    ca_path: /etc/wa/ca.pem
    password: "{{ wa_admin_password }}"
    backup_password: "{{ wa_backup_password }}"
    dest: /srv/wa-backups/wa-{{ ansible_date_time.iso8601_basic_short }}.backup
    metadata:
      environment: production
      ticket: OPS-1234
  register: wa_backup_result

- name: Show where it went and its checksum
  ansible.builtin.debug:
    msg: "{{ wa_backup_result.dest }} sha256={{ wa_backup_result.checksum }}"

- name: Prove that the backup would work (login, admin rights, export), without writing anything
  wabiz.migration.wa_backup:
    api_url: https://wa-old.example.com:443
    ca_path: /etc/wa/ca.pem
    password: "{{ wa_admin_password }}"
    backup_password: "{{ wa_backup_password }}"
    dest: /srv/wa-backups/wa.backup
  check_mode: true

- name: Keep the data in a variable too (the task must be no_log)
  wabiz.migration.wa_backup:
    api_url: https://wa-old.example.com:443
    password: "{{ wa_admin_password }}"
    backup_password: "{{ wa_backup_password }}"
    dest: /srv/wa-backups/wa.backup
    force: true
    return_data: true
  no_log: true
  register: wa_backup_with_data
"""

RETURN = r"""
dest:
  description: Path of the backup file (absolute).
  returned: always
  type: str
  sample: /srv/wa-backups/wa.backup
manifest_path:
  description: Path of the manifest written beside the backup file.
  returned: always
  type: str
  sample: /srv/wa-backups/wa.backup.manifest.json
checksum:
  description: sha256 of the backup file (hex).
  returned: always
  type: str
  sample: 6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b
size:
  description: Size of the backup file in bytes.
  returned: always
  type: int
  sample: 2048
manifest:
  description: The manifest, as written (or as it would be written in check mode).
  returned: always
  type: dict
  contains:
    format:
      description: Manifest format, V(1).
      type: int
      returned: always
    created_at:
      description: Creation time, UTC, ISO 8601.
      type: str
      returned: always
      sample: "2025-01-31T12:00:00Z"
    api_url:
      description: The API URL the backup was taken from (without any credentials).
      type: str
      returned: always
    version:
      description: The API version reported by the client (C(meta.version)).
      type: str
      returned: when the client reports it
      sample: v2.45.1
    shards:
      description: Shard count of the source (connected coreapps; 1 for a single instance).
      type: int
      returned: when the health answer tells it
    topology:
      description: V(single) or V(multiconnect).
      type: str
      returned: when the health answer tells it
    phone_number:
      description: Phone number of the source, from C(GET /v1/account).
      type: str
      returned: when the API tells it
    file:
      description: Base name of the backup file.
      type: str
      returned: always
    sha256:
      description: sha256 of the backup file.
      type: str
      returned: always
    size:
      description: Size of the backup file in bytes.
      type: int
      returned: always
    metadata:
      description: The labels given in O(metadata).
      type: dict
      returned: when O(metadata) is given
data:
  description:
    - The encrypted backup data. Only with O(return_data=true), which needs C(no_log=true) on the task.
  returned: when O(return_data=true)
  type: str
"""

import os  # noqa: E402

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import (  # noqa: E402
    BackupFileError,
    build_manifest,
    check_destination,
    manifest_path_for,
    write_backup,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_client import phone_number_from_account, safe_url  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_health import WAHealthError, summarize  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_module import WAModule  # noqa: E402


def main():
    module = WAModule(
        argument_spec=dict(
            backup_password=dict(type="str", required=True, no_log=True),
            dest=dict(type="path", required=True),
            force=dict(type="bool", default=False),
            return_data=dict(type="bool", default=False),
            metadata=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    dest = os.path.abspath(params["dest"])
    manifest_path = manifest_path_for(dest)

    if params["return_data"] and not module.no_log:
        module.fail_json(
            msg="return_data: true returns the backup data, which Ansible would show and log: set no_log: true on "
            "the task (nothing was asked of the client)."
        )
    if not params["backup_password"]:
        module.fail_json(msg="backup_password is empty: the client needs a password to encrypt the backup.")
    try:
        check_destination(dest, force=params["force"])
    except BackupFileError as exc:
        module.fail_json(msg=str(exc), dest=dest)

    client = module.client

    def export():
        fields = {"api_url": safe_url(client.api_url)}
        try:
            summary = summarize(client.health())
        except WAHealthError as exc:
            module.warn("The health answer could not be read, so the manifest has no shard count: %s" % exc)
            summary = None
        if summary is not None:
            if summary["ready"] and not summary["registered"]:
                module.fail_json(
                    msg="The client at %s is not registered (gateway_status: %s): there is nothing to back up. "
                    "Check api_url." % (client.display_url, summary["gateway_status"]),
                    dest=dest,
                )
            fields["shards"] = summary["shards"] if summary["shards"] else None
            fields["topology"] = summary["topology"]
        fields["phone_number"] = phone_number_from_account(client.account())
        data = client.backup(params["backup_password"])
        fields["version"] = client.meta.get("version")
        return data, fields

    data, fields = module.run(export)
    if params["metadata"]:
        fields["metadata"] = params["metadata"]

    result = dict(changed=True, dest=dest, manifest_path=manifest_path)
    if module.check_mode:
        fields["file"] = os.path.basename(dest)
        manifest = build_manifest(data, **fields)
    else:
        try:
            manifest, manifest_path = write_backup(dest, data, manifest_fields=fields, force=params["force"])
        except BackupFileError as exc:
            module.fail_json(msg=str(exc), dest=dest)
        except (IOError, OSError) as exc:
            module.fail_json(msg="Cannot write %s: %s." % (dest, exc.strerror or exc.__class__.__name__), dest=dest)
    result.update(manifest_path=manifest_path, checksum=manifest["sha256"], size=manifest["size"], manifest=manifest)
    if params["return_data"]:
        module.warn(
            "The backup data is in the registered variable (return_data: true): never print it or write it to a log."
        )
        result["data"] = data
    module.exit_json(**result)


if __name__ == "__main__":
    main()
