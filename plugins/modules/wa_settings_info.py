#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_settings_info
short_description: Read the settings a WhatsApp Business API client exposes
version_added: 1.2.0
description:
  - Reads the application settings (C(GET /v1/settings/application)), the profile's about text
    (C(GET /v1/settings/profile/about)) and the business profile (C(GET /v1/settings/business/profile), which needs
    the admin user), in the shape P(wabiz.migration.wa_settings#module) takes them.
  - Reads only; never the registration. C(playbooks/promote_settings.yml) reads one environment with it and applies
    the settings to another with P(wabiz.migration.wa_settings#module).
author:
  - wabiz.migration maintainers (@wabiz)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - wabiz.migration.connection
attributes:
  check_mode:
    support: full
    details:
      - It only reads, in check mode too.
  diff_mode:
    support: N/A
  platform:
    platforms: posix
options:
  parts:
    description:
      - Which settings to read.
    type: list
    elements: str
    choices: [application, about, business_profile]
    default: [application, about, business_profile]
seealso:
  - module: wabiz.migration.wa_settings
"""

EXAMPLES = r"""
- name: Read staging's settings
  wabiz.migration.wa_settings_info:
    api_url: https://wa-staging.example.com:443
    password: "{{ vault_wa_staging_admin_password }}"
    ca_path: /etc/wabiz/staging-ca.pem
  register: staging_settings

- name: Apply them to prod, with prod's own webhook
  wabiz.migration.wa_settings:
    api_url: https://wa-prod.example.com:443
    password: "{{ vault_wa_prod_admin_password }}"
    application: "{{ staging_settings.application | combine(prod_webhook, recursive=true) }}"
    about: "{{ staging_settings.about }}"
    business_profile: "{{ staging_settings.business_profile }}"
  vars:
    prod_webhook: {webhooks: {url: https://example.com/whatsapp/webhook}}
"""

RETURN = r"""
application:
  description: The application settings (C(settings.application)).
  returned: when V(application) is in O(parts)
  type: dict
  sample: {"webhooks": {"url": "https://staging.example.com/whatsapp/webhook"}, "callback_persist": true}
about:
  description: The profile's about text.
  returned: when V(about) is in O(parts)
  type: str
business_profile:
  description: The business profile's fields that are set (C(address), C(description), C(email), C(vertical),
    C(websites)).
  returned: when V(business_profile) is in O(parts)
  type: dict
  sample: {"address": "1 Main St", "email": "help@example.com", "websites": ["https://www.example.com"]}
"""

from ansible_collections.wabiz.migration.plugins.module_utils.wa_module import WAModule  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_settings import read_settings  # noqa: E402

PARTS = ["application", "about", "business_profile"]


def main():
    module = WAModule(
        argument_spec=dict(parts=dict(type="list", elements="str", choices=PARTS, default=PARTS)),
        supports_check_mode=True,
    )
    parts = module.params["parts"]
    found = module.run(lambda: read_settings(module.client, **dict((part, part in parts) for part in PARTS)))
    module.exit_json(changed=False, **found)


if __name__ == "__main__":
    main()
