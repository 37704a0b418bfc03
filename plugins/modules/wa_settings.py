#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_settings
short_description: Set the application settings, about text and business profile of a WhatsApp Business API client
version_added: 1.0.0
description:
  - Makes the client's application settings (C(GET/PATCH /v1/settings/application)) contain the given values, and
    optionally sets the profile's about text (C(/v1/settings/profile/about)) and fields of the business profile
    (C(GET/POST /v1/settings/business/profile), which needs the admin user).
  - Only what differs is sent; settings that are not given are left as they are. A second run changes nothing.
  - Never touches the registration. Typical uses are an environment's own values after a migration (for example its
    webhook URL) and C(playbooks/promote_settings.yml), which applies one environment's settings to another with
    P(wabiz.migration.wa_settings_info#module) and this module.
author:
  - wabiz.migration maintainers (@wabiz)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - wabiz.migration.connection
attributes:
  check_mode:
    support: full
    details:
      - Reads the settings and reports what would change; sends no change.
  diff_mode:
    support: full
  platform:
    platforms: posix
options:
  application:
    description:
      - 'Application settings the client must have, as nested keys of C(settings.application), for example
        V({"webhooks": {"url": "https://staging.example.com/hook"}}).'
      - Nested dictionaries are compared key by key; any other value is replaced as a whole.
    type: dict
    default: {}
  about:
    description:
      - The profile's about text. Not changed when not given.
    type: str
  business_profile:
    version_added: 1.2.0
    description:
      - Fields of the business profile the client must have; fields not given are left as they are.
      - When a field differs, the whole profile (the fields read, with the given ones changed) is sent, so that the
        other fields keep their values.
    type: dict
    suboptions:
      address:
        description: The business's address (up to 256 characters).
        type: str
      description:
        description: The business's description (up to 512 characters).
        type: str
      email:
        description: The business's contact email address.
        type: str
      vertical:
        description: The business's industry.
        type: str
      websites:
        description: Up to two website URLs.
        type: list
        elements: str
seealso:
  - module: wabiz.migration.wa_settings_info
"""

EXAMPLES = r"""
- name: Give an environment its own webhook URL and about text
  wabiz.migration.wa_settings:
    api_url: https://wa-staging.example.com:443
    password: "{{ vault_wa_staging_admin_password }}"
    ca_path: /etc/wabiz/staging-ca.pem
    application:
      webhooks:
        url: https://staging.example.com/whatsapp/webhook
      callback_persist: true
    about: Staging copy - do not use

- name: Keep the business profile's contact fields
  wabiz.migration.wa_settings:
    api_url: https://wa-prod.example.com:443
    password: "{{ vault_wa_prod_admin_password }}"
    business_profile:
      email: help@example.com
      websites: [https://www.example.com]
"""

RETURN = r"""
changed_settings:
  description: The application settings that were (or, in check mode, would be) sent, nested as given.
  returned: always
  type: dict
  sample: {"webhooks": {"url": "https://staging.example.com/whatsapp/webhook"}}
settings:
  description: The application settings after the change (in check mode, as they would be).
  returned: always
  type: dict
about:
  description: The profile's about text after the change, when O(about) was given.
  returned: when O(about) is given
  type: str
changed_about:
  description: Whether the about text differed (and was, or in check mode would be, sent).
  returned: when O(about) is given
  type: bool
  version_added: 1.2.0
business_profile:
  description: The business profile after the change (in check mode, as it would be).
  returned: when O(business_profile) is given
  type: dict
  version_added: 1.2.0
  sample: {"address": "1 Main St", "description": "", "email": "help@example.com", "vertical": "", "websites": []}
changed_business_profile:
  description: The fields of the business profile that differed (and were, or in check mode would be, sent).
  returned: when O(business_profile) is given
  type: dict
  version_added: 1.2.0
"""

from ansible_collections.wabiz.migration.plugins.module_utils.wa_module import WAModule  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_settings import (  # noqa: E402
    business_profile_fields,
    merged,
    missing,
    read_settings,
)


def main():
    module = WAModule(
        argument_spec=dict(
            application=dict(type="dict", default={}),
            about=dict(type="str"),
            business_profile=dict(
                type="dict",
                options=dict(
                    address=dict(type="str"),
                    description=dict(type="str"),
                    email=dict(type="str"),
                    vertical=dict(type="str"),
                    websites=dict(type="list", elements="str"),
                ),
            ),
        ),
        supports_check_mode=True,
    )
    client = module.client
    wanted_about = module.params["about"]
    wanted_profile = module.params["business_profile"]
    if wanted_profile is not None:
        wanted_profile = business_profile_fields(wanted_profile)

    current = module.run(
        lambda: read_settings(client, about=wanted_about is not None, business_profile=wanted_profile is not None)
    )
    before = current["application"]
    change = missing(before, module.params["application"])
    after = merged(before, change)
    about_before = current.get("about")
    about_changes = wanted_about is not None and about_before != wanted_about
    profile_before = current.get("business_profile")
    profile_change = missing(profile_before, wanted_profile) if wanted_profile is not None else {}
    profile_after = merged(profile_before, profile_change) if wanted_profile is not None else None

    if not module.check_mode:
        if change:
            module.run(lambda: client.patch_application_settings(change))
        if about_changes:
            module.run(lambda: client.set_profile_about(wanted_about))
        if profile_change:
            module.run(lambda: client.set_business_profile(profile_after))

    result = dict(
        changed=bool(change) or about_changes or bool(profile_change), changed_settings=change, settings=after
    )
    if wanted_about is not None:
        result["about"] = wanted_about
        result["changed_about"] = about_changes
    if wanted_profile is not None:
        result["business_profile"] = profile_after
        result["changed_business_profile"] = profile_change
    if module._diff:
        result["diff"] = dict(
            before=dict(application=before, about=about_before),
            after=dict(application=after, about=wanted_about if wanted_about is not None else about_before),
        )
        if wanted_profile is not None:
            result["diff"]["before"]["business_profile"] = profile_before
            result["diff"]["after"]["business_profile"] = profile_after
    module.exit_json(**result)


if __name__ == "__main__":
    main()
