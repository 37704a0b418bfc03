#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_cloud_register
short_description: Move a phone number from an on-premises client to the Cloud API with its backup
version_added: 1.2.0
description:
  - Registers the number on the Cloud API with a backup of its on-premises client
    (C(POST /VERSION/PHONE_NUMBER_ID/register) with the PIN, the backup data and its password).
  - B(One-way for the on-premises client.) During the call Meta disconnects the on-premises deployment and shuts it
    down; the number starts on the Cloud API when the call returns. A wrong PIN also leaves the on-premises
    deployment down and disconnected.
  - Idempotent. A number whose C(platform_type) is already V(CLOUD_API) is not registered again (C(changed=false)).
  - Never retried. Every register call counts against a small limit of the number (about 10 a week, error 133016).
    When the answer is lost after the request was sent, the module says so and how to find out.
  - The backup file is checked against its manifest (written by M(wabiz.migration.wa_backup)) before anything is
    sent, and it must be of the same number as O(phone_number_id) when the manifest tells the number.
author:
  - wabiz.migration maintainers (@wabiz)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - wabiz.migration.graph
attributes:
  check_mode:
    support: full
    details:
      - Reads the number, checks the backup and every option, and sends nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
  action_group:
    support: full
    membership:
      - wabiz.migration.graph
options:
  phone_number_id:
    description:
      - The Graph ID of the number in its WhatsApp Business Account.
    type: str
    required: true
  pin:
    description:
      - The number's two-step verification PIN (6 digits). If two-step verification was never set, this PIN becomes
        the Cloud API's. Never logged nor shown in any message.
    type: str
    required: true
  backup_password:
    description:
      - The password given when the backup was made. Never logged nor shown in any message.
    type: str
    required: true
  src:
    description:
      - A backup file written by M(wabiz.migration.wa_backup); its manifest C(SRC.manifest.json) must be next to it.
      - One of O(src) and O(data) is required.
    type: path
  data:
    description:
      - The backup data itself (C(settings.data) of the on-premises backup). Never logged nor shown in any message.
    type: str
  register_timeout:
    description:
      - Seconds to wait for the register call's answer (the vendor says it can take up to 15 seconds).
    type: float
    default: 60
"""

EXAMPLES = r"""
- name: Move the number to the Cloud API with the backup taken just before
  wabiz.migration.wa_cloud_register:
    phone_number_id: "106540352242922"
    access_token: "{{ vault_graph_token }}"
    pin: "{{ vault_wa_pin }}"
    backup_password: "{{ vault_wa_backup_password }}"
    src: /var/backups/wabiz/prod.backup
"""

RETURN = r"""
registered:
  description: Whether a register call was made and confirmed by this run.
  returned: always
  type: bool
register_status:
  description:
    - V(applied) (the call returned success), V(unconfirmed) (sent, no answer; it may have been applied),
      V(already_on_cloud_api) (nothing sent), V(would_register) (check mode, nothing sent).
  returned: always
  type: str
platform_type_before:
  description: The number's C(platform_type) before the run.
  returned: always
  type: str
checksum:
  description: sha256 of the backup data that was (or would be) sent.
  returned: when a backup was checked
  type: str
acted_on:
  description:
    - On a failed register call, whether the Graph API may have acted on it (and so on the on-premises client).
      V(false) when it was refused before (token, permission, limit) or never sent whole.
  returned: when the register call failed
  type: bool
expected_throughput:
  description:
    - V(HIGH) when the backup is of a multiconnect client with 2 or more shards (per its manifest), else V(STANDARD).
  returned: when a backup was checked
  type: str
