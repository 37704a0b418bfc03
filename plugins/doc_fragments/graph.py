# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The Graph API (Cloud API) options shared by the wa_cloud_* modules (see GraphModule).
    DOCUMENTATION = r"""
options:
  graph_url:
    description:
      - Base URL of Meta's Graph API.
      - If not set, the value of the E(WA_GRAPH_URL) environment variable is used, then the default.
    type: str
    default: https://graph.facebook.com
  graph_api_version:
    description:
      - Graph API version to call, for example V(v23.0).
      - If not set, the value of the E(WA_GRAPH_API_VERSION) environment variable is used, then the default.
    type: str
    default: v23.0
  access_token:
    description:
      - A system user access token (bearer) with C(whatsapp_business_management) whose system user has the
        WhatsApp Business Account assigned.
      - If not set, the value of the E(WA_GRAPH_ACCESS_TOKEN) environment variable is used. One of the two is needed.
      - Never logged nor shown in any message.
    type: str
  validate_certs:
    description:
      - Whether to verify the Graph API's TLS certificate. When V(false), the module warns.
      - If not set, the value of the E(WA_GRAPH_VALIDATE_CERTS) environment variable is used, then V(true).
    type: bool
    default: true
  ca_path:
    description:
      - Path of a CA certificate (PEM) to trust for O(graph_url), for example that of a TLS-inspecting proxy.
      - If not set, the value of the E(WA_GRAPH_CA_PATH) environment variable is used, then the system's CAs.
    type: path
  timeout:
    description:
      - Seconds to wait for a connection and for each answer (a register call waits at least 60 seconds).
      - If not set, the value of the E(WA_GRAPH_TIMEOUT) environment variable is used, then V(30).
    type: float
    default: 30
notes:
  - The Graph options can be set once for all wa_cloud_* modules with C(module_defaults) and the action group
    C(group/wabiz.migration.graph), or with the E(WA_GRAPH_*) environment variables.
  - Reads are retried up to 3 times after a connection error or HTTP 5xx; a register call never is.
  - Messages never contain the access token, the PIN, the backup password, the verify token or the backup data.
requirements:
  - requests (Python library, on the host that runs the module)
"""
