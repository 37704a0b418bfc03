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
  - The data is written to the file as it arrives, so the module's memory does not grow with the size of the
    backup.
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
        admin rights and that the client can be backed up), then writes nothing (it only computes the checksum and
        the size of the data) and reports C(changed=true). A missing directory of O(dest) is not created.
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
      - Path of the backup file to write on the host that runs the module.
      - Its directory is created when it is missing, with mode C(0700), and so are its missing parent directories.
        The module fails before asking anything of the client when it cannot be created (a parent is a file, or
        is not writable).
      - The manifest is written to O(dest) followed by C(.manifest.json), so the file name of O(dest) may be at
        most 227 bytes long (the manifest's temporary file needs the rest of the 255 a file system allows).
      - The data and the manifest are written to hidden temporary files beside O(dest) first; whatever fails
        (the client, the connection, a full disk), no temporary file is left behind.
    type: path
    required: true
  force:
    description:
      - Overwrite O(dest) (and its manifest) when they exist. Without it, an existing file makes the module fail
        before anything is asked of the client.
      - Only a backup written by this collection is ever replaced - one whose manifest beside it is valid and names
        it (a damaged one included). Any other file at O(dest) or its manifest path is refused, with or without
        O(force), before anything is asked of the client.
      - The earlier backup is kept until the new data and its manifest are both complete and in place; if the
        manifest cannot be published, the earlier data file is put back.
      - O(dest) and its manifest path must each be a regular file or nothing. A directory, a device (such as
        C(/dev/null)), a FIFO, a socket or a symbolic link is refused before anything is asked of the client,
        with or without O(force).
    type: bool
    default: false
  return_data:
    description:
      - Also return the (encrypted) backup data as RV(data), read back from the file into memory.
      - The data then lives in the registered variable. Ansible hides only the values of C(no_log) options, not
        return values, so the task B(must) set C(no_log=true); the module refuses to run otherwise.
      - Never print the registered variable.
    type: bool
    default: false
  metadata:
    description:
      - Labels (not secrets) added to the manifest under C(metadata), for example the environment or a ticket.
    type: dict
  prune:
    description:
      - A retention policy applied to the directory of O(dest) once the new backup is written, with the rules of
        M(wabiz.migration.wa_backup_prune). It runs only after a successful backup, so a failing client never makes
        room by deleting good backups, and the newest good backup (the new one) is never deleted.
      - Only backups written by this collection (each with its own manifest) are ever considered, whatever
        O(prune.pattern) says; other files are left alone and listed in RV(pruned.not_ours).
      - One module process then does what a M(wabiz.migration.wa_backup) and a M(wabiz.migration.wa_backup_prune)
        task do, which counts over a fleet (C(playbooks/backup.yml) uses it).
      - In check mode a dry run over the backups already there; RV(pruned.deleted) names those that would go.
      - Without it, no backup is deleted.
    type: dict
    version_added: 1.1.0
    suboptions:
      keep_last:
        description:
          - Keep this many of the newest good backups. At least one of O(prune.keep_last) and O(prune.keep_days)
            is required.
        type: int
      keep_days:
        description:
          - Keep the backups younger than this many days (fractions allowed).
        type: float
      pattern:
        description:
          - Shell pattern (C(fnmatch)) of the backup files' names in that directory. The name of O(dest) must match
            it, so that the new backup counts. It narrows the backups considered, never widens them to other files.
        type: str
        default: "*.wabk"
      delete_damaged:
        description:
          - Let the policy delete damaged backups older than the newest good one (see
            M(wabiz.migration.wa_backup_prune)); by default they are reported and kept.
        type: bool
        default: false
        version_added: 1.2.0
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

- name: Back up a DR copy, then keep the last 7 and every backup of the last 30 days, in one step
  wabiz.migration.wa_backup:
    api_url: https://wa-old.example.com:443
    ca_path: /etc/wa/ca.pem
    password: "{{ wa_admin_password }}"
    backup_password: "{{ wa_backup_password }}"
    dest: /srv/wa-backups/prod/prod-{{ now(utc=true, fmt='%Y%m%dT%H%M%SZ') }}.wabk
    prune:
      keep_last: 7
      keep_days: 30
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
      description:
        - Shard count of the source (C(GET /v1/account/shards), else the connected coreapps; 1 for a single
          instance).
      type: int
      returned: when the health answer tells it
    topology:
      description: V(single) or V(multiconnect).
      type: str
      returned: when the health answer tells it
    masters:
      description: Master nodes of the source (C(GET /v1/support), else health).
      type: int
      returned: when the health answer tells it
    coreapps:
      description: Coreapp nodes of the source (C(GET /v1/support), else health).
      type: int
      returned: when the health answer tells it
    phone_number:
      description: Phone number of the source, from C(GET /v1/account) (not documented by the vendor).
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
pruned:
  description:
    - What O(prune) kept and deleted (in check mode, would delete), as M(wabiz.migration.wa_backup_prune) returns it.
  returned: when O(prune) is given
  type: dict
  version_added: 1.1.0
  contains:
    kept:
      description: The backups kept, newest first, each as in RV(wabiz.migration.wa_backup_prune#module:kept).
      type: list
      elements: dict
      returned: always
    deleted:
      description: The backups deleted (in check mode, that would be), newest first, each with the same fields.
      type: list
      elements: dict
      returned: always
    newest_good:
      description: Path of the newest good backup, or V(null) when none is good.
      type: str
      returned: always
    not_ours:
      description: The files matching O(prune.pattern) that are not the collection's backups, left alone.
      type: list
      elements: dict
      returned: always
      version_added: 1.2.0
data:
  description:
    - The encrypted backup data. Only with O(return_data=true), which needs C(no_log=true) on the task.
  returned: when O(return_data=true)
  type: str
"""

import fnmatch  # noqa: E402
import os  # noqa: E402

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import (  # noqa: E402
    BackupFileError,
    BackupWriter,
    DataDigest,
    build_manifest,
    check_destination,
    manifest_path_for,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_client import phone_number_from_account, safe_url  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_health import WAHealthError, summarize  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_module import WAModule  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_retention import (  # noqa: E402
    POLICY_ARGUMENT_SPEC,
    RetentionError,
    apply_policy,
    check_pattern,
    check_policy,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_topology import read as read_topology  # noqa: E402


def describe_source(module, client, dest):
    """The manifest fields the client tells before the export: api_url, shards, topology, masters, coreapps,
    phone_number (when the undocumented GET /v1/account answers)."""
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
        topology = read_topology(client, summary)
        fields["shards"] = topology["shards"] or None
        fields["topology"] = summary["topology"]
        # The vendor's rule: a target needs exactly as many Masters and Coreapps as this source.
        fields["masters"], fields["coreapps"] = topology["masters"], topology["coreapps"]
    fields["phone_number"] = phone_number_from_account(client.account())
    return fields


class KeptData(DataDigest):
    """Check mode with return_data: the data, which is returned, kept in memory as it arrives."""

    def reset(self):
        DataDigest.reset(self)
        self.kept = bytearray()

    def write(self, chunk):
        DataDigest.write(self, chunk)
        self.kept += chunk


def export_to_file(module, client, dest, fields):
    """Stream the export into dest, publish it with its manifest; returns (manifest, data for return_data)."""
    params = module.params
    try:
        with BackupWriter(dest) as writer:
            module.run(lambda: client.backup(params["backup_password"], writer))
            fields["version"] = client.meta.get("version")
            manifest, _path = writer.publish(fields, force=params["force"])
        # The data is returned, so it is in memory anyway: read it back from the file.
        return manifest, read_text(dest) if params["return_data"] else None
    except BackupFileError as exc:
        module.fail_json(msg=str(exc), dest=dest)
    except (IOError, OSError) as exc:
        module.fail_json(msg="Cannot write %s: %s." % (dest, exc.strerror or exc.__class__.__name__), dest=dest)


def export_without_writing(module, client, dest, fields):
    """Check mode: the export's checksum and size, nothing written; returns (manifest, data for return_data)."""
    sink = KeptData() if module.params["return_data"] else DataDigest()
    module.run(lambda: client.backup(module.params["backup_password"], sink))
    fields["version"] = client.meta.get("version")
    manifest = build_manifest(sink.sha256, sink.size, file=os.path.basename(dest), **fields)
    return manifest, sink.kept.decode("utf-8") if module.params["return_data"] else None


def check_prune(prune, dest):
    """The policy must be applicable and count the new backup: checked before anything is asked of the client."""
    try:
        check_policy(prune["keep_last"], prune["keep_days"])
        check_pattern(prune["pattern"])
    except (ValueError, RetentionError) as exc:
        return "prune: %s" % exc
    if not fnmatch.fnmatchcase(os.path.basename(dest), prune["pattern"]):
        return (
            "prune: the name of dest, %s, does not match prune.pattern %r, so the new backup would not count in the "
            "policy: choose a dest that matches it, or another pattern (nothing was asked of the client)."
            % (os.path.basename(dest), prune["pattern"])
        )
    return None


def prune_directory(module, dest):
    """Apply the policy to dest's directory, once the new backup is there (in check mode, as a dry run)."""
    directory = os.path.dirname(dest)
    if module.check_mode and not os.path.isdir(directory):
        return dict(kept=[], deleted=[], not_ours=[], newest_good=None)  # nothing there yet to keep or delete
    try:
        outcome = apply_policy(directory, check_mode=module.check_mode, **module.params["prune"])
    except RetentionError as exc:
        module.fail_json(
            msg="The backup %s was written, but the retention policy failed: %s" % (dest, exc),
            dest=dest,
            pruned=dict((k, v) for k, v in exc.outcome.items() if k != "warnings"),
        )
    for warning in outcome.pop("warnings"):
        module.warn(warning)
    return outcome


def read_text(path):
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8")


def main():
    module = WAModule(
        argument_spec=dict(
            backup_password=dict(type="str", required=True, no_log=True),
            dest=dict(type="path", required=True),
            force=dict(type="bool", default=False),
            return_data=dict(type="bool", default=False),
            metadata=dict(type="dict"),
            prune=dict(type="dict", options=POLICY_ARGUMENT_SPEC, required_one_of=[["keep_last", "keep_days"]]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    dest = os.path.abspath(params["dest"])

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
    problem = check_prune(params["prune"], dest) if params["prune"] else None
    if problem:
        module.fail_json(msg=problem, dest=dest)

    client = module.client
    fields = module.run(lambda: describe_source(module, client, dest))
    if params["metadata"]:
        fields["metadata"] = params["metadata"]
    export = export_without_writing if module.check_mode else export_to_file
    manifest, data = export(module, client, dest, fields)

    result = dict(
        changed=True,
        dest=dest,
        manifest_path=manifest_path_for(dest),
        checksum=manifest["sha256"],
        size=manifest["size"],
        manifest=manifest,
    )
    if data is not None:
        module.warn(
            "The backup data is in the registered variable (return_data: true): never print it or write it to a log."
        )
        result["data"] = data
    if params["prune"]:
        result["pruned"] = prune_directory(module, dest)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
