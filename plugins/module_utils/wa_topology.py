# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A client's Masters, Coreapps and shards, from documented calls only.

- Masters and Coreapps: the nodes of ``GET /v1/support`` (every container, by role), else of
  ``GET /v1/health``.
- Shards of a registered client: ``GET /v1/account/shards`` (documented on the multiconnect
  page), else the connected Coreapps in health. An unregistered client's shard count cannot be
  read (its Coreapps may include HA standbys): None.
- Node keys (``hostname:container-id``): they name containers, so two URLs whose keys are the
  same reach one client.

The vendor's migration rule compares these: the same shards and exactly the same Masters and
Coreapps on both sides (see :func:`mismatches`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.wabiz.migration.plugins.module_utils.wa_health import MULTICONNECT, support_nodes

MASTER_ROLES = ("primary_master", "secondary_master")


def read(client, summary):
    """The topology of the client ``summary`` (wa_health.summarize) describes; see the module's docstring."""
    nodes = support_nodes(client.support())
    if nodes:
        masters = len([n for n in nodes if n["role"] in MASTER_ROLES])
        coreapps = len([n for n in nodes if n["role"] == "coreapp"])
        keys = [n["name"] for n in nodes]
        counted_from = "support"
    else:
        masters, coreapps = summary["masters"], summary["coreapps"]
        keys = [n["name"] for n in summary["nodes"]] if summary["topology"] == MULTICONNECT else []
        counted_from = "health"
    shards, shards_from = summary["shards"], "health" if summary["shards"] is not None else None
    if summary["registered"]:
        declared = client.account_shards()
        if declared is not None:
            shards, shards_from = declared, "account_shards"
    return {
        "masters": masters,
        "coreapps": coreapps,
        "counted_from": counted_from,
        "shards": shards,
        "shards_from": shards_from,
        "node_keys": keys,
    }


def mismatches(source, target):
    """What breaks the vendor's rule between two topologies (dicts of masters, coreapps, shards), as sentences.

    ``target`` shards are compared only when known (a registered target); an unregistered target
    must run at least as many Coreapps as the source has shards.
    """
    problems = []
    for what, label in (("masters", "Master(s)"), ("coreapps", "Coreapp(s)")):
        if source.get(what) is not None and target.get(what) is not None and source[what] != target[what]:
            problems.append("the source runs %s %s and the target %s" % (source[what], label, target[what]))
    shards = source.get("shards")
    if shards is not None:
        if target.get("shards") is not None:
            if target["shards"] != shards:
                problems.append("the source has %s shard(s) and the target %s" % (shards, target["shards"]))
        elif target.get("coreapps") is not None and target["coreapps"] < shards:
            problems.append(
                "the source has %s shard(s) and the target runs only %s Coreapp(s)" % (shards, target["coreapps"])
            )
    return problems
