# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""WABaseModule: an AnsibleModule whose options are all checked before the module does anything.

What the argument spec cannot say: every number is finite and within the bounds of its option
(``OPTION_BOUNDS``, by option name, suboptions included), every path has no NUL character and is
not longer than the system allows; a message names the option. The user information of URLs in
the options is hidden from everything the module returns. The base of every module (the API
modules through wa_module.WAModule); it needs neither the HTTP client nor requests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wabiz.migration.plugins.module_utils.wa_url import url_user_info

# (lowest, highest, why the lowest) of numeric options, wherever they are; every other float is only finite.
OPTION_BOUNDS = {
    "timeout": (0.1, 86400, " s: less leaves no time to connect"),
    "retries": (0, 100, ""),
    "retry_backoff": (0, 3600, " s"),
    "wait_timeout": (0, 7 * 86400, " s (0 reads once)"),
    "wait_interval": (0.05, 3600, " s: polling faster only loads the client"),
    "restore_timeout": (1, 86400, " s: an import takes longer than that"),
    "expected_shards": (1, 1000, ""),
    "shards": (1, 1000, ""),
    "keep_last": (0, 1000000, ""),
    "keep_days": (0, 36500, " days"),
}
# Linux's PATH_MAX and NAME_MAX, in bytes: a longer path cannot be opened.
PATH_MAX = 4096
NAME_MAX = 255


def _number_problem(name, value):
    if isinstance(value, float) and not math.isfinite(value):
        return "%s must be a finite number (got %s)." % (name, value)
    bounds = OPTION_BOUNDS.get(name.rsplit(".", 1)[-1])
    if bounds is None:
        return None
    lowest, highest, unit = bounds
    if value < lowest:
        return "%s must be at least %g%s (got %g)." % (name, lowest, unit, value)
    if value > highest:
        return "%s must be at most %g (got %g)." % (name, highest, value)
    return None


def path_problem(name, value):
    """Why ``value`` cannot be the path option ``name``, or None."""
    if "\x00" in value:
        return "%s holds a NUL character: it cannot be a path." % name
    encoded = value.encode("utf-8", "surrogateescape")
    if len(encoded) >= PATH_MAX:
        return "%s is too long to be a path (%d bytes; the most is %d)." % (name, len(encoded), PATH_MAX - 1)
    longest = max(encoded.split(b"/"), key=len)
    if len(longest) > NAME_MAX:
        return "%s has a name of %d bytes, more than a file system allows (%d): shorten it." % (
            name,
            len(longest),
            NAME_MAX,
        )
    return None


def option_problems(spec, params, prefix=""):
    """Every problem of ``params`` the argument ``spec`` cannot find: numbers and paths, suboptions included."""
    problems = []
    for key, option in spec.items():
        value = params.get(key) if isinstance(params, dict) else None
        if value is None:
            continue
        name = prefix + key
        kind = option.get("type", "str")
        if kind in ("int", "float") and not isinstance(value, bool):
            problems.append(_number_problem(name, value))
        elif kind == "path":
            problems.append(path_problem(name, value))
        if option.get("options"):
            for item in value if isinstance(value, list) else [value]:
                problems.extend(option_problems(option["options"], item, name + "."))
    return [problem for problem in problems if problem]


class WABaseModule(AnsibleModule):
    """An AnsibleModule whose options are all checked (see option_problems) before the module does anything."""

    def __init__(self, argument_spec=None, **kwargs):
        super(WABaseModule, self).__init__(argument_spec=argument_spec, **kwargs)
        self._hide_url_credentials()
        problems = option_problems(self.argument_spec, self.params)
        if problems:
            self.fail_json(msg="%s Nothing was done." % " ".join(problems))

    def _hide_url_credentials(self):
        """Hide the user information of URLs in the options from everything the module returns (-vvv included).

        api_url's with or without a scheme; any other option's only with one (``user@host`` alone may be no URL).
        """
        for name, value in self.params.items():
            if not isinstance(value, str) or (name != "api_url" and "://" not in value):
                continue
            user_info = url_user_info(value)
            if user_info:
                self.no_log_values.add(user_info)
                if user_info.partition(":")[2]:
                    self.no_log_values.add(user_info.partition(":")[2])
