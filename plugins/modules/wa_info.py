#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_info
short_description: Read the state of a WhatsApp Business API client, and wait for a wanted state
version_added: 1.0.0
description:
  - Reads the health of an on-premises WhatsApp Business API client (C(GET /v1/health)) and tells its topology,
    nodes, overall gateway status, whether it is ready, registered and connected, its shard count, its API
    version, its Masters, Coreapps and shards (C(GET /v1/support), C(GET /v1/account/shards)), the address
    its URL reaches, its account (C(GET /v1/account), not documented, so most clients answer 404 and then the
    number is unknown) and its application settings.
  - Can wait, in one task, until the client is ready, unregistered, registered or connected (optionally with a
    number of connected coreapps), polling every O(wait_interval) seconds up to O(wait_timeout) seconds. While
    waiting, connection errors, HTTP 502/503/504, API error 1011 (not ready) and, after such an error
    (a restart), a refused login are tolerated.
  - Changes nothing.
author:
  - wabiz.migration maintainers (@wabiz)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - wabiz.migration.connection
attributes:
  check_mode:
    support: full
    details:
      - The module only reads, and works the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  wait_for:
    description:
      - State to wait for.
      - V(none) reads once.
      - V(ready) waits until no node is C(uninitialized) (the client answers and has started).
      - V(unregistered) waits until the client is ready and not registered (a restore target).
      - V(registered) waits until the client is ready and registered.
      - V(connected) waits until it is registered, the primary master (or the single instance) is connected and
        at least one coreapp (or O(expected_shards) coreapps) is connected.
    type: str
    choices: [none, ready, unregistered, registered, connected]
    default: none
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for) before failing. The failure shows the last health seen and the last error.
      - The calls made while waiting end by then too (each within O(timeout) and what remains of the wait).
      - From 0 (read once) to 604800 (7 days).
    type: float
    default: 300
  wait_interval:
    description:
      - Seconds between two polls while waiting. At least 0.05 (polling faster only loads the client), at most 3600.
    type: float
    default: 0.5
  expected_shards:
    description:
      - With O(wait_for=connected), wait until at least this many coreapps are connected.
    type: int
  gather_settings:
    description:
      - Whether to read the application settings (C(GET /v1/settings/application)) into RV(settings) and the
        profile's about text (C(GET /v1/settings/profile/about)) into RV(about).
    type: bool
    default: true
notes:
  - The shard count of a registered client comes from C(GET /v1/account/shards) (documented for multiconnect),
    else from health (the connected coreapps); a single instance has 1; an unregistered multiconnect client's
    shard count cannot be read (its coreapps may include HA standbys) and is V(null).
  - Only documented calls are needed; C(GET /v1/support) and C(GET /v1/account) are optional (a 404 is not an
    error).
seealso:
  - module: wabiz.migration.wa_backup
  - module: wabiz.migration.wa_restore
"""

EXAMPLES = r"""
- name: Read the client's state
  wabiz.migration.wa_info:
    api_url: https://wa.example.com:443
    ca_path: /etc/wa/ca.pem
    password: "{{ wa_admin_password }}"
  register: wa

- name: Show it
  ansible.builtin.debug:
    msg: "{{ wa.version }} registered={{ wa.registered }} shards={{ wa.shards }} status={{ wa.gateway_status }}"

- name: Wait until a restored multiconnect client has its 2 shards connected (one task, no loop)
  wabiz.migration.wa_info:
    api_url: https://wa-new.example.com:443
    ca_path: /etc/wa/ca.pem
    password: "{{ wa_admin_password }}"
    wait_for: connected
    expected_shards: 2
    wait_timeout: 600
    gather_settings: false

- name: Wait until the new client is up and unregistered, ready for a restore
  wabiz.migration.wa_info:
    api_url: https://wa-new.example.com:443
    password: "{{ wa_admin_password }}"
    wait_for: unregistered
    wait_timeout: 120
"""

RETURN = r"""
registered:
  description: Whether the client is registered (a node is connected or connecting, or none is unregistered).
  returned: always
  type: bool
shards:
  description:
    - Shard count. 1 for a single instance; for a registered client the count of C(GET /v1/account/shards),
      else the number of connected coreapps; V(null) for an unregistered multiconnect client (not readable).
  returned: always
  type: int
  sample: 2
shards_from:
  description: Where RV(shards) comes from, V(account_shards) or V(health), or V(null) when unknown.
  returned: always
  type: str
  sample: account_shards
