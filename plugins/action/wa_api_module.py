# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The action plugin of the API and Graph modules: ansible.builtin.normal, with the secrets hidden from ANSIBLE_DEBUG.

meta/runtime.yml routes each of those modules here (plugin_routing, the module's action_plugin);
it is no module of its own, hence its line in tests/sanity/ignore-*.txt. See
plugin_utils/wa_hidden_args.py for why: the module receives exactly the same arguments.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.wabiz.migration.plugins.plugin_utils.wa_hidden_args import hide_secrets


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        wrap_async = self._task.async_val and not self._connection.has_native_async
        outcome = self._execute_module(
            module_args=hide_secrets(self._task.args), task_vars=task_vars, wrap_async=wrap_async
        )
        result = merge_hash(result, outcome)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
