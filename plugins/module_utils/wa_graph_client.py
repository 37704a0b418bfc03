# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one client of Meta's Graph API (WhatsApp Cloud API), beside the on-prem WAClient.

It is a WAClient with another address scheme (``graph_url/VERSION/ID``), a system user's bearer
token instead of a login, and the Graph error envelope
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`` turned into messages
that say what to do (190 token, 10/200-299 permissions, 100 parameter, 133016 registration
limit, 4/80007 rate limits). The transport (session, TLS, timeouts, retries of safe calls, the
classification of network failures) is WAClient's. ``register`` is never retried: every call
counts against a small weekly limit of the number.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.wabiz.migration.plugins.module_utils.wa_client import (
    WAApiError,
    WAClient,
    _content_type,
    safe_url,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_json_stream import JSONObjectBody, JSONText

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_API_VERSION = "v23.0"

# The register call can take up to 15 s (vendor); wait at least this long for its answer.
REGISTER_TIMEOUT = 60

# The documented fields of a phone number (Business Management API, PhoneNumber).
PHONE_NUMBER_FIELDS = (
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "code_verification_status",
    "platform_type",
    "throughput",
    "account_mode",
    "name_status",
    "messaging_limit_tier",
    "is_official_business_account",
)

PERMISSION_CODES = frozenset([10, *list(range(200, 300))])
RATE_LIMIT_CODES = frozenset([4, 80007])
TOKEN_CODES = frozenset([190, 102, 2500])
REGISTER_LIMIT_CODE = 133016

# The on-prem client's wording in WAClient's transport messages, and the Graph API's.
_REWORDING = (
    ("api_url", "graph_url"),
    ("the client's Webapp container runs", "the Graph API is reachable from this host"),
    ("the client's Webapp container is running", "the Graph API is reachable from this host"),
    ("the client's HTTPS port", "the Graph API's HTTPS port"),
    ("the client's certificate", "the Graph API's certificate"),
    ("a WhatsApp Business API client", "the Graph API"),
    ("the WhatsApp Business API client", "the Graph API"),
    ("in front of the client", "in front of the Graph API"),
    ("the client is running", "the Graph API is reachable"),
    ("The client may be busy or stuck: raise timeout, or check the client's logs.", "Raise timeout, or retry later."),
    ("The client may have stopped or restarted; check that it runs", "Check the network"),
    ("The client may be restarting; check that it runs and that", "Check that"),
    ("The client may be restarting; otherwise check that", "Check that"),
    ("instead of the client", "instead of the Graph API"),
    ("the client's", "the Graph API's"),
)

_VERSION = re.compile(r"^v\d+\.\d+$")
_ID = re.compile(r"^\d{1,30}$")


def reword(text):
    for old, new in _REWORDING:
        text = text.replace(old, new)
    return text


def success_of(body):
    """True when a Graph answer says ``success`` (a boolean, or the string "true" as one mirror shows)."""
    if not isinstance(body, dict):
        return False
    value = body.get("success")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


class _RegisterBody(JSONObjectBody):
    """``{"messaging_product", "pin", "backup": {"password", "data"}}`` with the data streamed.

    JSONObjectBody streams a flat object; the register body nests the data one level down, so
    the flat ``{"data": "..."}`` it builds gets the outer members before it and one more brace after.
    """

    def __init__(self, pin, password, data):
        JSONObjectBody.__init__(self, [("data", data)])
        head = '{"messaging_product": "whatsapp", "pin": %s, "backup": {"password": %s, ' % (
            json.dumps(pin),
            json.dumps(password),
        )
        first = self._parts[0]  # b'{"data": "'
        self._parts[0] = head.encode("ascii") + first[1:]
        self._parts[-1] = self._parts[-1] + b"}"
        self._length = sum(len(p) if isinstance(p, bytes) else p.json_length for p in self._parts)
        self._pieces = self._all_pieces()


class GraphClient(WAClient):
    """A session with the Graph API for one system user token."""

    def __init__(
        self,
        graph_url=DEFAULT_GRAPH_URL,
        api_version=DEFAULT_GRAPH_API_VERSION,
        access_token=None,
        validate_certs=True,
        ca_path=None,
        timeout=30,
        retries=3,
        retry_backoff=0.5,
        session=None,
    ):
        url = (graph_url or "").strip()
        if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
            raise WAApiError(
                "graph_url %r is not an http(s) URL: leave the default (%s) or write it like "
                "https://graph.example.com." % (safe_url(url), DEFAULT_GRAPH_URL),
                kind="config",
                sent=False,
            )
        if not access_token:
            raise WAApiError(
                "access_token is empty: give a system user access token with whatsapp_business_management "
                "(or set WA_GRAPH_ACCESS_TOKEN).",
                kind="config",
                sent=False,
            )
        if not _VERSION.match(api_version or ""):
            raise WAApiError(
                "graph_api_version %r is not a Graph API version: write it like %s."
                % (api_version, DEFAULT_GRAPH_API_VERSION),
                kind="config",
                sent=False,
            )
        WAClient.__init__(
            self,
            api_url=url,
            password=None,
            token=access_token,
            validate_certs=validate_certs,
            ca_path=ca_path,
            timeout=timeout,
            retries=retries,
            retry_backoff=retry_backoff,
            session=session,
        )
        self.api_version = api_version

    # ------------------------------------------------------------------ WAClient's hooks

    def _url(self, path):
        return "%s/%s%s" % (self.api_url, self.api_version, path)

    def login(self):
        raise WAApiError("The Graph API has no login: give access_token.", kind="config", sent=False)

    def _transport_error(self, exc, method, path, timeout):
        error = WAClient._transport_error(self, exc, method, path, timeout)
        error.message = reword(error.message)
        return error

    def _not_json(self, status, raw, ctype, method, path, reason=None):
        error = WAClient._not_json(self, status, raw, ctype, method, path, reason)
        error.message = reword(error.message)
        return error

    def _unexpected(self, status, body, method, path, expected):
        error = WAClient._unexpected(self, status, body, method, path, expected)
        error.message = reword(error.message)
        return error

    def _http_error(self, status, body, method, path, what):
        error = WAClient._http_error(self, status, body, method, path, what)
        error.message = reword(error.message)
        return error

    def _api_error(self, status, entry, method, path):
        """A WAApiError from the Graph envelope's ``error`` object."""
        if not isinstance(entry, dict):
            entry = {"message": entry}
        code = _int(entry.get("code"))
        subcode = _int(entry.get("error_subcode"))
        text = entry.get("error_user_msg") or entry.get("message") or entry.get("title")
        title = self._excerpt(text, 200) if text else None
        message = "%s %s failed: HTTP %s, Graph API error %s" % (
            method,
            path,
            status,
            code if code is not None else "?",
        )
        if subcode is not None:
            message += "/%s" % subcode
        if title:
            message += " (%s)" % title
        message += "."
        hint = self._hint(status, code, method, path, title)
        if hint:
            message += " " + hint
        trace = entry.get("fbtrace_id")
        if isinstance(trace, str) and re.match(r"^[A-Za-z0-9_\-]{1,64}$", trace):
            message += " (fbtrace_id %s, for Meta's support)" % trace
        error = WAApiError(
            self.scrub(message),
            status=status,
            code=code,
            title=title,
            details={"error_subcode": subcode, "type": entry.get("type"), "fbtrace_id": trace},
            kind=graph_kind(status, code),
            method=method,
            path=path,
            transient=status in (500, 502, 503, 504) or code in (1, 2),
        )
        return error

    def _hint(self, status, code, method, path, details):
        if code in TOKEN_CODES or (code is None and status == 401):
            return (
                "The access token is invalid or expired: give a valid system user token (access_token or "
                "WA_GRAPH_ACCESS_TOKEN)."
            )
        if code in PERMISSION_CODES or (code is None and status == 403):
            return (
                "The token lacks a permission: it needs whatsapp_business_management (and "
                "whatsapp_business_messaging), and its system user must have the WhatsApp Business Account assigned."
            )
        if code == REGISTER_LIMIT_CODE:
            return (
                "The number's registration limit is reached (about 10 register calls a week): wait before any new "
                "register call; do not retry now."
            )
        if code in RATE_LIMIT_CODES or status == 429:
            return "The Graph API is rate limiting this app or number: wait and retry later."
        if code == 100:
            if path.endswith("/register"):
                return (
                    "Check pin (6 digits), backup_password (the one given when the backup was made) and that the "
                    "backup is complete and of this number."
                )
            if "does not exist" in ("%s" % details):
                return "Check the ID (phone_number_id or waba_id): the token cannot see such an object."
            return "A parameter was refused: check the module's options."
        if status == 404:
            return "Check graph_url and graph_api_version."
        if status and status >= 500:
            return "The Graph API failed: retry later."
        return ""

    # ------------------------------------------------------------------ calls

    def phone_number(self, phone_number_id, fields=PHONE_NUMBER_FIELDS):
        """GET /ID?fields=... as a dict."""
        check_id(phone_number_id, "phone_number_id")
        path = "/%s?fields=%s" % (phone_number_id, ",".join(fields))
        status, body = self._request("GET", path)
        if not isinstance(body, dict) or "id" not in body:
            raise self._unexpected(status, body, "GET", path, "phone number object")
        return body

    def post(self, path, body=None):
        """A POST that is safe to retry (setting a webhook); True when the answer says success."""
        status, answer = self._request("POST", path, body=body if body is not None else {})
        if not success_of(answer):
            raise self._unexpected(status, answer, "POST", path, "success")
        return True

    def subscribed_apps(self, waba_id):
        check_id(waba_id, "waba_id")
        path = "/%s/subscribed_apps" % waba_id
        status, body = self._request("GET", path)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise self._unexpected(status, body, "GET", path, "data list")
        return [entry for entry in data if isinstance(entry, dict)]

    def register(self, phone_number_id, pin, backup_password, data, timeout=None):
        """POST /ID/register with the backup, sent once and never retried.

        ``data``: the backup text, a string or a source (wa_backup_file.BackupText).
        Returns ``{"status": "applied"}``, or ``{"status": "unconfirmed", "reason": ...}`` when the
        request was sent and no answer came (it may have been applied). Raises WAApiError otherwise.
        """
        check_id(phone_number_id, "phone_number_id")
        self._remember_secret(pin)
        self._remember_secret(backup_password)
        if isinstance(data, str):
            data = JSONText(data.strip())
        method, path = "POST", "/%s/register" % phone_number_id
        timeouts = (self.timeout, float(timeout) if timeout else max(self.timeout, REGISTER_TIMEOUT))
        try:
            response = self._send(method, path, body=_RegisterBody(pin, backup_password, data), timeout=timeouts)
        except WAApiError as exc:
            if exc.sent:
                return {"status": "unconfirmed", "reason": exc.message}
            raise
        payload, error = self._parse(response.status_code, response.content, _content_type(response), method, path)
        if error is not None:
            raise error
        if not success_of(payload):
            message = (
                "%s %s: HTTP %s without success: true. The registration may or may not have been applied: check the "
                "number with wa_cloud_info (platform_type) before any new register call."
                % (method, path, response.status_code)
            )
            raise WAApiError(
                self.scrub(message), status=response.status_code, kind="unexpected", method=method, path=path, sent=True
            )
        return {"status": "applied"}


def graph_kind(status, code):
    if code in TOKEN_CODES or (code is None and status == 401):
        return "auth"
    if code in PERMISSION_CODES or (code is None and status == 403):
        return "forbidden"
    if code == REGISTER_LIMIT_CODE:
        return "register_limit"
    if code in RATE_LIMIT_CODES or status == 429:
        return "rate_limit"
    return "api"


def check_id(value, name):
    if not isinstance(value, str) or not _ID.match(value):
        raise WAApiError(
            "%s %r is not a Graph ID (digits only): copy it from WhatsApp Manager or the API Setup page."
            % (name, value),
            kind="config",
            sent=False,
        )


def _int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