masters:
  description:
    - Number of Master nodes (primary and secondary), from C(GET /v1/support) or else health; 0 for a single
      instance.
  returned: always
  type: int
  sample: 1
counted_from:
  description: Where RV(masters) and RV(coreapps) were counted, V(support) (C(GET /v1/support)) or V(health).
  returned: always
  type: str
  sample: support
node_keys:
  description:
    - The nodes' keys (C(hostname:container-id)) from C(GET /v1/support), or health for a multiconnect setup;
      they name containers, so two URLs with the same keys reach one client. Empty when unknown.
  returned: always
  type: list
  elements: str
endpoint:
  description: The address and port that O(api_url) reaches (C(localhost) and C(127.0.0.1) give the same).
  returned: always
  type: str
  sample: 127.0.0.1:8443
version:
  description: API version reported by the client (C(meta.version)).
  returned: always
  type: str
  sample: v2.45.1
api_status:
  description: API status reported by the client (C(meta.api_status)).
  returned: always
  type: str
  sample: stable
health:
  description: The raw C(health) object of C(GET /v1/health).
  returned: always
  type: dict
  sample: {"gateway_status": "connected"}
gateway_status:
  description:
    - Overall gateway status; V(connected), V(connecting), V(disconnected), V(unregistered), V(uninitialized)
      or V(unknown).
  returned: always
  type: str
  sample: connected
topology:
  description: V(single) (one instance) or V(multiconnect) (one health entry per node, high availability included).
  returned: always
  type: str
  sample: single
nodes:
  description: The nodes, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The node's key in the health answer (C(hostname:container-id)), V(single) for a single instance.
      type: str
      returned: always
    role:
      description: V(primary_master), V(secondary_master), V(coreapp), V(single) or V(unknown).
      type: str
      returned: always
    gateway_status:
      description: The node's gateway status.
      type: str
      returned: always
ready:
  description: Whether the client has started (no node C(uninitialized)).
  returned: always
  type: bool
connected:
  description: Whether it is registered, its primary master (or single instance) connected, and a coreapp connected.
  returned: always
  type: bool
coreapps:
  description: Number of coreapp nodes, from C(GET /v1/support) or else health (1 for a single instance).
  returned: always
  type: int
connected_coreapps:
  description: Number of connected coreapp nodes (1 for a connected single instance).
  returned: always
  type: int
account:
  description:
    - The answer of C(GET /v1/account) without its C(meta), or V(null) when the API has no such call (it is not
      documented by the vendor).
  returned: always
  type: dict
phone_number:
  description: The registered number with its country code, from RV(account), or V(null) when unknown.
  returned: always
  type: str
  sample: "15550001111"
settings:
  description:
    - The application settings (C(settings.application) of C(GET /v1/settings/application)).
    - V(null) when O(gather_settings=false), or when the client refused them (a warning says why).
  returned: always
  type: dict
about:
  description:
    - The profile's about text (C(GET /v1/settings/profile/about)); V(null) when O(gather_settings=false), when
      it is not set, or when the client refused it (a warning says why).
  returned: always
  type: str
waited:
  description: Seconds spent waiting for O(wait_for).
  returned: always
  type: float
  sample: 12.5
