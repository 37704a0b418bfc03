#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_cloud_info
short_description: Read a WhatsApp phone number from the Graph API (Cloud API), optionally waiting for Cloud API
version_added: 1.2.0
description:
  - Reads the documented fields of a phone number (C(GET /VERSION/PHONE_NUMBER_ID?fields=...)) from Meta's Graph API,
    among them C(platform_type) (V(CLOUD_API), V(ON_PREMISE) or V(NOT_APPLICABLE)) and C(throughput.level).
  - With O(wait_for=cloud_api), polls until the number is on the Cloud API, for example after a register call.
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
      - The module only reads, and works the same in check mode.
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
      - The Graph ID of the number in its WhatsApp Business Account (not the phone number itself).
    type: str
    required: true
  wait_for:
    description:
      - V(none) reads once. V(cloud_api) polls until C(platform_type) is V(CLOUD_API), or fails after O(wait_timeout).
    type: str
    choices: [none, cloud_api]
    default: none
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for).
    type: float
    default: 60
  wait_interval:
    description:
      - Seconds between two reads while waiting.
    type: float
    default: 1
"""

EXAMPLES = r"""
- name: Where does the number run?
  wabiz.migration.wa_cloud_info:
    phone_number_id: "106540352242922"
    access_token: "{{ vault_graph_token }}"
  register: number

- name: Wait until the number is on the Cloud API
  wabiz.migration.wa_cloud_info:
    phone_number_id: "106540352242922"
    wait_for: cloud_api
    wait_timeout: 120
"""

RETURN = r"""
platform_type:
  description: Where the number runs (V(CLOUD_API), V(ON_PREMISE), V(NOT_APPLICABLE)), or null when not returned.
  returned: always
  type: str
  sample: CLOUD_API
throughput_level:
  description: The number's C(throughput.level) (V(STANDARD) or V(HIGH)), or null.
  returned: always
  type: str
  sample: HIGH
phone_number:
  description: The documented fields of the number as the Graph API returned them.
  returned: always
  type: dict
  sample:
    id: "106540352242922"
    display_phone_number: "+1 555-000-1111"
    platform_type: CLOUD_API
    throughput: {level: HIGH}
waited:
  description: Seconds spent waiting for O(wait_for).
  returned: always
  type: float
"""

import time  # noqa: E402

from ansible_collections.wabiz.migration.plugins.module_utils.wa_graph_module import GraphModule  # noqa: E402


def summary(number):
    """(platform_type, throughput level) of a phone number object."""
    throughput = number.get("throughput")
    level = throughput.get("level") if isinstance(throughput, dict) else None
    return number.get("platform_type"), level


def main():
    module = GraphModule(
        argument_spec=dict(
            phone_number_id=dict(type="str", required=True),
            wait_for=dict(type="str", choices=["none", "cloud_api"], default="none"),
            wait_timeout=dict(type="float", default=60),
            wait_interval=dict(type="float", default=1),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["wait_timeout"] < 0 or params["wait_interval"] <= 0:
        module.fail_json(msg="wait_timeout must not be negative and wait_interval must be more than 0.")
    client = module.client
    started = time.monotonic()
    while True:
        number = module.run(lambda: client.phone_number(params["phone_number_id"]))
        platform, level = summary(number)
        waited = round(time.monotonic() - started, 3)
        result = dict(changed=False, platform_type=platform, throughput_level=level, phone_number=number, waited=waited)
        if params["wait_for"] == "none" or platform == "CLOUD_API":
            module.exit_json(**result)
        if waited >= params["wait_timeout"]:
            module.fail_json(
                msg="The number %s is still on %s after %gs, not CLOUD_API. If a register call was made, check its "
                "result; the Graph API may also take longer: raise wait_timeout."
                % (params["phone_number_id"], platform, params["wait_timeout"]),
                **result,
            )
        time.sleep(params["wait_interval"])


if __name__ == "__main__":
    main()
