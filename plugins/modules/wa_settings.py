#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_settings
short_description: Set application settings and the profile's about text of a WhatsApp Business API client
version_added: 1.0.0
description:
  - Makes the client's application settings (C(GET/PATCH /v1/settings/application)) contain the given values, and
    optionally sets the profile's about text (C(/v1/settings/profile/about)).
  - Only what differs is sent; settings that are not given are left as they are. A second run changes nothing.
  - Typical use after a migration or a restore into another environment, for example a staging webhook URL, so that a
    promoted copy never calls production's webhook.
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
"""

EXAMPLES = r"""
- name: Point the promoted copy at the staging webhook
  wabiz.migration.wa_settings:
    api_url: https://wa-staging.example.com:443
    password: "{{ vault_wa_staging_admin_password }}"
    ca_path: /etc/wabiz/staging-ca.pem
    application:
      webhooks:
        url: https://staging.example.com/whatsapp/webhook
      callback_persist: true
    about: Staging copy - do not use
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
"""

import copy  # noqa: E402

from ansible_collections.wabiz.migration.plugins.module_utils.wa_module import WAModule  # noqa: E402


def missing(current, wanted):
    """The part of ``wanted`` that ``current`` does not already hold (nested dicts compared key by key)."""
    todo = {}
    for key, value in wanted.items():
        have = current.get(key) if isinstance(current, dict) else None
        if isinstance(value, dict) and isinstance(have, dict):
            sub = missing(have, value)
            if sub:
                todo[key] = sub
        elif have != value:
            todo[key] = value
    return todo


def merged(current, change):
    """``current`` with ``change`` applied, as the client applies a PATCH."""
    result = copy.deepcopy(current)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def main():
    module = WAModule(
        argument_spec=dict(
            application=dict(type="dict", default={}),
            about=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    client = module.client
    wanted_about = module.params["about"]

    before = module.run(client.get_application_settings)
    change = missing(before, module.params["application"])
    after = merged(before, change)
    about_before = module.run(client.get_profile_about) if wanted_about is not None else None
    about_changes = wanted_about is not None and about_before != wanted_about

    if not module.check_mode:
        if change:
            module.run(lambda: client.patch_application_settings(change))
        if about_changes:
            module.run(lambda: client.set_profile_about(wanted_about))

    result = dict(changed=bool(change) or about_changes, changed_settings=change, settings=after)
    if wanted_about is not None:
        result["about"] = wanted_about
    if module._diff:
        result["diff"] = dict(
            before=dict(application=before, about=about_before),
            after=dict(application=after, about=wanted_about if wanted_about is not None else about_before),
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