"""

import re  # noqa: E402

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import (  # noqa: E402
    BackupFileError,
    to_bytes,
    verify_backup,
    verify_data,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_client import WAApiError  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_graph_module import GraphModule  # noqa: E402

UNCONFIRMED = (
    "The register call was sent but no answer came ({reason}). It may have been applied: do NOT call it again "
    "blindly (each call counts against the weekly limit). Check the number with wabiz.migration.wa_cloud_info "
    "(platform_type CLOUD_API means it was applied) and the on-premises client with wabiz.migration.wa_info."
)
UNTOUCHED = "The number was not registered and the on-premises client was not touched."
NOT_ACTED_ON = frozenset(["auth", "forbidden", "register_limit", "rate_limit", "config", "source"])
REFUSED = (
    "{error} What happened to the on-premises client is not known from this answer: the vendor shuts it down during "
    "a register call and a wrong PIN leaves it down and disconnected. Check it with wabiz.migration.wa_info before "
    "anything else; if it is down, it must be registered again (on-premises or, with the right PIN, on the Cloud API)."
)


def load_backup(module):
    """(data, sha256, manifest): a verified backup from src (streamed) or data; fails the module otherwise."""
    params = module.params
    try:
        if params["src"] is not None:
            backup = verify_backup(params["src"])
            return backup["text"], backup["sha256"], backup["manifest"]
        return params["data"].strip(), verify_data(to_bytes(params["data"]), what="data"), None
    except BackupFileError as exc:
        module.fail_json(msg="%s Nothing was sent." % exc)


def check_same_number(module, manifest, number):
    """Fail when the manifest's number and the Graph number's digits are both known and differ."""
    ours = re.sub(r"\D", "", str((manifest or {}).get("phone_number") or ""))
    theirs = re.sub(r"\D", "", str(number.get("display_phone_number") or ""))
    if ours and theirs and ours != theirs:
        module.fail_json(
            msg="The backup is of the number %s but phone_number_id %s is the number %s: use the backup of that number "
            "(or the right phone_number_id). Nothing was sent." % (ours, module.params["phone_number_id"], theirs)
        )


def main():
    module = GraphModule(
        argument_spec=dict(
            phone_number_id=dict(type="str", required=True),
            pin=dict(type="str", required=True, no_log=True),
            backup_password=dict(type="str", required=True, no_log=True),
            src=dict(type="path"),
            data=dict(type="str", no_log=True),
            register_timeout=dict(type="float", default=60),
        ),
        required_one_of=[["src", "data"]],
        mutually_exclusive=[["src", "data"]],
        supports_check_mode=True,
    )
    params = module.params
    if not re.match(r"^\d{6}$", params["pin"] or ""):
        module.fail_json(msg="pin must be the 6 digits of the number's two-step verification PIN. Nothing was sent.")
    if not params["backup_password"]:
        module.fail_json(msg="backup_password is empty: give the password used when the backup was made.")
    if params["register_timeout"] <= 0:
        module.fail_json(msg="register_timeout must be more than 0 seconds.")

    client = module.client
    number = module.run(lambda: client.phone_number(params["phone_number_id"]))
    platform = number.get("platform_type")
    result = dict(changed=False, registered=False, platform_type_before=platform)
    if platform == "CLOUD_API":
        module.exit_json(register_status="already_on_cloud_api", **result)

    data, sha, manifest = load_backup(module)
    check_same_number(module, manifest, number)
    shards = (manifest or {}).get("shards")
    result.update(checksum=sha, expected_throughput="HIGH" if isinstance(shards, int) and shards >= 2 else "STANDARD")
    if module.check_mode:
        result.update(changed=True, register_status="would_register")
        module.exit_json(**result)

    try:
        outcome = client.register(
            params["phone_number_id"], params["pin"], params["backup_password"], data, params["register_timeout"]
        )
    except WAApiError as exc:
        # Refused before the API could act on it (token, permission, limit, or never sent whole)?
        sent = exc.sent is not False and exc.kind not in NOT_ACTED_ON
        message = REFUSED.format(error=exc) if sent else "%s %s" % (exc, UNTOUCHED)
        module.fail_json(msg=message, error=exc.to_dict(), acted_on=sent, **result)
    if outcome["status"] == "unconfirmed":
        module.warn(UNCONFIRMED.format(reason=outcome["reason"]))
        result.update(changed=True, register_status="unconfirmed")
        module.exit_json(**result)
    result.update(changed=True, registered=True, register_status="applied")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
