# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""User information (``user:password@``) in URLs: found, and taken out of what is shown or written.

The API takes no credentials in its URL, so an api_url with them is refused; every URL that is
printed or written goes through ``safe_url`` first. No dependency, so that the lock, the report
and the filter plugin can use it without the HTTP client.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# user[:password]@ before the host, with or without a scheme (user:secret@host has none).
_USER_INFO = re.compile(r"^(\s*(?:[a-zA-Z][a-zA-Z0-9+.\-]*://)?)([^/?#\s]*)@")
# The same inside a text (a report): only URLs with a scheme can be told from other uses of '@'.
_USER_INFO_IN_TEXT = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://)[^/?#\s@]*@")


def url_user_info(url):
    """The user information (``user:password``) in ``url``, or None."""
    match = _USER_INFO.match(url or "")
    return match.group(2) if match else None


def safe_url(url):
    """``url`` without any user:password@ part, with or without a scheme."""
    return _USER_INFO.sub(r"\1", url or "", count=1)


def without_url_credentials(text):
    """``text`` with the user information taken out of every URL in it (``scheme://user:password@host``)."""
    return _USER_INFO_IN_TEXT.sub(r"\1", text or "")
