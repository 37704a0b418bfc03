# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The action plugin of the API modules: runs the module, with its secrets hidden from ANSIBLE_DEBUG.

With ANSIBLE_DEBUG on, ansible-core prints the arguments of every module it runs, ``no_log``
options included (``done with _execute_module (NAME, {ARGS})``): ``no_log`` does not cover
debugging output. Here the secret options are passed as strings whose ``repr`` is
``'********'``: the module receives exactly the same values (JSON encodes the string itself),
only that line is masked. Everything else is what ansible.builtin.normal does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

# The options of the API modules that hold secrets (no_log in their argument specs).
SECRET_OPTIONS = ("password", "token", "backup_password", "data")


class HiddenStr(str):
    """A str that shows as ``'********'`` in reprs (so in the repr of a dict of arguments)."""

    __slots__ = ()

    def __repr__(self):
        return "'********'"


def hide_secrets(args):
    """A copy of the module arguments with every secret option's value a HiddenStr."""
    hidden = dict(args)
    for key in SECRET_OPTIONS:
        if isinstance(hidden.get(key), str):
            hidden[key] = HiddenStr(hidden[key])
    return hidden


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
