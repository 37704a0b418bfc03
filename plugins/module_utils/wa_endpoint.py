# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which address and port an API URL reaches, whatever its spelling.

``https://localhost:8443`` and ``https://127.0.0.1:8443/`` reach one client: the lock of a
target and the check that a target is not its own source compare this key, never the spelling.
Standard library only (the lock does not need requests).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
import socket

_URL = re.compile(
    r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?:[^/@]*@)?(?P<host>\[[^\]]*\]|[^/:?#]*)(?::(?P<port>\d+))?", re.IGNORECASE
)
_DEFAULT_PORTS = {"https": 443, "http": 80}


def split_url(url):
    """(scheme, host, port) of an http(s) URL, host lower-case without brackets; None when it is not one."""
    match = _URL.match((url or "").strip())
    if not match or not match.group("host"):
        return None
    scheme = match.group("scheme").lower()
    port = int(match.group("port")) if match.group("port") else _DEFAULT_PORTS.get(scheme)
    return scheme, match.group("host").strip("[]").lower().rstrip("."), port


def _canonical(address):
    """One spelling per machine-local or literal address: any loopback is 127.0.0.1; v4-mapped v6 is v4."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return address
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "127.0.0.1"
    return str(ip)


def resolve(host, port, getaddrinfo=socket.getaddrinfo):
    """The address ``host`` resolves to (canonical, the lowest of its IPv4 ones first), or ``host`` itself."""
    try:
        infos = getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, socket.herror, UnicodeError, OSError):
        return host
    addresses = sorted(set(_canonical(info[4][0]) for info in infos), key=lambda a: (":" in a, a))
    return addresses[0] if addresses else host


def endpoint_key(url, getaddrinfo=socket.getaddrinfo):
    """``address:port`` that ``url`` reaches (``[v6]:port`` for IPv6), or None when it is not an http(s) URL."""
    parts = split_url(url)
    if parts is None:
        return None
    _scheme, host, port = parts
    address = resolve(host, port, getaddrinfo)
    return "%s:%s" % ("[%s]" % address if ":" in address else address, port if port is not None else "default")
