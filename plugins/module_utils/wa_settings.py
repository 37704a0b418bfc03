# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The settings a client exposes through its API, and what must be sent to make them hold given values.

Three parts: the application settings (nested keys, PATCHed: only what differs is sent), the
profile's about text, and the business profile (its fields are POSTed as a whole, so that the
fields not given keep their values whatever the client does with fields left out).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

BUSINESS_PROFILE_FIELDS = ("address", "description", "email", "vertical", "websites")


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


def business_profile_fields(profile):
    """The documented fields of a business profile, those that are set (a dict without None values)."""
    return dict((key, profile[key]) for key in BUSINESS_PROFILE_FIELDS if profile.get(key) is not None)


def read_settings(client, application=True, about=True, business_profile=True):
    """What the client exposes of each part asked for: ``application``, ``about``, ``business_profile``."""
    found = {}
    if application:
        found["application"] = client.get_application_settings()
    if about:
        found["about"] = client.get_profile_about()
    if business_profile:
        found["business_profile"] = business_profile_fields(client.get_business_profile())
    return found
