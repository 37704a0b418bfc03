# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure functions that turn the ``health`` object of GET /v1/health into a summary.

Shapes (vendor health reference):

- single instance: ``{"gateway_status": "connected"}``
- HA / multiconnect: one entry per node, keyed ``hostname:container-id``:
  ``{"wa-core-1:3f2a": {"gateway_status": "connected", "role": "coreapp"}, ...}``

Unknown fields are ignored anywhere. Anything that is not a health object raises
:class:`WAHealthError` (and nothing else).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

GATEWAY_STATUSES = ("connected", "connecting", "disconnected", "unregistered", "uninitialized")
ROLES = ("primary_master", "secondary_master", "coreapp")

SINGLE = "single"
MULTICONNECT = "multiconnect"


class WAHealthError(ValueError):
    """The answer is not a health object."""


def _status(value):
    if isinstance(value, str) and value.strip():
        return value.strip().lower()
    return "unknown"


def _role(value):
    if isinstance(value, str) and value.strip():
        return value.strip().lower()
    return "unknown"


def _describe(value):
    if isinstance(value, dict):
        keys = sorted(str(k) for k in value)
        shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
        return "an object with keys: %s" % (shown or "none")
    if value is None:
        return "null"
    return "a %s" % type(value).__name__


def nodes_of(health):
    """(topology, nodes) of a health object; raises WAHealthError."""
    if isinstance(health, dict) and isinstance(health.get("health"), dict) and "gateway_status" not in health:
        # The whole answer of GET /v1/health rather than its health object.
        health = health["health"]
    if not isinstance(health, dict):
        raise WAHealthError(
            'Not a health object: expected a JSON object like {"gateway_status": "connected"} or one entry per '
            "node, got %s." % _describe(health)
        )
    nodes = []
    for name in sorted(health, key=str):
        value = health[name]
        if isinstance(value, dict) and ("gateway_status" in value or "role" in value):
            nodes.append(
                {
                    "name": str(name),
                    "role": _role(value.get("role")),
                    "gateway_status": _status(value.get("gateway_status")),
                }
            )
    if nodes:
        return MULTICONNECT, nodes
    if isinstance(health.get("gateway_status"), str):
        return SINGLE, [{"name": "single", "role": SINGLE, "gateway_status": _status(health["gateway_status"])}]
    raise WAHealthError(
        "Not a health object: no gateway_status and no node entries (got %s). Is api_url pointing at a "
        "WhatsApp Business API client?" % _describe(health)
    )


def _registered(statuses):
    if any(s in ("connected", "connecting") for s in statuses):
        return True
    if any(s == "unregistered" for s in statuses):
        return False
    return any(s == "disconnected" for s in statuses)


def summarize(health):
    """Summary of a health object.

    Returns a dict: ``topology`` (single|multiconnect), ``nodes`` ([{name, role, gateway_status}]),
    ``gateway_status`` (overall), ``registered``, ``ready``, ``shards``, ``connected``,
    ``masters`` (master nodes seen, 0 for a single instance), ``coreapps`` (coreapp nodes seen)
    and ``connected_coreapps``.

    ``shards`` is what health alone can tell: 1 for a single instance, the connected coreapps of
    a registered setup, and None for an unregistered multiconnect setup (its coreapps may include
    HA standbys, so they are not all shards).
    """
    topology, nodes = nodes_of(health)
    statuses = [n["gateway_status"] for n in nodes]
    coreapps = [n for n in nodes if n["role"] == "coreapp"]
    connected_coreapps = [n for n in coreapps if n["gateway_status"] == "connected"]
    registered = _registered(statuses)

    if topology == SINGLE:
        status = statuses[0]
        connected = status == "connected"
        shards = 1
        n_masters = 0
        n_coreapps = 1
        n_connected = 1 if connected else 0
    else:
        masters = [n for n in nodes if n["role"] == "primary_master"]
        masters_ok = all(n["gateway_status"] == "connected" for n in masters)
        connected = registered and masters_ok and bool(connected_coreapps) and "uninitialized" not in statuses
        n_masters = len([n for n in nodes if n["role"] in ("primary_master", "secondary_master")])
        n_coreapps = len(coreapps)
        n_connected = len(connected_coreapps)
        shards = n_connected if registered else None
        if "uninitialized" in statuses:
            status = "uninitialized"
        elif "unregistered" in statuses:
            status = "unregistered"
        elif connected:
            status = "connected"
        elif "connecting" in statuses:
            status = "connecting"
        elif "disconnected" in statuses:
            status = "disconnected"
        else:
            status = "unknown"

    ready = status in ("connected", "connecting", "disconnected", "unregistered") and "uninitialized" not in statuses
    return {
        "topology": topology,
        "nodes": nodes,
        "gateway_status": status,
        "registered": bool(registered),
        "ready": bool(ready),
        "shards": shards,
        "connected": bool(connected),
        "masters": n_masters,
        "coreapps": n_coreapps,
        "connected_coreapps": n_connected,
    }


def satisfies(summary, wanted, expected_shards=None):
    """Whether ``summary`` is in the ``wanted`` state (none|ready|unregistered|registered|connected)."""
    if wanted in (None, "none"):
        return True
    if not summary["ready"]:
        return False
    if wanted == "ready":
        return True
    if wanted == "unregistered":
        return not summary["registered"] and summary["gateway_status"] == "unregistered"
    if wanted == "registered":
        return summary["registered"]
    if wanted == "connected":
        if not summary["connected"]:
            return False
        return expected_shards is None or summary["connected_coreapps"] >= expected_shards
    raise ValueError("unknown state %r" % (wanted,))


def support_nodes(support):
    """[{name, role, shards}] of a GET /v1/support ``support`` object (fields may vary: unknown ones ignored)."""
    nodes = []
    if not isinstance(support, dict):
        return nodes
    for name in sorted(support, key=str):
        value = support[name]
        if isinstance(value, dict):
            owned = value.get("shards")
            nodes.append(
                {
                    "name": str(name),
                    "role": _role(value.get("role")),
                    "shards": [p for p in owned if isinstance(p, list)] if isinstance(owned, list) else [],
                }
            )
    return nodes
