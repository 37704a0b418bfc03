# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module arguments whose secrets print as ``'********'`` and still reach the module unchanged.

With ANSIBLE_DEBUG on, ansible-core prints the arguments of every module it runs, ``no_log``
options included (``done with _execute_module (NAME, {ARGS})``): ``no_log`` does not cover
debugging output. That line prints the ``repr`` of the arguments, so the secret options are
passed as strings whose ``repr`` is masked; JSON, which carries the arguments to the module,
encodes the string itself. Kept apart from the action plugin so that it imports no controller code.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The no_log options of the modules meta/runtime.yml routes to plugins/action/wa_api_module.py. Written
# out because the action plugin cannot read them: each module builds its argument spec in main(), on
# the managed node; tests/unit/plugins/plugin_utils/test_wa_hidden_args.py proves the two agree.
SECRET_OPTIONS = ("password", "token", "backup_password", "data", "access_token", "pin", "verify_token")


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
