# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: safe_url
short_description: A URL without its user information, to show or write
version_added: 1.2.0
description:
  - Takes the user information (C(user:password@)) out of a URL, with or without a scheme, so that a URL given
    with credentials never reaches a summary or a report. The modules refuse such an api_url; the role's report
    and summary use this filter for what they print about it.
positional: _input
options:
  _input:
    description: The URL.
    type: str
    required: true
author:
  - wabiz.migration maintainers (@wabiz)
"""

EXAMPLES = r"""
- name: Show a URL without its credentials
  ansible.builtin.debug:
    msg: "{{ 'https://admin:secret@wa.example.com:443' | wabiz.migration.safe_url }}"  # https://wa.example.com:443
"""

RETURN = r"""
_value:
  description: The URL without C(user:password@).
  type: str
"""

from ansible_collections.wabiz.migration.plugins.module_utils.wa_url import safe_url  # noqa: E402


class FilterModule(object):
    def filters(self):
        return {"safe_url": lambda url: safe_url(url) if url else url}
