# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filter topology_mismatches: the vendor's migration rule, from wa_topology (see topology_mismatches.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.wabiz.migration.plugins.module_utils.wa_topology import mismatches


def topology_mismatches(source, target):
    return mismatches(source or {}, target or {})


class FilterModule(object):
    def filters(self):
        return {"topology_mismatches": topology_mismatches}
