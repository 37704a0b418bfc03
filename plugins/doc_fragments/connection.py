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
      - A URL with user information (V(https://user:password@host)), with or without a scheme, is refused before
        anything is sent, with a message that does not repeat it; give the credentials in O(username) and
        O(password). No URL is ever shown or written with credentials in it.
    type: str
  username:
    description:
      - API user to log in as. Backup and restore need the V(admin) user.
      - If not set, the value of the E(WA_API_USERNAME) environment variable is used, then V(admin).
      - Must be Latin-1 (ISO-8859-1) text without C(:) or control characters, as HTTP basic auth carries it;
        anything else is refused before anything is sent.
    type: str
    default: admin
  password:
    description:
      - Password of O(username). The module logs in with it (basic auth) and uses the bearer token it gets.
      - With O(token) too, the token is used first and the password only when the token is refused (expired).
      - If not set, the value of the E(WA_API_PASSWORD) environment variable is used.
      - One of O(password) and O(token) is required. Never logged nor shown in any message.
      - Must be Latin-1 (ISO-8859-1) text without control characters, as HTTP basic auth carries it.
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
      - The deadline, in seconds, of each exchange with the API - connecting, sending the request and receiving
        the B(whole) answer - not of each read. A server that answers slowly, a byte at a time, is cut at it.
      - Each retry (see O(retries)) has its own. Exceptions - the answer of a backup, streamed to the file, has
        C(max(timeout, 300)) seconds; a restore has O(timeout) to connect and then
        O(wabiz.migration.wa_restore#module:restore_timeout) for the rest; a wait of
        M(wabiz.migration.wa_info) ends by its O(wabiz.migration.wa_info#module:wait_timeout), calls included.
      - From 0.1 to 86400; V(nan) and V(inf) are refused.
      - If not set, the value of the E(WA_API_TIMEOUT) environment variable is used, then V(30).
    type: float
    default: 30
  retries:
    description:
      - How many times a safe call (reads, login, backup, settings changes) is retried after a connection error,
        HTTP 502/503/504, or API error 1011 (not ready), 1015 (too many requests) or 1016 (overloaded).
      - A restore is never retried, except once after a new login when the API refused the token (it was not applied).
      - From 0 to 100.
    type: int
    default: 3
  retry_backoff:
    description:
      - Seconds to wait before the first retry; the wait doubles at each retry
        (0.5, 1, 2 with the defaults, at most O(retry_backoff) * (2 ** O(retries) - 1) in all).
      - From 0 to 3600.
    type: float
    default: 0.5
notes:
  - The connection options can be set once for many tasks with C(module_defaults) or with the
    E(WA_API_*) environment variables.
  - Every answer that is not streamed to a file (health, account, settings, login, errors, the answer to a
    restore) is read up to 8 MiB (8388608 bytes) and no further; a larger one is refused as not the API's, with
    a message that names the request. The API's answers are a few kilobytes.
  - Every option is checked before anything is sent - numbers finite and within their bounds, paths without a NUL
    character and not longer than the system allows (4095 bytes, 255 for a name) - with a message that names the
    option.
  - Messages never contain the password, the token, the backup password or the backup data.
requirements:
  - requests (Python library, on the host that runs the module)
"""
