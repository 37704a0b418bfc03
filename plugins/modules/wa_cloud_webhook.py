#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_cloud_webhook
short_description: Set or remove the alternate webhook callback (override) of a WhatsApp number or business account
version_added: 1.2.0
description:
  - The Cloud API sends a number's webhooks to the app's callback URL, unless an alternate callback (override) is set
    on the phone number, else on the WhatsApp Business Account (WABA). This module sets or removes that override, so
    that a number moved from on-premises sends its webhooks where the environment wants.
  - On a phone number (O(phone_number_id)) it reads C(webhook_configuration) and posts a C(webhook_configuration)
    object; on a WABA (O(waba_id)) it reads and posts C(subscribed_apps) (which also subscribes the app).
  - Meta accepts a callback only after it answered a verification request with O(verify_token).
  - Idempotent on the callback URL. The verify token cannot be read back, so a changed O(verify_token) alone is not
    sent again.
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
      - Reads the current override and reports what would change; sends no change.
  diff_mode:
    support: full
  platform:
    platforms: posix
  action_group:
    support: full
    membership:
      - wabiz.migration.graph
options:
  phone_number_id:
    description:
      - Set the override on this phone number (Graph ID). Exactly one of O(phone_number_id) and O(waba_id).
    type: str
  waba_id:
    description:
      - Set the override on this WhatsApp Business Account (Graph ID).
    type: str
  callback_url:
    description:
      - The HTTPS URL (at most 200 characters) that receives the webhooks. Required with O(state=present).
    type: str
  verify_token:
    description:
      - The token the callback expects in Meta's verification request. Required with O(state=present).
        Never logged nor shown in any message.
    type: str
  state:
    description:
      - V(present) sets the override to O(callback_url); V(absent) removes it (webhooks go to the app's callback,
        or to the WABA's override).
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Send the moved number's webhooks to production's receiver
  wabiz.migration.wa_cloud_webhook:
    phone_number_id: "106540352242922"
    callback_url: https://hooks.example.com/whatsapp
    verify_token: "{{ vault_webhook_verify_token }}"
"""

RETURN = r"""
callback_url:
  description: The override after the run (null when none).
  returned: always
  type: str
before:
  description: The override before the run (null when none).
  returned: always
  type: str
"""

from ansible_collections.wabiz.migration.plugins.module_utils.wa_graph_module import GraphModule  # noqa: E402

MAX_CALLBACK = 200


def current_override(client, params):
    """The override now set on the number or the WABA (None when there is none)."""
    if params["phone_number_id"]:
        number = client.phone_number(params["phone_number_id"], fields=("id", "webhook_configuration"))
        config = number.get("webhook_configuration")
        return (config or {}).get("phone_number") if isinstance(config, dict) else None
    for app in client.subscribed_apps(params["waba_id"]):
        if app.get("override_callback_uri"):
            return app["override_callback_uri"]
    return None


def apply(client, params, url):
    """Set (``url``) or remove (None) the override."""
    if params["phone_number_id"]:
        config = {"override_callback_uri": url or ""}
        if url:
            config["verify_token"] = params["verify_token"]
        return client.post("/%s" % params["phone_number_id"], {"webhook_configuration": config})
    body = {"override_callback_uri": url, "verify_token": params["verify_token"]} if url else {}
    return client.post("/%s/subscribed_apps" % params["waba_id"], body)


def main():
    module = GraphModule(
        argument_spec=dict(
            phone_number_id=dict(type="str"),
            waba_id=dict(type="str"),
            callback_url=dict(type="str"),
            verify_token=dict(type="str", no_log=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_one_of=[["phone_number_id", "waba_id"]],
        mutually_exclusive=[["phone_number_id", "waba_id"]],
        required_if=[["state", "present", ["callback_url", "verify_token"]]],
        supports_check_mode=True,
    )
    params = module.params
    wanted = params["callback_url"] if params["state"] == "present" else None
    if wanted is not None and (not wanted.lower().startswith("https://") or len(wanted) > MAX_CALLBACK):
        module.fail_json(msg="callback_url must be an https:// URL of at most %d characters." % MAX_CALLBACK)
    client = module.client
    before = module.run(lambda: current_override(client, params))
    result = dict(changed=before != wanted, before=before, callback_url=wanted)
    if module._diff:
        result["diff"] = dict(before={"callback_url": before}, after={"callback_url": wanted})
    if result["changed"] and not module.check_mode:
        module.run(lambda: apply(client, params, wanted))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