"""

import time  # noqa: E402

from ansible_collections.wabiz.migration.plugins.module_utils.wa_client import (  # noqa: E402
    WAApiError,
    phone_number_from_account,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_endpoint import endpoint_key  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_health import WAHealthError, satisfies, summarize  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_module import WAModule  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_topology import read as read_topology  # noqa: E402

# Without evidence of a restart, a refused login is tolerated this long (then it is a wrong password).
AUTH_GRACE = 30.0

STATES = ("none", "ready", "unregistered", "registered", "connected")


class WaitTimeout(Exception):
    def __init__(self, message, health=None, waited=0.0):
        super(WaitTimeout, self).__init__(message)
        self.health = health
        self.waited = waited


def describe(summary):
    nodes = ", ".join("%s=%s (%s)" % (n["name"], n["gateway_status"], n["role"]) for n in summary["nodes"])
    return "gateway_status %s, registered %s, ready %s, connected coreapps %d; nodes: %s" % (
        summary["gateway_status"],
        str(summary["registered"]).lower(),
        str(summary["ready"]).lower(),
        summary["connected_coreapps"],
        nodes,
    )


def wanted_text(wanted, expected_shards):
    if wanted == "connected" and expected_shards:
        return "connected with %d coreapp(s) connected" % expected_shards
    return wanted


def wait(client, wanted, timeout, interval, expected_shards=None, clock=time.monotonic, sleep=time.sleep):
    """Poll health until ``wanted``; returns (health, summary, waited).

    Raises WAApiError (not tolerated), WAHealthError or WaitTimeout.
    """
    start = clock()
    deadline = start + max(0.0, timeout)
    last_summary = last_health = last_error = None
    restart_seen = False
    first_auth_error = None
    saved_retries = client.retries
    if wanted != "none":
        client.retries = 0  # this loop is the retry
    try:
        while True:
            remaining = deadline - clock()
            try:
                # Each call ends by the wait's deadline (a call needs a moment; wait_timeout 0 reads once).
                per_call = min(client.timeout, max(remaining, 0.1)) if wanted != "none" and timeout > 0 else None
                health = client.health(timeout=per_call)
                summary = summarize(health)
                last_health, last_summary, last_error = health, summary, None
                first_auth_error = None
                if satisfies(summary, wanted, expected_shards):
                    return health, summary, round(clock() - start, 3)
            except WAApiError as exc:
                if wanted == "none":
                    raise
                if exc.kind == "auth":
                    now = clock()
                    if first_auth_error is None:
                        first_auth_error = now
                    if not restart_seen and now - first_auth_error >= min(AUTH_GRACE, timeout):
                        raise
                elif exc.transient:
                    restart_seen = True
                else:
                    raise
                last_error = exc
            now = clock()
            if now >= deadline:
                parts = [
                    "Timed out after %gs waiting for the client at %s to be %s."
                    % (timeout, client.display_url, wanted_text(wanted, expected_shards))
                ]
                if last_summary is not None:
                    parts.append("Last health seen: %s." % describe(last_summary))
                else:
                    parts.append("No health answer was seen.")
                if last_error is not None:
                    parts.append("Last error: %s" % last_error)
                raise WaitTimeout(" ".join(parts), health=last_health, waited=round(now - start, 3))
            sleep(max(0.0, min(interval, deadline - now)))
    finally:
        client.retries = saved_retries


def main():
    module = WAModule(
        argument_spec=dict(
            wait_for=dict(type="str", default="none", choices=list(STATES)),
            wait_timeout=dict(type="float", default=300),
            wait_interval=dict(type="float", default=0.5),
            expected_shards=dict(type="int"),
            gather_settings=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["wait_timeout"] < 0:
        module.fail_json(msg="wait_timeout must not be negative (got %s)." % params["wait_timeout"])
    if params["wait_interval"] <= 0:
        module.fail_json(msg="wait_interval must be more than 0 seconds (got %s)." % params["wait_interval"])
    if params["expected_shards"] is not None:
        if params["expected_shards"] < 1:
            module.fail_json(msg="expected_shards must be 1 or more (got %d)." % params["expected_shards"])
        if params["wait_for"] != "connected":
            module.fail_json(msg="expected_shards needs wait_for: connected.")

    client = module.client
    try:
        health, summary, waited = wait(
            client, params["wait_for"], params["wait_timeout"], params["wait_interval"], params["expected_shards"]
        )
    except WAApiError as exc:
        module.fail_from(exc)
    except WAHealthError as exc:
        module.fail_json(msg="The health answer of %s cannot be read: %s" % (client.display_url, exc))
    except WaitTimeout as exc:
        module.fail_json(msg=str(exc), health=exc.health, waited=exc.waited)

    result = dict(changed=False, health=health, waited=waited)
    result.update(summary)
    result.update(module.run(lambda: read_topology(client, summary)))
    result["endpoint"] = endpoint_key(client.api_url)
    result["account"] = module.run(client.account)
    result["phone_number"] = phone_number_from_account(result["account"])
    result["settings"] = result["about"] = None
    if params["gather_settings"]:
        for key, what, read in (
            ("settings", "The application settings", client.get_application_settings),
            ("about", "The profile's about text", client.get_profile_about),
        ):
            try:
                result[key] = read()
            except WAApiError as exc:
                if exc.kind not in ("api", "forbidden", "http", "unexpected"):
                    module.fail_from(exc)
                module.warn("%s could not be read: %s" % (what, exc))
    result["version"] = client.meta.get("version")
    result["api_status"] = client.meta.get("api_status")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
