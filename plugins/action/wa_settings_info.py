# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs the wa_settings_info module with its secrets hidden from ANSIBLE_DEBUG (see plugin_utils/wa_hidden_args.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.wabiz.migration.plugins.plugin_utils.wa_api_action import ActionModule  # noqa: F401 pylint: disable=unused-import
