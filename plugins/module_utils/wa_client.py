# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one client of the WhatsApp Business API (on-premises) used by every module.

All knowledge of the HTTP API lives here: the session (keep-alive), login and bearer token,
TLS verification, timeouts, retries with exponential backoff for safe calls only, and the
translation of every failure (transport, HTTP, the API's error envelope, unexpected answers)
into one exception type, :class:`WAApiError`, whose message says what went wrong and what to
do. No password, token, backup password or backup data ever appears in a message.

Backup data, as large as the client's data, is never held whole: the backup's answer is streamed
to a sink (a file) and the restore's body from a source (a file), see wa_json_stream. Every other
answer is read up to ``max_answer_size`` bytes, no more; every exchange (connecting, sending, the
whole answer) has one deadline (see wa_deadline), and a call given a ``timeout`` keeps to it in all,
its login and retries included.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import socket
import ssl
import time
import traceback

from ansible_collections.wabiz.migration.plugins.module_utils.wa_deadline import Deadline, DeadlineReached
from ansible_collections.wabiz.migration.plugins.module_utils.wa_json_stream import (
    CHUNK_SIZE,
    JSONObjectBody,
    JSONStreamError,
    JSONText,
    RequestBodyError,
    StringValueExtractor,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_url import (
    safe_url,
    url_user_info,
)

try:
    from http.client import IncompleteRead, RemoteDisconnected
except ImportError:  # pragma: no cover - Python 2 is not supported, keep imports harmless
    IncompleteRead = RemoteDisconnected = None

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from requests import exceptions as rexc

    HAS_REQUESTS = True
except ImportError:
    requests = None
    rexc = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

try:
    import urllib3
    from urllib3 import exceptions as u3exc
except ImportError:
    urllib3 = None
    u3exc = None


USER_AGENT = "wabiz.migration"

# Transient answers: the client is starting, throttling or overloaded, or a proxy in front of
# it could not reach it. Only safe calls are retried on them.
RETRY_STATUSES = frozenset([502, 503, 504])
RETRY_CODES = frozenset([1011, 1015, 1016])

# Minimum wait (seconds) for the answer to a restore: importing may take longer than other calls.
RESTORE_TIMEOUT = 300

# Deadline (seconds) of the backup's answer, streamed to the file: a large export takes longer than a call.
EXPORT_TIMEOUT = 300

# The most that is read of an answer that is not streamed to a file (health, settings, errors...):
# the API's answers are a few kilobytes; anything larger is not the API's, and is not read on.
MAX_ANSWER_SIZE = 8 * 1024 * 1024

# Statuses of a successful restore answer; anything else is an error.
OK_STATUSES = frozenset([200, 201, 202, 204])

# The business profile (address, description, email, vertical, websites): GET reads it, POST sets it.
BUSINESS_PROFILE_PATH = "/v1/settings/business/profile"

# Where the backup data is in the answer of POST /v1/settings/backup.
BACKUP_DATA_PATH = ("settings", "data")

REDACTED = "********"

# Long runs of token-like characters (JWTs, base64 backup data) are cut out of every excerpt of
# an answer we quote, whether or not we know them as secrets.
_TOKENISH = re.compile(r"[A-Za-z0-9+/=_.\-]{32,}")
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"\s+")

_API_TITLES = {
    1000: "Generic error",
    1004: "Resource already exists",
    1005: "Access denied",
    1006: "Resource not found",
    1008: "Required parameter is missing",
    1009: "Parameter value is not valid",
    1011: "Service not ready",
    1013: "User is not valid",
    1014: "Internal error",
    1015: "Too many requests",
    1016: "System overloaded",
    1017: "Not primary master",
}


class WAApiError(Exception):
    """Every failure of the client.

    ``status`` is the HTTP status (None when there was no answer), ``code``/``title``/``details``
    come from the API's error envelope when there is one. ``kind`` says which family of failure
    it was (``config``, ``connection``, ``dns``, ``tls``, ``timeout``, ``closed``, ``http``,
    ``api``, ``auth``, ``forbidden``, ``not_json``, ``unexpected``, ``source``: the request's
    streamed data could not be read to its end), ``transient`` whether it may
    go away by itself (the client is starting or restarting), ``sent`` whether the request may
    have reached the API (None when unknown).
    """

    def __init__(
        self,
        message,
        status=None,
        code=None,
        title=None,
        details=None,
        kind="api",
        method=None,
        path=None,
        transient=False,
        sent=None,
    ):
        super(WAApiError, self).__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.title = title
        self.details = details
        self.kind = kind
        self.method = method
        self.path = path
        self.transient = transient
        self.sent = sent
        self.retryable = False
        self.restore_refused = False

    def __str__(self):
        return self.message

    def to_dict(self):
        return {
            "status": self.status,
            "code": self.code,
            "title": self.title,
            "details": self.details,
            "kind": self.kind,
            "request": "%s %s" % (self.method, self.path) if self.method else None,
        }


def _exception_chain(exc):
    """Every exception reachable from ``exc`` (args, reason, cause, context), without loops."""
    seen = []
    todo = [exc]
    while todo:
        cur = todo.pop(0)
        if cur is None or not isinstance(cur, BaseException) or any(cur is s for s in seen):
            continue
        seen.append(cur)
        todo.extend(a for a in getattr(cur, "args", ()) if isinstance(a, BaseException))
        todo.append(getattr(cur, "reason", None))
        todo.append(cur.__cause__)
        todo.append(cur.__context__)
    return seen


def _has(chain, *types):
    types = tuple(t for t in types if isinstance(t, type))
    return bool(types) and any(isinstance(e, types) for e in chain)


def _u3(name):
    return getattr(u3exc, name, None) if u3exc is not None else None


USER_INFO_MESSAGE = (
    "api_url holds user information (a name or password before '@'), which is not repeated here: the API does "
    "not take credentials in the URL (every call would be refused with HTTP 401). Write api_url without them, "
    "like https://wa.example.com:443, and give them in username and password (or WA_API_USERNAME and "
    "WA_API_PASSWORD). Nothing was sent."
)


class WAClient(object):
    """A session with one WhatsApp Business API client (the Webapp's REST API)."""

    def __init__(
        self,
        api_url,
        username="admin",
        password=None,
        token=None,
        validate_certs=True,
        ca_path=None,
        timeout=30,
        retries=3,
        retry_backoff=0.5,
        session=None,
        max_answer_size=MAX_ANSWER_SIZE,
    ):
        if not HAS_REQUESTS and session is None:
            raise WAApiError(
                "The Python library 'requests' is needed on the host that runs this module: "
                "install it (pip install requests, or the python3-requests package).",
                kind="config",
                sent=False,
            )
        url = (api_url or "").strip()
        if not url:
            raise WAApiError(
                "api_url is empty: set it (or WA_API_URL) to the client's address, e.g. https://wa.example.com:443.",
                kind="config",
                sent=False,
            )
        if url_user_info(url) is not None:
            raise WAApiError(USER_INFO_MESSAGE, kind="config", sent=False)
        if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
            raise WAApiError(
                "api_url %r is not an http(s) URL: write it like https://wa.example.com:443." % safe_url(url),
                kind="config",
                sent=False,
            )
        self.api_url = url.rstrip("/")
        self.display_url = safe_url(self.api_url)
        self.username = username or "admin"
        self.password = password
        self.token = token
        self.validate_certs = bool(validate_certs)
        self.ca_path = ca_path
        self.timeout = float(timeout) if timeout else 30.0
        self.retries = max(0, int(retries or 0))
        self.retry_backoff = max(0.0, float(retry_backoff or 0))
        self.max_answer_size = int(max_answer_size)
        # The deadline of the call under way when it was given a timeout (see _request), else None.
        self._budget = None
        self.meta = {}
        self._secrets = set()
        self._remember_secret(password)
        self._remember_secret(token)
        self._sleep = time.sleep

        if ca_path and self.validate_certs:
            if not os.path.exists(ca_path):
                raise WAApiError(
                    "ca_path %s does not exist: give the path of the CA certificate (PEM) that signed "
                    "the client's certificate." % ca_path,
                    kind="config",
                    sent=False,
                )
            verify = ca_path
        else:
            verify = self.validate_certs
        if session is None:
            session = requests.Session()
        # Given on every request too: requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override session.verify.
        self._verify = verify
        session.verify = verify
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self._session = session
        if not self.validate_certs and urllib3 is not None:
            # WAModule warns once; urllib3's warning on every request would only add noise.
            urllib3.disable_warnings(u3exc.InsecureRequestWarning)

    # ------------------------------------------------------------------ secrets and messages

    def _remember_secret(self, value):
        if isinstance(value, str) and value:
            self._secrets.add(value)

    def scrub(self, text):
        """``text`` with every secret this client knows replaced by ``********``."""
        if text is None:
            return None
        if not isinstance(text, str):
            text = str(text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def _excerpt(self, body, limit=160):
        """A short, readable, secret-free excerpt of an answer's body."""
        if isinstance(body, bytes):
            text = body[:4096].decode("utf-8", "replace")
        else:
            text = str(body or "")[:4096]
        text = _TAGS.sub(" ", text)
        text = self.scrub(text)
        text = _TOKENISH.sub("[...]", text)
        text = "".join(c if c.isprintable() else " " for c in text)
        text = _SPACES.sub(" ", text).strip()
        if len(text) > limit:
            text = text[: limit - 3].rstrip() + "..."
        return text

    def close(self):
        self._session.close()

    # ------------------------------------------------------------------ transport

    def _url(self, path):
        return self.api_url + path

    def _classify_transport(self, exc, method, path, timeout):
        """Turn an exception of requests into (WAApiError, retryable)."""
        chain = _exception_chain(exc)
        text = " ".join(str(e) for e in chain)
        if isinstance(timeout, tuple):
            connect_timeout, read_timeout = timeout
        else:
            connect_timeout = read_timeout = timeout
        url = self.display_url
        what = "%s %s" % (method, path)
        https = self.api_url.lower().startswith("https://")

        def err(message, kind, sent, transient):
            return WAApiError(self.scrub(message), kind=kind, method=method, path=path, transient=transient, sent=sent)

        if rexc is not None and isinstance(exc, (rexc.InvalidURL, rexc.MissingSchema, rexc.InvalidSchema)):
            return err(
                "api_url %s is not a valid URL: %s." % (url, exc.__class__.__name__), "config", False, False
            ), False

        if (rexc is not None and isinstance(exc, rexc.SSLError)) or _has(chain, ssl.SSLError):
            low = text.lower()
            if "certificate_verify_failed" in low or "certificate verify failed" in low:
                if "hostname mismatch" in low or "doesn't match" in low or "not valid for" in low:
                    reason = "its certificate is not issued for this host name"
                    advice = (
                        "Use in api_url the host name the certificate was issued for (or reissue the certificate "
                        "with this name); validate_certs: false would hide the problem and is insecure."
                    )
                else:
                    m = re.search(r"certificate verify failed: ([^(\)\]'\"]+)", text, re.IGNORECASE)
                    reason = (m.group(1).strip() if m else "unknown issuer") or "unknown issuer"
                    advice = (
                        "If the client uses a self-signed or private CA certificate (the default), set ca_path to "
                        "the CA certificate (PEM) that signed it; validate_certs: false also works but is insecure."
                    )
                return err(
                    "TLS certificate verification failed for %s (%s). %s" % (url, reason, advice),
                    "tls",
                    False,
                    False,
                ), False
            if any(
                s in low
                for s in ("wrong version number", "wrong_version_number", "record layer failure", "http request")
            ):
                return err(
                    "TLS handshake with %s failed: the server does not speak TLS on this port. If it serves plain "
                    "HTTP use an http:// api_url, otherwise check the port in api_url." % url,
                    "tls",
                    False,
                    False,
                ), False
            if "eof" in low or "reset" in low:
                return err(
                    "TLS handshake with %s was interrupted (the server closed the connection). The client may be "
                    "restarting; otherwise check that api_url names the client's HTTPS port." % url,
                    "tls",
                    False,
                    True,
                ), True
            m = re.search(r"\[SSL[^\]]*\][^(\]'\"]*", text)
            return err(
                "TLS handshake with %s failed (%s). Check api_url, ca_path and the client's certificate."
                % (url, (m.group(0).strip() if m else exc.__class__.__name__)),
                "tls",
                False,
                False,
            ), False

        if rexc is not None and isinstance(exc, rexc.ConnectTimeout):
            return err(
                "No connection to %s within %gs (%s). Check api_url (host and port), that the host is reachable "
                "(firewall, network) and that the client's Webapp container runs; or raise timeout."
                % (url, connect_timeout, what),
                "timeout",
                False,
                True,
            ), True

        if rexc is not None and isinstance(exc, rexc.ReadTimeout):
            return err(
                "%s to %s got no answer within %gs. The client may be busy or stuck: raise timeout, "
                "or check the client's logs." % (what, url, read_timeout),
                "timeout",
                True,
                True,
            ), True

        if rexc is not None and isinstance(exc, rexc.ProxyError):
            return err(
                "The HTTP proxy refused or failed to reach %s (%s): check the proxy settings (HTTPS_PROXY, "
                "NO_PROXY) of the host that runs the module." % (url, what),
                "connection",
                False,
                False,
            ), False

        name_resolution = _u3("NameResolutionError")
        new_connection = _u3("NewConnectionError")
        if _has(chain, name_resolution, socket.gaierror) or "name or service not known" in text.lower():
            host = re.sub(r"^https?://([^/]+).*$", r"\1", url, flags=re.IGNORECASE)
            return err(
                "Cannot resolve the host in api_url %s (%s): check the host name in api_url and the DNS of "
                "the host that runs the module." % (url, host),
                "dns",
                False,
                True,
            ), False
        if _has(chain, ConnectionRefusedError) or "connection refused" in text.lower():
            return err(
                "Connection refused by %s (%s): nothing listens there. Check api_url (host and port) and that "
                "the client's Webapp container is running." % (url, what),
                "connection",
                False,
                True,
            ), True
        if _has(chain, new_connection) or (
            rexc is not None and isinstance(exc, rexc.ConnectionError) and _has(chain, _u3("MaxRetryError"))
        ):
            m = re.search(r"\[Errno [^\]]+\] ?[^'\")]*", text)
            return err(
                "Cannot connect to %s (%s). Check api_url (host and port), the network, and that the client's "
                "Webapp container is running." % (url, (m.group(0).strip() if m else what)),
                "connection",
                False,
                True,
            ), True

        closed = rexc is not None and isinstance(exc, (rexc.ConnectionError, rexc.ChunkedEncodingError))
        closed = closed or _has(chain, _u3("ProtocolError"), RemoteDisconnected, IncompleteRead, ConnectionError)
        if closed:
            cut = (rexc is not None and isinstance(exc, rexc.ChunkedEncodingError)) or _has(
                chain, IncompleteRead, _u3("IncompleteRead")
            )
            if cut:
                message = (
                    "The answer of %s to %s was cut off (the connection closed before the whole answer arrived). "
                    "The client may have stopped or restarted; check that it runs and try again." % (url, what)
                )
            else:
                message = (
                    "%s closed the connection without answering %s. The client may be restarting; check that it "
                    "runs and that api_url names the client's API port." % (url, what)
                )
                if not https:
                    message += (
                        " api_url uses plain http://: if this port serves HTTPS (the client's default), use https://."
                    )
            return err(message, "closed", True, True), True

        return err(
            "%s to %s failed: %s. Check api_url and that the client is running." % (what, url, exc.__class__.__name__),
            "connection",
            True,
            False,
        ), False

    def _transport_error(self, exc, method, path, timeout):
        """A WAApiError (with ``retryable`` set) for an exception of requests, urllib3 or the socket."""
        error, retryable = self._classify_transport(exc, method, path, timeout)
        error.retryable = retryable
        return error

    def _deadline_error(self, method, path, seconds, sent):
        """The WAApiError of an exchange that did not end within its deadline."""
        message = (
            "%s %s to %s did not complete within %gs (connecting, sending and the whole answer): the client is "
            "stuck or far too slow, or something else answers at this address. Check the client and api_url, "
            "or raise timeout." % (method, path, self.display_url, seconds)
        )
        error = WAApiError(self.scrub(message), kind="timeout", method=method, path=path, transient=True, sent=sent)
        error.retryable = True
        return error

    def _too_large(self, method, path, size_text):
        """The WAApiError of an answer above max_answer_size; ``size_text`` says how it was found out."""
        message = (
            "%s %s: the answer from %s is %s %d bytes, the most read of an answer that is not a backup: it is "
            "not the API's answer, and was not read further. A proxy or another service may answer at api_url: "
            "check it." % (method, path, self.display_url, size_text, self.max_answer_size)
        )
        return WAApiError(self.scrub(message), kind="too_large", method=method, path=path, sent=True)

    def _read_whole(self, response, method, path):
        """Read an answer's body into ``response.content``, refusing one above max_answer_size."""
        limit = self.max_answer_size
        announced = (response.headers.get("Content-Length") or "").strip()
        if announced.isdigit() and int(announced) > limit:
            response.close()
            raise self._too_large(method, path, "announced as %s bytes, more than" % announced)
        body = bytearray()
        for chunk in response.iter_content(CHUNK_SIZE):
            body += chunk
            if len(body) > limit:
                response.close()
                raise self._too_large(method, path, "larger than")
        response._content = bytes(body)
        response._content_consumed = True

    def _send(self, method, path, body=None, auth=True, basic=False, timeout=None, stream=False):
        """One HTTP exchange; raises WAApiError (with ``retryable`` set) on transport failures.

        ``body`` is a JSON value, or a JSONObjectBody (streamed). With ``stream`` a successful
        answer's body is left unread (see _stream_answer); any other is read here, up to
        max_answer_size. ``timeout``: seconds for connecting and the whole answer, or (connect,
        answer); either way one deadline, no later than the budget of the call under way.
        """
        timeout = timeout or self.timeout
        connect_timeout, read_timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        seconds = connect_timeout + read_timeout if isinstance(timeout, tuple) else timeout
        deadline = Deadline(seconds, outer=self._budget)
        allowed = round(deadline.remaining(), 3)  # for the message: the call's budget may leave less
        headers = {}
        kwargs = {
            # Each socket operation also within what remains (the bound where the deadline cannot be armed).
            "timeout": (deadline.cap(connect_timeout), deadline.cap(read_timeout)),
            "headers": headers,
            "allow_redirects": False,
            "verify": self._verify,
        }
        if basic:
            kwargs["auth"] = (self.username, self.password or "")
        elif auth:
            headers["Authorization"] = "Bearer %s" % self.token
        if body is not None:
            kwargs["data"] = body if isinstance(body, JSONObjectBody) else json.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            with deadline.guard():
                response = self._session.request(method, self._url(path), stream=True, **kwargs)
                if not (stream and _success(response)):
                    # Read the whole body here, so that a connection cut mid-answer is a transport error.
                    self._read_whole(response, method, path)
            return response
        except DeadlineReached:
            error = self._deadline_error(method, path, allowed, sent=True)
        except WAApiError:
            raise
        except RequestBodyError as exc:
            # The body was cut short before its end: the client got an incomplete request.
            error = WAApiError(
                self.scrub(
                    "%s %s was not sent whole: %s. The request was cut short, so the client cannot have acted on "
                    "it." % (method, path, str(exc).rstrip("."))
                ),
                kind="source",
                method=method,
                path=path,
                sent=False,
            )
        except Exception as exc:  # requests, urllib3 and socket errors alike
            error = self._transport_error(exc, method, path, timeout)
        raise error

    def _stream_answer(self, response, extractor, method, path, timeout):
        """Feed a successful answer's body to ``extractor`` as it arrives; returns the rest of the document.

        The whole body must arrive within max(timeout, EXPORT_TIMEOUT) seconds (and the call's budget).
        """
        deadline = Deadline(max(timeout, EXPORT_TIMEOUT), outer=self._budget)
        allowed = round(deadline.remaining(), 3)
        try:
            with deadline.guard():
                chunks = response.iter_content(CHUNK_SIZE)
                while True:
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        break
                    except Exception as exc:  # the connection, as in _send
                        raise self._transport_error(exc, method, path, timeout) from None
                    extractor.feed(chunk)
                return extractor.close()
        except DeadlineReached:
            raise self._deadline_error(method, path, allowed, sent=True) from None
        except JSONStreamError as exc:
            error = self._not_json(response.status_code, extractor.kept(), _content_type(response), method, path, exc)
            raise error from None
        finally:
            response.close()

    # ------------------------------------------------------------------ answers

    def _not_json(self, status, raw, ctype, method, path, reason=None):
        """The WAApiError of an answer that is not the API's JSON (``reason``: what is wrong with it)."""
        what = "%s %s" % (method, path)
        excerpt = self._excerpt(raw)
        if "plain http request was sent to https port" in excerpt.lower():
            message = (
                "%s: the server at %s says a plain HTTP request was sent to its HTTPS port: use https:// in "
                "api_url." % (what, self.display_url)
            )
        else:
            message = (
                "%s: HTTP %s from %s answered %s, not the API's JSON%s: a proxy or another service answered "
                "instead of the WhatsApp Business API client? Check api_url (host, port, path) and any proxy "
                "in front of the client. The answer begins: %r"
                % (
                    what,
                    status,
                    self.display_url,
                    ctype or "without a content type",
                    " (%s)" % reason if reason else "",
                    excerpt,
                )
            )
        return WAApiError(
            self.scrub(message),
            status=status,
            kind="not_json",
            method=method,
            path=path,
            transient=status in RETRY_STATUSES,
        )

    def _parse(self, status, raw, ctype, method, path):
        """(body, error): body is the decoded JSON (or ``_EMPTY`` for no body), error a WAApiError or None.

        ``raw`` is the answer's body: bytes as received, or the text kept by a StringValueExtractor.
        """
        raw = raw or b""
        if not raw.strip():
            if 200 <= status < 300:
                return _EMPTY, None
            return None, self._http_error(status, None, method, path, "an empty answer")
        try:
            body = json.loads(raw if isinstance(raw, str) else raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None, self._not_json(status, raw, ctype, method, path)
        if isinstance(body, dict):
            meta = body.get("meta")
            if isinstance(meta, dict):
                self.meta = dict(
                    (k, v) for k, v in meta.items() if k in ("api_status", "version") and isinstance(v, str)
                )
            errors = body.get("errors")
            if isinstance(errors, list) and errors:
                return body, self._api_error(status, errors[0], method, path)
            if isinstance(body.get("error"), dict):
                return body, self._api_error(status, body["error"], method, path)
        if 200 <= status < 300:
            return body, None
        return body, self._http_error(status, body, method, path, "a JSON answer without the API's error envelope")

    def _hint(self, status, code, method, path, details):
        low = ("%s" % (details or "")).lower()
        admin_only = path in ("/v1/settings/backup", "/v1/settings/restore")
        if path == "/v1/users/login":
            if status == 401 or code in (1005, 1013):
                return "Check username and password (the API user's, not the backup password)."
            if "new_password" in low or ("change" in low and "password" in low):
                return (
                    "The account still has its first-login password: log in once with new_password (or start "
                    "the client with a set admin password) and use that password."
                )
        if status == 401:
            if self.password:
                return "Check username and password: the API refused them."
            return (
                "The token was refused (it may have expired after 7 days or been logged out): give a new token, "
                "or password so that the module can log in."
            )
        if status == 403 or code == 1005:
            if admin_only:
                return "Backup and restore need the admin user: log in as admin (username is %r)." % self.username
            return "The user %r is not allowed to do this: use the admin user." % self.username
        if code == 1011 or status == 503:
            return (
                "The client is not ready (starting, or upgrading its database): wait (wa_info wait_for: ready) "
                "and retry."
            )
        if code in (1015, 1016) or status == 429:
            return "The client is throttling or overloaded: retry later, or raise retries/retry_backoff."
        if code == 1017:
            return "api_url points at a secondary master: point it at the primary master."
        if path == "/v1/settings/restore":
            if "password" in low or "decrypt" in low or "crypt" in low or code == 1009 or status == 400:
                return (
                    "Check backup_password (it must be the one given when the backup was made) and that the "
                    "backup data is complete and unchanged."
                )
            if "registered" in low:
                return "The target must be running and not registered."
        if path == "/v1/settings/backup" and ("regist" in low or code == 1006):
            return "A backup needs a registered, running client."
        if status == 404:
            return "This API version may not have this endpoint, or api_url has a wrong path."
        if status and status >= 500:
            return "The client failed: check its logs, then retry."
        return ""

    def _api_error(self, status, entry, method, path):
        if not isinstance(entry, dict):
            entry = {"details": entry}
        code = entry.get("code")
        if isinstance(code, str) and code.strip().isdigit():
            code = int(code.strip())
        if isinstance(code, bool) or not isinstance(code, int):
            code = None
        title = entry.get("title") or entry.get("message") or _API_TITLES.get(code)
        details = entry.get("details") or entry.get("error_data") or None
        title = self._excerpt(title, 120) if title is not None else None
        details = self._excerpt(details if isinstance(details, str) else json.dumps(details), 300) if details else None
        message = "%s %s failed: HTTP %s" % (method, path, status)
        if code is not None:
            message += ", API error %s" % code
            if title:
                message += " (%s)" % title
        elif title:
            message += ", API error (%s)" % title
        if details:
            message += ": %s" % details
        message += "."
        hint = self._hint(status, code, method, path, " ".join(x for x in (title, details) if x))
        if hint:
            message += " " + hint
        kind = "auth" if status == 401 else "forbidden" if status == 403 or code == 1005 else "api"
        transient = status in RETRY_STATUSES or code in RETRY_CODES
        return WAApiError(
            self.scrub(message),
            status=status,
            code=code,
            title=title,
            details=details,
            kind=kind,
            method=method,
            path=path,
            transient=transient,
        )

    def _http_error(self, status, body, method, path, what):
        excerpt = self._excerpt(json.dumps(body)) if body is not None else ""
        message = "%s %s failed: HTTP %s from %s with %s" % (method, path, status, self.display_url, what)
        if excerpt:
            message += " (%r)" % excerpt
        message += "."
        hint = self._hint(status, None, method, path, excerpt)
        if hint:
            message += " " + hint
        if status not in (401, 403, 404) and status < 500 and not hint:
            message += " A proxy or another service may be answering instead of the client: check api_url."
        kind = "auth" if status == 401 else "forbidden" if status == 403 else "http"
        return WAApiError(
            self.scrub(message),
            status=status,
            kind=kind,
            method=method,
            path=path,
            transient=status in RETRY_STATUSES,
        )

    def _unexpected(self, status, body, method, path, expected):
        if isinstance(body, dict):
            seen = "keys: %s" % (", ".join(sorted(str(k) for k in body)) or "none")
        elif body is _EMPTY:
            seen = "an empty answer"
        else:
            seen = "a JSON %s" % type(body).__name__
        message = (
            "%s %s: HTTP %s but the answer has no %s (%s). Is api_url pointing at a WhatsApp Business API client, "
            "and is its version supported?" % (method, path, status, expected, seen)
        )
        return WAApiError(self.scrub(message), status=status, kind="unexpected", method=method, path=path)

    # ------------------------------------------------------------------ the request loop

    def _backoff(self, attempt):
        return self.retry_backoff * (2**attempt)

    def _request(self, method, path, body=None, auth=True, basic=False, safe=True, timeout=None, extractor=None):
        """Send a request; returns (status, body). Safe calls are retried; 401 leads to one re-login.

        ``extractor``: a function that returns a new StringValueExtractor for each attempt; a
        successful answer is streamed through it, and body is what it kept of the document.
        ``timeout``: when given, the whole call (its login, attempts and waits between them) ends
        within it; otherwise each attempt has ``self.timeout``.
        """
        outer = self._budget
        if timeout:
            self._budget = Deadline(timeout, outer=outer)
        try:
            return self._attempts(method, path, body, auth, basic, safe, timeout, extractor)
        finally:
            self._budget = outer

    def _retry_wait(self, safe, retry, attempt):
        """The wait before another attempt, or None when there is none (not safe, no retry left, no time left)."""
        if not (safe and retry and attempt < self.retries):
            return None
        wait = self._backoff(attempt)
        if self._budget is not None and wait >= self._budget.remaining():
            return None
        return wait

    def _attempts(self, method, path, body, auth, basic, safe, timeout, extractor):
        attempt = 0
        relogged = False
        while True:
            if auth and not basic and not self.token:
                self.login()
            try:
                response = self._send(
                    method, path, body=body, auth=auth, basic=basic, timeout=timeout, stream=extractor is not None
                )
                if extractor is not None and _success(response):
                    raw = self._stream_answer(response, extractor(), method, path, timeout or self.timeout)
                else:
                    raw = response.content
            except WAApiError as exc:
                wait = self._retry_wait(safe, exc.retryable, attempt)
                if wait is None:
                    raise
                self._sleep(wait)
                attempt += 1
                continue
            payload, error = self._parse(response.status_code, raw, _content_type(response), method, path)
            if error is None:
                return response.status_code, payload
            if error.status == 401 and auth and not basic and not relogged and self.password:
                # The token expired or was dropped (a restart after a restore): log in once more.
                relogged = True
                self.token = None
                continue
            wait = self._retry_wait(safe, error.transient, attempt)
            if wait is None:
                raise error
            self._sleep(wait)
            attempt += 1

    # ------------------------------------------------------------------ API calls

    def login(self):
        """Log in with basic auth and keep the bearer token; returns the token."""
        if not self.password:
            raise WAApiError(
                "No password to log in as %r at %s: give password (or WA_API_PASSWORD), or a valid token."
                % (self.username, self.display_url),
                kind="config",
                method="POST",
                path="/v1/users/login",
                sent=False,
            )
        status, body = self._request("POST", "/v1/users/login", body={}, auth=False, basic=True)
        token = None
        if isinstance(body, dict):
            users = body.get("users")
            if isinstance(users, list) and users and isinstance(users[0], dict):
                token = users[0].get("token")
        if not isinstance(token, str) or not token:
            raise self._unexpected(status, body, "POST", "/v1/users/login", "users[0].token")
        self.token = token
        self._remember_secret(token)
        return token

    def get(self, path, timeout=None):
        return self._request("GET", path, timeout=timeout)[1]

    def health(self, timeout=None):
        """The ``health`` object of GET /v1/health (see wa_health.summarize)."""
        status, body = self._request("GET", "/v1/health", timeout=timeout)
        if not isinstance(body, dict) or not isinstance(body.get("health"), dict):
            raise self._unexpected(status, body, "GET", "/v1/health", "health object")
        return body["health"]

    def account(self):
        """GET /v1/account without its meta, or None: not a documented call, most clients answer 404."""
        body = self.optional_get("/v1/account")
        return None if body is None else dict((k, v) for k, v in body.items() if k != "meta")

    def optional_get(self, path):
        """GET ``path``, or None when this client has no such call (404, 405, 501 or API error 1006)."""
        try:
            _status, body = self._request("GET", path)
        except WAApiError as exc:
            if exc.status in (404, 405, 501) or exc.code == 1006:
                return None
            raise
        return body if isinstance(body, dict) else None

    def support(self):
        """The ``support`` object of GET /v1/support (one entry per node), or None when unavailable."""
        body = self.optional_get("/v1/support")
        support = body.get("support") if body else None
        return support if isinstance(support, dict) else None

    def account_shards(self):
        """The shard count of a registered client (GET /v1/account/shards), or None when it cannot be read.

        Undocumented on an unregistered client: any refusal then means "unknown".
        """
        try:
            body = self.optional_get("/v1/account/shards")
        except WAApiError as exc:
            if exc.kind in ("api", "http"):
                return None
            raise
        account = body.get("account") if body else None
        if isinstance(account, list) and account:
            account = account[0]
        shards = account.get("shards") if isinstance(account, dict) else None
        if isinstance(shards, str) and shards.strip().isdigit():
            shards = int(shards)
        return shards if isinstance(shards, int) and not isinstance(shards, bool) and shards > 0 else None

    def backup(self, password, sink):
        """POST /v1/settings/backup; the encrypted data string goes to ``sink`` as it arrives.

        ``sink`` gets the data as UTF-8 bytes, piece by piece (``sink.write(bytes)``); it is
        emptied (``sink.reset()``) before each attempt, as the export is retried like other safe
        calls, and tells how many bytes it holds (``sink.size``). See wa_backup_file.DataDigest.
        """
        self._remember_secret(password)
        method, path = "POST", "/v1/settings/backup"

        def extractor():
            sink.reset()
            return StringValueExtractor(BACKUP_DATA_PATH, sink.write)

        status, body = self._request(method, path, body={"password": password}, extractor=extractor)
        settings = body.get("settings") if isinstance(body, dict) else None
        # The extractor left "" in the data's place: any other value is not a string it streamed.
        if not isinstance(settings, dict) or settings.get("data") != "" or not sink.size:
            raise self._unexpected(status, body, method, path, "settings.data string")

    def restore(self, password, data, timeout=None):
        """POST /v1/settings/restore, sent at most once: never retried, never sent again after a re-login.

        ``data`` is the backup data: a string, or a source that streams it (``json_length`` and
        ``json_chunks()``, e.g. wa_backup_file.BackupText), sent with a Content-Length.

        Returns ``{"status": "applied", "http_status": N}`` on a 2xx answer, or
        ``{"status": "unconfirmed", "http_status": N or None, "reason": "..."}`` when the request
        was sent and anything but an answer or a clean refusal came back: the connection closed
        or timed out, the answer was cut, a 5xx without the API's error envelope (a proxy, or the
        client going down), a 401, or a success answer that cannot be read. The import may have
        been applied then: the client shuts down after an import, which is how such answers
        happen. Raises WAApiError when nothing was sent, or on a clean refusal: an answer with
        the API's error envelope that says why (then ``restore_refused`` is set on it).

        ``timeout`` is the wait for the answer (the import may take longer than other calls);
        default ``max(timeout, RESTORE_TIMEOUT)``. Connecting still uses the client's timeout.
        """
        self._remember_secret(password)
        if isinstance(data, str):
            self._remember_secret(data)
            data = JSONText(data)
        # The caller has just made a safe call (wa_restore reads the target's health), so the token
        # is fresh: a 401 to the import itself leaves its outcome unknown and is not retried.
        if not self.token:
            self.login()
        # A fresh connection: a reset on it is unambiguous (not a stale keep-alive socket).
        self._session.close()
        method, path = "POST", "/v1/settings/restore"
        timeouts = (self.timeout, float(timeout) if timeout else max(self.timeout, RESTORE_TIMEOUT))
        body = JSONObjectBody([("password", password), ("data", data)])
        try:
            response = self._send(method, path, body=body, timeout=timeouts)
            raw = response.content
        except WAApiError as exc:
            # Sent, or perhaps sent (a cut answer, a timeout): only "not sent" is an outcome we know.
            if exc.sent is False:
                raise
            return _unconfirmed(None, exc.message)
        payload, error = self._parse(response.status_code, raw, _content_type(response), method, path)
        if error is not None:
            if error.status != 401 and _has_envelope(payload):
                error.restore_refused = True
                error.message = self.scrub(
                    "%s The target refused the import: it was not applied." % error.message.rstrip()
                )
                raise error
            return _unconfirmed(response.status_code, error.message)
        if response.status_code not in OK_STATUSES:
            return _unconfirmed(response.status_code, "HTTP %s is not a success status" % response.status_code)
        if payload is _EMPTY or payload is None or isinstance(payload, dict):
            return {"status": "applied", "http_status": response.status_code}
        return _unconfirmed(
            response.status_code,
            "HTTP %s with an unexpected answer (a JSON %s instead of null or {})"
            % (response.status_code, type(payload).__name__),
        )

    def get_application_settings(self):
        status, body = self._request("GET", "/v1/settings/application")
        settings = body.get("settings") if isinstance(body, dict) else None
        app = settings.get("application") if isinstance(settings, dict) else None
        if not isinstance(app, dict):
            raise self._unexpected(status, body, "GET", "/v1/settings/application", "settings.application object")
        return app

    def patch_application_settings(self, settings):
        self._request("PATCH", "/v1/settings/application", body=settings)
        return True

    def get_profile_about(self):
        status, body = self._request("GET", "/v1/settings/profile/about")
        node = body
        for key in ("settings", "profile", "about"):
            node = node.get(key) if isinstance(node, dict) else None
        text = node.get("text") if isinstance(node, dict) else None
        if node is None or (text is not None and not isinstance(text, str)):
            raise self._unexpected(status, body, "GET", "/v1/settings/profile/about", "settings.profile.about object")
        return text

    def set_profile_about(self, text):
        self._request("PATCH", "/v1/settings/profile/about", body={"text": text})
        return True

    def get_business_profile(self):
        """``settings.business.profile`` of GET /v1/settings/business/profile (admin): address, email, websites..."""
        status, body = self._request("GET", BUSINESS_PROFILE_PATH)
        node = body
        for key in ("settings", "business", "profile"):
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise self._unexpected(status, body, "GET", BUSINESS_PROFILE_PATH, "settings.business.profile object")
        return node

    def set_business_profile(self, profile):
        """POST /v1/settings/business/profile with ``profile``'s fields (send the whole profile: the vendor
        documents the fields of the POST, not whether the ones left out are kept)."""
        self._request("POST", BUSINESS_PROFILE_PATH, body=profile)
        return True


def _unconfirmed(http_status, reason):
    return {"status": "unconfirmed", "http_status": http_status, "reason": reason}


def _has_envelope(payload):
    """Whether an answer carries the API's error envelope (an ``errors`` list, or an ``error`` object)."""
    if not isinstance(payload, dict):
        return False
    errors = payload.get("errors")
    return bool(isinstance(errors, list) and errors and isinstance(errors[0], dict)) or isinstance(
        payload.get("error"), dict
    )


def _success(response):
    return 200 <= response.status_code < 300


def _content_type(response):
    return (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()


class _Empty(object):
    """Marker of an answer without a body."""

    def __repr__(self):
        return "<empty>"


_EMPTY = _Empty()


def phone_number_from_account(account):
    """The phone number (with its country code) found in a GET /v1/account answer, or None.

    ``wa_id`` is the full number; ``phone_number`` is the number without its country code
    (as in registration), prefixed with ``cc`` when there is one.
    """

    def text(value):
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
        return None

    todo = [account]
    while todo:
        node = todo.pop(0)
        if isinstance(node, dict):
            if text(node.get("wa_id")):
                return text(node.get("wa_id"))
            number = text(node.get("phone_number"))
            if number:
                cc = text(node.get("cc"))
                return "%s%s" % (cc, number) if cc else number
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return None
