# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options shared by every module of wabiz.migration (see WAModule).
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the WhatsApp Business API client (its Webapp container), for example V(https://wa.example.com:443).
      - If not set, the value of the E(WA_API_URL) environment variable is used. One of the two is needed.
      - Plain V(http://) works only when the client really serves HTTP on that port; the client's default is HTTPS.
    type: str
  username:
    description:
      - API user to log in as. Backup and restore need the V(admin) user.
      - If not set, the value of the E(WA_API_USERNAME) environment variable is used, then V(admin).
    type: str
    default: admin
  password:
    description:
      - Password of O(username). The module logs in with it (basic auth) and uses the bearer token it gets.
      - With O(token) too, the token is used first and the password only when the token is refused (expired).
      - If not set, the value of the E(WA_API_PASSWORD) environment variable is used.
      - One of O(password) and O(token) is required. Never logged nor shown in any message.
    type: str
  token:
    description:
      - A bearer token from an earlier login (tokens are valid for 7 days). Saves a login.
      - If not set, the value of the E(WA_API_TOKEN) environment variable is used.
      - One of O(password) and O(token) is required. Never logged nor shown in any message.
    type: str
  validate_certs:
    description:
      - Whether to verify the client's TLS certificate.
      - The client's default certificate is self-signed; rather than turning this off, give its CA in O(ca_path).
      - If not set, the value of the E(WA_API_VALIDATE_CERTS) environment variable is used, then V(true).
      - When V(false), the module warns.
    type: bool
    default: true
  ca_path:
    description:
      - Path (on the host that runs the module) of the CA certificate (PEM) that signed the client's certificate,
        or of a directory of CA certificates prepared with C(c_rehash).
      - If not set, the value of the E(WA_API_CA_PATH) environment variable is used, then the system's CAs.
    type: path
  timeout:
    description:
      - Seconds to wait for a connection and for each answer.
      - If not set, the value of the E(WA_API_TIMEOUT) environment variable is used, then V(30).
    type: float
    default: 30
  retries:
    description:
      - How many times a safe call (reads, login, backup, settings changes) is retried after a connection error,
        HTTP 502/503/504, or API error 1011 (not ready), 1015 (too many requests) or 1016 (overloaded).
      - A restore is never retried, except once after a new login when the API refused the token (it was not applied).
    type: int
    default: 3
  retry_backoff:
    description:
      - Seconds to wait before the first retry; the wait doubles at each retry
        (0.5, 1, 2 with the defaults, at most O(retry_backoff) * (2 ** O(retries) - 1) in all).
    type: float
    default: 0.5
notes:
  - The connection options can be set once for many tasks with C(module_defaults) or with the
    E(WA_API_*) environment variables.
  - Messages never contain the password, the token, the backup password or the backup data.
requirements:
  - requests (Python library, on the host that runs the module)
"""
