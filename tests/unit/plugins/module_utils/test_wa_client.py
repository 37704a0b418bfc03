# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/wa_client.

Two kinds: a scripted fake requests session (exact control of retries, sleeps and statuses), and
real sockets on 127.0.0.1 (TLS, HTML from a "proxy", connections closed or reset, refused ports).
"""

import base64
import hashlib
import json
import ssl

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError

from ansible_collections.wabiz.migration.plugins.module_utils import wa_client
from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import verify_backup
from ansible_collections.wabiz.migration.plugins.module_utils.wa_client import (
    WAApiError,
    WAClient,
    phone_number_from_account,
    safe_url,
)
from ansible_collections.wabiz.migration.tests.unit.wa_fake_api import (
    ADMIN_PASSWORD,
    BACKUP_PASSWORD,
    USER_PASSWORD,
    reset,
    respond,
)

PASSWORD = "S3cret-Api!pass"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2VuLXBheWxvYWQ.sig-abcdefghijklmnop"
NEW_TOKEN = "eyJhbGciOiJIUzI1NiJ9.bmV3LXRva2VuLXBheWxvYWQtMg.sig-qrstuvwxyz012345"
BACKUP_PW = "Backup-Pw#2024"
DATA = "V0FCSzE" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo" * 8
URL = "https://wa.example.com:9090"
META = {"api_status": "stable", "version": "v2.45.1"}
SECRETS = (PASSWORD, TOKEN, NEW_TOKEN, BACKUP_PW, DATA, DATA[:40])


# ---------------------------------------------------------------------------- fakes


class FakeResponse:
    def __init__(self, status=200, body=None, ctype="application/json", raw=None):
        self.status_code = status
        if raw is not None:
            self.content = raw
        elif body is None:
            self.content = b""
        else:
            self.content = json.dumps(body).encode()
        self.headers = {"Content-Type": ctype} if ctype else {}

    def iter_content(self, chunk_size):
        for start in range(0, len(self.content), chunk_size):
            yield self.content[start : start + chunk_size]

    def close(self):
        pass


class CutResponse(FakeResponse):
    """A 200 answer whose connection breaks after its first ``cut`` bytes."""

    def __init__(self, body, cut):
        super().__init__(200, body)
        self.cut = cut

    def iter_content(self, chunk_size):
        yield self.content[: self.cut]
        raise requests.exceptions.ChunkedEncodingError(
            ProtocolError("Connection broken: IncompleteRead(12 bytes read, 900 more expected)")
        )


class Sink:
    """What a backup streams out: the data's bytes, emptied before each attempt."""

    def __init__(self):
        self.resets = 0
        self.data = b""

    def reset(self):
        self.resets += 1
        self.data = b""

    def write(self, chunk):
        self.data += chunk

    @property
    def size(self):
        return len(self.data)


def backup(client, password=BACKUP_PW):
    """The data of client.backup, as text."""
    sink = Sink()
    client.backup(password, sink)
    return sink.data.decode("utf-8")


def sent_body(call):
    """The JSON a recorded call sent (its body streamed or not)."""
    data = call["data"]
    return json.loads(data if isinstance(data, str) else data.read())


class FakeSession:
    """A requests.Session stand-in: answers from a script, records every call."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls = []
        self.headers = {}
        self.verify = None
        self.closed = 0

    def request(self, method, url, **kwargs):
        self.calls.append(dict(method=method, url=url, **kwargs))
        if not self.script:
            raise AssertionError(f"unexpected request {method} {url}")
        step = self.script.pop(0)
        if callable(step) and not isinstance(step, FakeResponse):
            step = step(method, url, kwargs)
        if isinstance(step, BaseException):
            raise step
        return step

    def close(self):
        self.closed += 1

    def paths(self):
        return ["{} {}".format(c["method"], c["url"].split("9090", 1)[1]) for c in self.calls]


def ok(body=None, status=200):
    body = dict(body or {})
    body["meta"] = META
    return FakeResponse(status, body)


def login_ok(token=TOKEN):
    return ok({"users": [{"token": token, "expires_after": "2099-01-01 00:00:00+00:00"}]})


def api_error(status, code, title="Some title", details="Some details"):
    return FakeResponse(status, {"errors": [{"code": code, "title": title, "details": details}], "meta": META})


def health_ok(health=None):
    return ok({"health": health or {"gateway_status": "connected"}})


def refused():
    return requests.exceptions.ConnectionError(
        MaxRetryError(
            None,
            "/v1/health",
            NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused"),
        )
    )


def closed():
    return requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    )


def dns_failure():
    return requests.exceptions.ConnectionError(
        MaxRetryError(
            None,
            "/v1/health",
            NameResolutionError("wa.example.com", None, "[Errno -2] Name or service not known"),
        )
    )


def tls_verify_failure():
    return requests.exceptions.SSLError(
        MaxRetryError(
            None,
            "/v1/health",
            ssl.SSLCertVerificationError(
                1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)"
            ),
        )
    )


def make(*script, **kwargs):
    session = FakeSession(*script)
    kwargs.setdefault("password", PASSWORD)
    client = WAClient(URL, session=session, **kwargs)
    sleeps = []
    client._sleep = sleeps.append
    return client, session, sleeps


def assert_no_secret(*texts):
    for text in texts:
        text = text if isinstance(text, str) else json.dumps(text, default=str)
        for secret in (*SECRETS, ADMIN_PASSWORD, USER_PASSWORD, BACKUP_PASSWORD):
            assert secret not in text, f"a secret leaked into {text!r}"


def assert_error_clean(exc):
    assert_no_secret(str(exc), repr(exc), exc.to_dict(), exc.args)


# ---------------------------------------------------------------------------- construction


def test_rejects_bad_api_url():
    with pytest.raises(WAApiError, match="not an http"):
        WAClient("wa.example.com:443", password=PASSWORD)
    with pytest.raises(WAApiError, match="api_url is empty"):
        WAClient("", password=PASSWORD)


def test_api_url_credentials_never_shown():
    with pytest.raises(WAApiError) as info:
        WAClient(f"ftp://admin:{PASSWORD}@host", password=PASSWORD)
    assert_error_clean(info.value)
    assert safe_url(f"https://admin:{PASSWORD}@host:443/x") == "https://host:443/x"


def test_missing_ca_path_is_a_clear_error(tmp_path):
    with pytest.raises(WAApiError, match=r"ca_path .* does not exist"):
        WAClient(URL, password=PASSWORD, ca_path=str(tmp_path / "missing.pem"))


def test_verify_settings_are_given_on_every_request(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    client, session, _sleeps = make(login_ok(), health_ok(), ca_path=str(ca))
    client.health()
    assert [c["verify"] for c in session.calls] == [str(ca), str(ca)]
    client, session, _sleeps = make(login_ok(), health_ok(), validate_certs=False, ca_path=str(ca))
    client.health()
    assert [c["verify"] for c in session.calls] == [False, False]
    client, session, _sleeps = make(login_ok(), health_ok())
    client.health()
    assert session.calls[0]["verify"] is True


def test_timeout_is_given_on_every_request():
    client, session, _sleeps = make(login_ok(), health_ok(), timeout=7)
    client.health()
    # (connect, read), each cut to what remains of the exchange's deadline of 7 s
    assert [len(c["timeout"]) for c in session.calls] == [2, 2]
    assert all(6.5 < t <= 7 for c in session.calls for t in c["timeout"])


# ---------------------------------------------------------------------------- login and token


def test_login_with_basic_auth_then_bearer_token_reused():
    client, session, _sleeps = make(login_ok(), health_ok(), health_ok(), ok({"settings": {"application": {}}}))
    client.health()
    client.health()
    client.get_application_settings()
    assert session.paths() == [
        "POST /v1/users/login",
        "GET /v1/health",
        "GET /v1/health",
        "GET /v1/settings/application",
    ]
    assert session.calls[0]["auth"] == ("admin", PASSWORD)
    assert "Authorization" not in session.calls[0]["headers"]
    for call in session.calls[1:]:
        assert call["headers"]["Authorization"] == "Bearer " + TOKEN
        assert "auth" not in call


def test_given_token_is_used_without_login():
    client, session, _sleeps = make(health_ok(), password=None, token=TOKEN)
    client.health()
    assert session.paths() == ["GET /v1/health"]
    assert session.calls[0]["headers"]["Authorization"] == "Bearer " + TOKEN


def test_expired_token_leads_to_one_new_login():
    client, session, _sleeps = make(
        api_error(401, 1005, "Access denied", "token expired"), login_ok(NEW_TOKEN), health_ok(), token=TOKEN
    )
    client.health()
    assert session.paths() == ["GET /v1/health", "POST /v1/users/login", "GET /v1/health"]
    assert session.calls[2]["headers"]["Authorization"] == "Bearer " + NEW_TOKEN
    assert client.token == NEW_TOKEN


def test_second_401_after_relogin_is_an_error():
    client, session, _sleeps = make(api_error(401, 1005), login_ok(NEW_TOKEN), api_error(401, 1005), token=TOKEN)
    with pytest.raises(WAApiError) as info:
        client.health()
    assert info.value.status == 401
    assert info.value.kind == "auth"
    assert len(session.calls) == 3
    assert_error_clean(info.value)


def test_refused_token_without_password_says_what_to_do():
    client, session, _sleeps = make(api_error(401, 1005, "Access denied", "Invalid token"), password=None, token=TOKEN)
    with pytest.raises(WAApiError) as info:
        client.health()
    assert "token was refused" in str(info.value)
    assert "expired" in str(info.value)
    assert len(session.calls) == 1
    assert_error_clean(info.value)


def test_wrong_api_password():
    client, session, _sleeps = make(api_error(401, 1005, "Access denied", "Invalid credentials"))
    with pytest.raises(WAApiError) as info:
        client.health()
    exc = info.value
    assert exc.status == 401 and exc.code == 1005 and exc.title == "Access denied"
    assert "Check username and password" in str(exc)
    assert "POST /v1/users/login" in str(exc)
    assert len(session.calls) == 1  # a refused login is not retried
    assert_error_clean(exc)


def test_login_without_password_or_token():
    client, session, _sleeps = make(password=None)
    with pytest.raises(WAApiError, match="No password to log in"):
        client.health()
    assert session.calls == []


def test_login_answer_without_token():
    client, _session, _sleeps = make(ok({"users": []}))
    with pytest.raises(WAApiError) as info:
        client.login()
    assert info.value.kind == "unexpected"
    assert "users[0].token" in str(info.value)


# ---------------------------------------------------------------------------- retries


@pytest.mark.parametrize("status", [502, 503, 504])
def test_safe_call_retried_on_gateway_statuses_with_backoff(status):
    client, session, sleeps = make(
        login_ok(), FakeResponse(status, {"x": 1}), FakeResponse(status, {"x": 1}), health_ok()
    )
    assert client.health() == {"gateway_status": "connected"}
    assert sleeps == [0.5, 1.0]
    assert len(session.calls) == 4


@pytest.mark.parametrize("code", [1011, 1015, 1016])
def test_safe_call_retried_on_transient_api_codes(code):
    client, _session, sleeps = make(login_ok(), api_error(400, code), health_ok())
    client.health()
    assert sleeps == [0.5]


def test_retries_are_bounded_and_backoff_doubles():
    client, session, sleeps = make(login_ok(), *[api_error(503, 1011, "Service not ready")] * 4, retry_backoff=0.2)
    with pytest.raises(WAApiError) as info:
        client.health()
    assert len(session.calls) == 1 + 4  # login + first try + 3 retries
    assert sleeps == pytest.approx([0.2, 0.4, 0.8])
    assert sum(sleeps) <= 0.2 * (2**3 - 1) + 1e-9
    assert info.value.code == 1011
    assert "not ready" in str(info.value)


def test_retries_zero_means_one_attempt():
    client, session, sleeps = make(login_ok(), api_error(503, 1011), retries=0)
    with pytest.raises(WAApiError):
        client.health()
    assert len(session.calls) == 2
    assert sleeps == []


def test_connection_refused_retried_then_clear_message():
    client, session, sleeps = make(refused(), refused(), refused(), refused(), retries=3)
    with pytest.raises(WAApiError) as info:
        client.health()
    assert len(session.calls) == 4  # the login, tried 4 times
    assert sleeps == [0.5, 1.0, 2.0]
    exc = info.value
    assert exc.kind == "connection" and exc.sent is False and exc.transient
    assert "Connection refused" in str(exc)
    assert "api_url" in str(exc) and "port" in str(exc) and "container" in str(exc)


def test_connection_closed_is_retried_for_safe_calls():
    client, _session, sleeps = make(login_ok(), closed(), health_ok())
    client.health()
    assert sleeps == [0.5]


def test_tls_and_dns_errors_are_not_retried():
    client, session, sleeps = make(tls_verify_failure())
    with pytest.raises(WAApiError) as info:
        client.health()
    assert len(session.calls) == 1 and sleeps == []
    assert "ca_path" in str(info.value) and "self-signed" in str(info.value)
    client, session, sleeps = make(dns_failure())
    with pytest.raises(WAApiError) as info:
        client.health()
    assert len(session.calls) == 1 and sleeps == []
    assert info.value.kind == "dns"
    assert "Cannot resolve" in str(info.value)


def test_non_transient_errors_are_not_retried():
    client, session, sleeps = make(login_ok(), api_error(400, 1009, "Parameter value is not valid"))
    with pytest.raises(WAApiError):
        client.patch_application_settings({"webhooks": {"url": "x"}})
    assert len(session.calls) == 2 and sleeps == []


def test_backup_login_and_patch_are_safe_calls():
    client, session, sleeps = make(
        api_error(503, 1011),
        login_ok(),
        api_error(503, 1011),
        ok({"settings": {"data": DATA}}),
        FakeResponse(504, raw=b"", ctype=None),
        ok({}),
    )
    assert backup(client) == DATA
    client.patch_application_settings({"callback_persist": False})
    assert session.paths() == [
        "POST /v1/users/login",
        "POST /v1/users/login",
        "POST /v1/settings/backup",
        "POST /v1/settings/backup",
        "PATCH /v1/settings/application",
        "PATCH /v1/settings/application",
    ]
    assert sleeps == [0.5, 0.5, 0.5]
    assert json.loads(session.calls[4]["data"]) == {"callback_persist": False}


# ---------------------------------------------------------------------------- backup: the data streamed out


def test_backup_streams_the_data_and_asks_for_it_once():
    client, session, _sleeps = make(login_ok(), ok({"settings": {"data": DATA}}))
    sink = Sink()
    client.backup(BACKUP_PW, sink)
    assert sink.data == DATA.encode() and sink.resets == 1
    assert session.calls[1]["stream"] is True
    assert sent_body(session.calls[1]) == {"password": BACKUP_PW}
    assert client.meta == META


def test_backup_cut_off_mid_answer_is_retried_from_the_start():
    answer = ok({"settings": {"data": DATA}})
    client, _session, sleeps = make(login_ok(), CutResponse({"settings": {"data": DATA}, "meta": META}, 40), answer)
    sink = Sink()
    client.backup(BACKUP_PW, sink)
    assert sink.data == DATA.encode()
    assert sink.resets == 2  # what the first attempt had streamed was dropped
    assert sleeps == [0.5]


def test_backup_cut_off_without_retries_is_a_clear_error():
    client, _session, _sleeps = make(login_ok(), CutResponse({"settings": {"data": DATA}}, 40), retries=0)
    with pytest.raises(WAApiError) as info:
        backup(client)
    assert info.value.kind == "closed"
    assert "was cut off" in str(info.value)
    assert_error_clean(info.value)


def test_backup_data_escapes_are_decoded():
    """A client behind PHP escapes slashes; any JSON escape may come."""
    data = DATA + "/+=/\u00e9\U0001f600"
    raw = json.dumps({"settings": {"data": data}, "meta": META}, ensure_ascii=True).replace("/", "\\/")
    client, _session, _sleeps = make(login_ok(), FakeResponse(200, raw=raw.encode()))
    assert backup(client) == data


def test_only_settings_data_is_streamed():
    body = {"data": "top", "meta": {**META, "data": "meta"}, "settings": {"other": {"data": "deep"}, "data": DATA}}
    client, _session, _sleeps = make(login_ok(), ok(body))
    assert backup(client) == DATA
    assert client.meta == META


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"settings": {"data": 42}}', "but the answer has no settings.data string (keys: settings)"),
        (b'{"settings": {"data": ""}}', "but the answer has no settings.data string"),
        (b'{"settings": {"data": null}}', "but the answer has no settings.data string"),
        (b'{"settings": [{"data": "QUJD"}]}', "but the answer has no settings.data string"),
        (b'{"settings": {"data": "QUJD", "data": "QUJD"}}', "(the answer has settings.data twice)"),
        (b'{"settings": {"data": "QU\\qJD"}}', "(settings.data is not a valid JSON string"),
        (b'{"settings": {"data": "QU\nJD"}}', "(settings.data is not a valid JSON string"),
        (b'{"settings": {"data": "QU\\ud800JD"}}', "(settings.data is not a valid JSON string"),
        (b'{"settings": {"data": "QUJD', "(the answer ends inside settings.data: it was cut off)"),
        (b'{"settings": {"data": "QUJD"}', "not the API's JSON"),
        (b'{"settings": {"data": "QU\xffJD"}}', "(the answer is not UTF-8 text)"),
        (b"<html><body><h1>Welcome to nginx!</h1></body></html>", "The answer begins: 'Welcome to nginx!'"),
        (b'{"padding": "' + b"x" * (2 << 20) + b'"}', "are outside settings.data)"),
    ],
    ids=[
        "number",
        "empty",
        "null",
        "settings-array",
        "twice",
        "bad-escape",
        "control-character",
        "lone-surrogate",
        "ends-inside",
        "ends-after",
        "not-utf8",
        "html",
        "too-large-outside",
    ],
)
def test_backup_answer_of_the_wrong_shape(raw, message):
    client, _session, sleeps = make(login_ok(), FakeResponse(200, raw=raw, ctype="application/json"))
    sink = Sink()
    with pytest.raises(WAApiError) as info:
        client.backup(BACKUP_PW, sink)
    assert message in str(info.value)
    assert info.value.status == 200 and info.value.kind in ("unexpected", "not_json")
    assert sleeps == []  # not transient: not retried
    assert "QUJD" not in str(info.value)  # no part of the data
    assert_error_clean(info.value)


# ---------------------------------------------------------------------------- restore


def test_restore_is_never_retried_on_transient_errors():
    client, session, sleeps = make(login_ok(), api_error(503, 1011, "Service not ready"))
    with pytest.raises(WAApiError) as info:
        client.restore(BACKUP_PW, DATA)
    assert session.paths() == ["POST /v1/users/login", "POST /v1/settings/restore"]
    assert sleeps == []
    assert_error_clean(info.value)


def test_restore_not_sent_when_connection_refused():
    client, session, sleeps = make(refused(), token=TOKEN)
    with pytest.raises(WAApiError) as info:
        client.restore(BACKUP_PW, DATA)
    assert len(session.calls) == 1 and sleeps == []
    assert info.value.sent is False
    assert "Connection refused" in str(info.value)
    assert_error_clean(info.value)


def test_restore_not_sent_on_tls_failure():
    client, session, _sleeps = make(tls_verify_failure(), token=TOKEN)
    with pytest.raises(WAApiError) as info:
        client.restore(BACKUP_PW, DATA)
    assert info.value.kind == "tls"
    assert len(session.calls) == 1


def test_restore_connection_closed_after_sending_is_unconfirmed():
    client, session, sleeps = make(closed(), token=TOKEN)
    result = client.restore(BACKUP_PW, DATA)
    assert result["status"] == "unconfirmed"
    assert len(session.calls) == 1 and sleeps == []
    assert_no_secret(result)


def test_restore_read_timeout_is_unconfirmed():
    client, session, _sleeps = make(requests.exceptions.ReadTimeout("read timed out"), token=TOKEN)
    assert client.restore(BACKUP_PW, DATA)["status"] == "unconfirmed"
    assert len(session.calls) == 1


def test_restore_waits_longer_for_its_answer():
    client, session, _sleeps = make(FakeResponse(200, raw=b"null"), token=TOKEN, timeout=10)
    client.restore(BACKUP_PW, DATA)
    assert session.calls[0]["timeout"] == (10, wa_client.RESTORE_TIMEOUT)
    client, session, _sleeps = make(FakeResponse(200, raw=b"null"), token=TOKEN, timeout=10)
    client.restore(BACKUP_PW, DATA, timeout=42)
    assert session.calls[0]["timeout"] == (10, 42)


@pytest.mark.parametrize("status", [502, 504])
def test_restore_proxy_gateway_page_is_unconfirmed(status):
    page = b"<html><title>502 Bad Gateway</title>upstream prematurely closed connection</html>"
    client, session, sleeps = make(FakeResponse(status, raw=page, ctype="text/html"), token=TOKEN)
    result = client.restore(BACKUP_PW, DATA)
    assert result["status"] == "unconfirmed" and result["http_status"] == status
    assert "proxy" in result["reason"]
    assert len(session.calls) == 1 and sleeps == []


@pytest.mark.parametrize(
    "answer",
    [
        FakeResponse(503, raw=b"<html>Service Unavailable</html>", ctype="text/html"),
        FakeResponse(500, raw=b"Internal Server Error", ctype="text/plain"),
        FakeResponse(500, {"detail": "boom"}),
        FakeResponse(500, raw=b"", ctype=None),
    ],
    ids=["html-503", "text-500", "json-500-without-envelope", "empty-500"],
)
def test_restore_5xx_without_the_envelope_may_have_been_applied(answer):
    client, session, sleeps = make(answer, token=TOKEN)
    result = client.restore(BACKUP_PW, DATA)
    assert result["status"] == "unconfirmed" and result["http_status"] == answer.status_code
    assert len(session.calls) == 1 and sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 400])
def test_restore_answer_with_the_envelope_is_a_clean_refusal(status):
    # A peer's mock (ron96G/whatsapp-bizapi-mock) answers an undecryptable backup with 500 and the envelope.
    client, session, _sleeps = make(api_error(status, 1014, "Internal error", "cannot decrypt"), token=TOKEN)
    with pytest.raises(WAApiError) as info:
        client.restore(BACKUP_PW, DATA)
    assert info.value.restore_refused and "it was not applied" in str(info.value)
    assert len(session.calls) == 1


def test_restore_uses_a_fresh_connection():
    client, session, _sleeps = make(FakeResponse(200, raw=b"null"), token=TOKEN)
    client.restore(BACKUP_PW, DATA)
    assert session.closed == 1


@pytest.mark.parametrize(
    "answer",
    [
        FakeResponse(200, raw=b"null"),
        FakeResponse(200, raw=b"{}"),
        FakeResponse(200, {"meta": META}),
        FakeResponse(200, raw=b"", ctype=None),
        FakeResponse(201, {"meta": META, "unknown": 1}),
    ],
    ids=["null", "empty-object", "meta", "no-body", "unknown-fields"],
)
def test_restore_success_answers(answer):
    client, session, _sleeps = make(answer, token=TOKEN)
    result = client.restore(BACKUP_PW, DATA)
    assert result["status"] == "applied"
    assert sent_body(session.calls[0]) == {"password": BACKUP_PW, "data": DATA}


class Source:
    """A source of a streamed JSON string that counts how often it was read."""

    def __init__(self, text):
        self.escaped = json.dumps(text)[1:-1].encode()
        self.json_length = len(self.escaped)
        self.reads = 0

    def json_chunks(self):
        self.reads += 1
        yield from (self.escaped[i : i + 7] for i in range(0, len(self.escaped), 7))


def reads_body_then(answer, bodies):
    """A session step that reads the streamed body (into ``bodies``), as requests does, then answers."""

    def step(method, url, kwargs):
        bodies.append(kwargs["data"].read())
        return answer

    return step


def test_restore_streams_a_source():
    source, bodies = Source(DATA + "/\u00e9"), []
    client, session, sleeps = make(reads_body_then(FakeResponse(200, raw=b"null"), bodies), token=TOKEN)
    assert client.restore(BACKUP_PW, source)["status"] == "applied"
    assert source.reads == 1
    assert bodies == [json.dumps({"password": BACKUP_PW, "data": DATA + "/\u00e9"}).encode()]
    assert session.paths() == ["POST /v1/settings/restore"] and sleeps == []


@pytest.mark.parametrize("announced", [-1, +1])
def test_restore_source_of_another_length_is_cut_short(announced):
    source = Source(DATA)
    source.json_length += announced
    client, _session, _sleeps = make(reads_body_then(FakeResponse(200, raw=b"null"), []), token=TOKEN)
    with pytest.raises(WAApiError) as info:
        client.restore(BACKUP_PW, source)
    assert info.value.kind == "source" and info.value.sent is False
    assert "than announced" in str(info.value) and "cannot have acted on it" in str(info.value)
    assert_error_clean(info.value)


def test_restore_unexpected_success_body_may_have_been_applied():
    client, _session, _sleeps = make(FakeResponse(200, ["what"]), token=TOKEN)
    result = client.restore(BACKUP_PW, DATA)
    assert result["status"] == "unconfirmed" and "unexpected answer" in result["reason"]


@pytest.mark.parametrize("password", [PASSWORD, None])
def test_restore_401_after_sending_may_have_been_applied_and_is_never_resent(password):
    client, session, sleeps = make(
        api_error(401, 1005, "Access denied", "token expired"), login_ok(NEW_TOKEN), password=password, token=TOKEN
    )
    result = client.restore(BACKUP_PW, DATA)
    assert result["status"] == "unconfirmed" and result["http_status"] == 401
    assert session.paths() == ["POST /v1/settings/restore"] and sleeps == []


def test_restore_wrong_backup_password():
    client, _session, _sleeps = make(
        api_error(400, 1009, "Parameter value is not valid", "Could not decrypt backup: wrong password"), token=TOKEN
    )
    with pytest.raises(WAApiError) as info:
        client.restore(BACKUP_PW, DATA)
    exc = info.value
    assert exc.code == 1009
    assert "backup_password" in str(exc)
    assert "Could not decrypt backup" in str(exc)
    assert_error_clean(exc)


def test_restore_needs_admin():
    client, _session, _sleeps = make(api_error(403, 1005, "Access denied", "Admin only"), token=TOKEN, username="bob")
    with pytest.raises(WAApiError) as info:
        client.restore(BACKUP_PW, DATA)
    assert "need the admin user" in str(info.value)
    assert "'bob'" in str(info.value)
    assert info.value.kind == "forbidden"


# ---------------------------------------------------------------------------- answers and messages


def test_backup_needs_admin():
    client, _session, _sleeps = make(login_ok(), api_error(403, 1005, "Access denied", "Admin only"), username="bob")
    with pytest.raises(WAApiError) as info:
        backup(client)
    exc = info.value
    assert exc.status == 403 and exc.code == 1005
    assert "Backup and restore need the admin user" in str(exc)
    assert_error_clean(exc)


def test_backup_answer_without_data():
    client, _session, _sleeps = make(login_ok(), ok({"settings": {}}))
    with pytest.raises(WAApiError) as info:
        backup(client)
    exc = info.value
    assert exc.kind == "unexpected" and exc.status == 200
    assert "settings.data" in str(exc)
    assert "keys: meta, settings" in str(exc)


def test_health_answer_without_health():
    client, _session, _sleeps = make(login_ok(), ok({"status": "ok"}))
    with pytest.raises(WAApiError, match="no health object"):
        client.health()


def test_error_envelope_fields_and_to_dict():
    client, _session, _sleeps = make(login_ok(), api_error(404, 1006, "Resource not found", "Unknown path"))
    with pytest.raises(WAApiError) as info:
        client.get("/v1/nothing")
    exc = info.value
    assert (exc.status, exc.code, exc.title, exc.details) == (404, 1006, "Resource not found", "Unknown path")
    assert exc.to_dict() == {
        "status": 404,
        "code": 1006,
        "title": "Resource not found",
        "details": "Unknown path",
        "kind": "api",
        "request": "GET /v1/nothing",
    }
    assert "API error 1006 (Resource not found): Unknown path" in str(exc)


def test_error_without_title_gets_the_known_one():
    client, _session, _sleeps = make(login_ok(), FakeResponse(400, {"errors": [{"code": "1017"}]}))
    with pytest.raises(WAApiError) as info:
        client.health()
    assert info.value.code == 1017
    assert "Not primary master" in str(info.value)
    assert "primary master" in str(info.value)


def test_html_answer_from_a_proxy():
    html = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>nginx</body></html>"
    client, _session, _sleeps = make(login_ok(), *[FakeResponse(502, raw=html, ctype="text/html")] * 4)
    with pytest.raises(WAApiError) as info:
        client.health()
    exc = info.value
    assert exc.kind == "not_json" and exc.status == 502
    assert "a proxy or another service answered" in str(exc)
    assert "text/html" in str(exc)
    assert "502 Bad Gateway" in str(exc)
    assert "<" not in str(exc)


def test_non_json_success_answer():
    client, _session, _sleeps = make(login_ok(), FakeResponse(200, raw=b"OK", ctype="text/plain"))
    with pytest.raises(WAApiError) as info:
        client.health()
    assert info.value.kind == "not_json"
    assert "not the API's JSON" in str(info.value)


def test_json_error_without_envelope():
    client, _session, _sleeps = make(login_ok(), FakeResponse(418, {"message": "I am a teapot"}))
    with pytest.raises(WAApiError) as info:
        client.health()
    assert "without the API's error envelope" in str(info.value)
    assert "teapot" in str(info.value)


def test_secrets_echoed_by_the_server_are_scrubbed():
    echo = f"password={PASSWORD} token={TOKEN} data={DATA} backup={BACKUP_PW}"
    client, _session, _sleeps = make(login_ok(), api_error(400, 1009, echo, echo))
    with pytest.raises(WAApiError) as info:
        backup(client)
    assert_error_clean(info.value)
    assert "********" in str(info.value)
    client, _session, _sleeps = make(
        login_ok(), FakeResponse(500, raw=(f"<p>{echo}</p>").encode(), ctype="text/html"), retries=0
    )
    result = client.restore(BACKUP_PW, DATA)  # 500 without the envelope: may have been applied
    assert result["status"] == "unconfirmed"
    assert_no_secret(result["reason"])
    assert "********" in result["reason"]


def test_long_tokens_are_cut_from_excerpts_even_when_unknown():
    unknown = base64.b64encode(b"x" * 60).decode()
    client, _session, _sleeps = make(
        login_ok(), FakeResponse(500, raw=(f"<p>{unknown}</p>").encode(), ctype="text/html")
    )
    result = client.restore(BACKUP_PW, DATA)
    assert result["status"] == "unconfirmed" and unknown not in result["reason"]


def test_no_secret_in_any_error_message():
    """Every failure path, with every secret in play."""
    scenarios = [
        (refused(),),
        (closed(),),
        (tls_verify_failure(),),
        (dns_failure(),),
        (requests.exceptions.ConnectTimeout("connect timeout"),),
        (api_error(401, 1005),),
        (login_ok(), api_error(403, 1005)),
        (login_ok(), FakeResponse(502, raw=b"<html>bad gateway</html>", ctype="text/html")),
        (login_ok(), ok({"settings": {"nodata": TOKEN}})),
    ]
    for script in scenarios:
        client, _session, _sleeps = make(*script, retries=0)
        with pytest.raises(WAApiError) as info:
            backup(client)
        assert_error_clean(info.value)


def test_meta_is_kept():
    client, _session, _sleeps = make(login_ok(), health_ok())
    client.health()
    assert client.meta == META


def test_account_and_phone_number():
    client, _session, _sleeps = make(login_ok(), ok({"account": [{"cc": "1", "phone_number": "5550001111"}]}))
    account = client.account()
    assert account == {"account": [{"cc": "1", "phone_number": "5550001111"}]}
    assert phone_number_from_account(account) == "15550001111"
    assert phone_number_from_account({"account": [{"cc": "1", "phone_number": "1234", "wa_id": "11234"}]}) == "11234"
    assert phone_number_from_account({"phone_number": 15550001111}) == "15550001111"
    assert phone_number_from_account(None) is None
    assert phone_number_from_account({"x": [1, {"y": True}]}) is None


def test_account_missing_endpoint_is_none():
    client, _session, _sleeps = make(login_ok(), api_error(404, 1006, "Resource not found"))
    assert client.account() is None


def test_settings_and_profile_about():
    client, session, _sleeps = make(
        login_ok(),
        ok({"settings": {"application": {"callback_persist": True}}}),
        ok({"settings": {"profile": {"about": {"text": "hello"}}}}),
        ok({}),
    )
    assert client.get_application_settings() == {"callback_persist": True}
    assert client.get_profile_about() == "hello"
    client.set_profile_about("bye")
    assert json.loads(session.calls[-1]["data"]) == {"text": "bye"}
    client, _session, _sleeps = make(login_ok(), ok({"settings": []}))
    with pytest.raises(WAApiError, match=r"settings\.application"):
        client.get_application_settings()


def test_business_profile_read_and_posted_whole():
    profile = {"address": "1 Main St", "email": "a@b.example", "websites": ["https://b.example"]}
    client, session, _sleeps = make(login_ok(), ok({"settings": {"business": {"profile": profile}}}), ok({}))
    assert client.get_business_profile() == profile
    client.set_business_profile(dict(profile, email="c@b.example"))
    assert session.calls[-1]["method"] == "POST" and session.calls[-1]["url"].endswith("/v1/settings/business/profile")
    assert json.loads(session.calls[-1]["data"]) == dict(profile, email="c@b.example")
    client, _session, _sleeps = make(login_ok(), ok({"settings": {"business": "none"}}))
    with pytest.raises(WAApiError, match=r"settings\.business\.profile object"):
        client.get_business_profile()


# ---------------------------------------------------------------------------- real sockets


def real(url, **kwargs):
    kwargs.setdefault("password", ADMIN_PASSWORD)
    kwargs.setdefault("retries", 0)
    kwargs.setdefault("timeout", 5)
    return WAClient(url, **kwargs)


def test_real_round_trip_and_keep_alive(fake_wa):
    client = real(fake_wa.url)
    assert client.health() == {"gateway_status": "connected"}
    data = backup(client, BACKUP_PASSWORD)
    assert client.get_application_settings()["callback_persist"] is True
    fake_wa.unregister()
    assert client.restore(BACKUP_PASSWORD, data) == {"status": "applied", "http_status": 200}
    assert [e[1] for e in fake_wa.log] == [
        "/v1/users/login",
        "/v1/health",
        "/v1/settings/backup",
        "/v1/settings/application",
        "/v1/settings/restore",
    ]


def test_real_session_reuses_the_connection(fake_wa):
    client = real(fake_wa.url)
    client.health()
    client.health()
    client.get_application_settings()
    assert len(fake_wa.log) == 4
    assert len(fake_wa.connections) == 1  # a login and three requests, one connection


def test_real_wrong_backup_password(fake_wa):
    client = real(fake_wa.url)
    data = backup(client, BACKUP_PASSWORD)
    with pytest.raises(WAApiError) as info:
        client.restore("Wrong-Backup-pw1!", data)
    assert "backup_password" in str(info.value)
    assert_error_clean(info.value)
    assert data not in str(info.value)


def test_real_non_admin_user(fake_wa):
    client = real(fake_wa.url, username="bob", password=USER_PASSWORD)
    with pytest.raises(WAApiError) as info:
        backup(client, BACKUP_PASSWORD)
    assert "admin" in str(info.value) and info.value.status == 403
    assert_error_clean(info.value)


def test_real_self_signed_without_ca_path(fake_wa_tls, tls):
    with pytest.raises(WAApiError) as info:
        real(fake_wa_tls.url).health()
    exc = info.value
    assert exc.kind == "tls" and exc.sent is False
    assert "certificate verification failed" in str(exc)
    assert "set ca_path" in str(exc)
    assert fake_wa_tls.log == []
    # with ca_path it works, and with validate_certs false too
    assert real(fake_wa_tls.url, ca_path=tls.ca).health() == {"gateway_status": "connected"}
    assert real(fake_wa_tls.url, validate_certs=False).health() == {"gateway_status": "connected"}


def test_real_certificate_for_another_host(tls, raw_server):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.other_cert, tls.other_key)
    server = raw_server(respond(200, "{}", "application/json"), context)
    with pytest.raises(WAApiError) as info:
        real(f"https://localhost:{server.port}", ca_path=tls.ca).health()
    assert "not issued for this host name" in str(info.value)


def test_real_plain_http_to_https_port(fake_wa_tls):
    url = fake_wa_tls.url.replace("https://localhost", "http://127.0.0.1")
    with pytest.raises(WAApiError) as info:
        real(url).health()
    assert "use https://" in str(info.value)


def test_real_https_to_plain_http_port(fake_wa):
    with pytest.raises(WAApiError) as info:
        real(fake_wa.url.replace("http://", "https://")).health()
    assert info.value.kind == "tls"
    assert "does not speak TLS" in str(info.value)
    assert "http://" in str(info.value)


def test_real_nginx_plain_http_page(raw_server):
    page = "<html><title>400 The plain HTTP request was sent to HTTPS port</title><body>nginx</body></html>"
    server = raw_server(respond(400, page))
    with pytest.raises(WAApiError) as info:
        real(f"http://127.0.0.1:{server.port}").health()
    assert "plain HTTP request was sent to its HTTPS port: use https://" in str(info.value)


def test_real_connection_refused(free_port):
    with pytest.raises(WAApiError) as info:
        real(f"http://127.0.0.1:{free_port}").health()
    exc = info.value
    assert exc.kind == "connection" and exc.sent is False
    assert "Connection refused" in str(exc)
    assert "that the client's Webapp container is running" in str(exc)


def test_real_unresolvable_host():
    with pytest.raises(WAApiError) as info:
        real("https://wa-host.invalid:443").health()
    assert info.value.kind == "dns"


def test_real_html_from_a_proxy(raw_server):
    server = raw_server(respond(502, "<html><body><h1>502 Bad Gateway</h1><hr>nginx/1.25</body></html>"))
    with pytest.raises(WAApiError) as info:
        real(f"http://127.0.0.1:{server.port}").health()
    exc = info.value
    assert exc.status == 502 and exc.kind == "not_json"
    assert "a proxy or another service answered instead of the WhatsApp Business API client?" in str(exc)
    assert "502 Bad Gateway nginx/1.25" in str(exc)


def test_real_restore_connection_closed_is_unconfirmed(raw_server):
    server = raw_server(lambda conn, request: None)
    client = real(f"http://127.0.0.1:{server.port}", token=TOKEN, password=None)
    result = client.restore(BACKUP_PW, DATA)
    assert result["status"] == "unconfirmed"
    assert server.requests == ["POST /v1/settings/restore HTTP/1.1"]
    assert_no_secret(result)


def test_real_restore_connection_reset_is_unconfirmed(raw_server):
    server = raw_server(reset)
    client = real(f"http://127.0.0.1:{server.port}", token=TOKEN, password=None)
    assert client.restore(BACKUP_PW, DATA)["status"] == "unconfirmed"
    assert len(server.requests) == 1


def test_real_restore_refused_is_an_error(free_port):
    client = real(f"http://127.0.0.1:{free_port}", token=TOKEN, password=None)
    with pytest.raises(WAApiError) as info:
        client.restore(BACKUP_PW, DATA)
    assert info.value.sent is False


def test_real_restore_through_fake_api_closing(fake_wa):
    client = real(fake_wa.url)
    data = backup(client, BACKUP_PASSWORD)
    fake_wa.restore_mode = "close"
    assert client.restore(BACKUP_PASSWORD, data)["status"] == "unconfirmed"
    assert len(fake_wa.restored) == 1


def test_real_restore_body_is_exactly_its_content_length(fake_wa, tmp_path):
    """The streamed body is read by the server up to its Content-Length: all of it, nothing more."""
    client = real(fake_wa.url)
    data = backup(client, BACKUP_PASSWORD)
    path = tmp_path / "wa.backup"
    path.write_text(f" \n{data}\n\t")
    text = verify_backup(str(path), checksum=hashlib.sha256(path.read_bytes()).hexdigest())["text"]
    assert client.restore(BACKUP_PASSWORD, text) == {"status": "applied", "http_status": 200}
    assert fake_wa.restore_bodies == [json.dumps({"password": BACKUP_PASSWORD, "data": data}).encode()]
    assert len(fake_wa.restored) == 1


def test_real_restore_of_a_file_changed_since_it_was_verified_is_cut_short(fake_wa, tmp_path):
    client = real(fake_wa.url)
    data = backup(client, BACKUP_PASSWORD)
    path = tmp_path / "wa.backup"
    path.write_text(data)
    text = verify_backup(str(path), checksum=hashlib.sha256(data.encode()).hexdigest())["text"]
    path.write_text(data[:-4] + "AAAA")  # the same size, other bytes
    with pytest.raises(WAApiError) as info:
        client.restore(BACKUP_PASSWORD, text)
    assert info.value.kind == "source" and info.value.sent is False
    assert str(info.value) == (
        f"POST /v1/settings/restore was not sent whole: The backup file {path} changed after it was verified: it is "
        "not the backup that was checked. The request was cut short, so the client cannot have acted on it."
    )
    assert fake_wa.restored == []  # the request never ended: the server could not parse it
    assert_error_clean(info.value)
    assert data not in str(info.value)


def test_real_backup_answer_cut_off(raw_server):
    def half(conn, request):
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 900\r\n\r\n"
            b'{"settings": {"data": "QUJD'
        )

    server = raw_server(half)
    client = real(f"http://127.0.0.1:{server.port}", token=TOKEN, password=None)
    with pytest.raises(WAApiError) as info:
        backup(client)
    assert "cut off" in str(info.value)
    assert_error_clean(info.value)


def test_real_read_timeout(raw_server):
    import time

    server = raw_server(lambda conn, request: time.sleep(2))
    client = real(f"http://127.0.0.1:{server.port}", token=TOKEN, password=None, timeout=0.3)
    with pytest.raises(WAApiError) as info:
        client.health()
    assert info.value.kind == "timeout"
    assert "within 0.3s" in str(info.value) and "raise timeout" in str(info.value)
    result = client.restore(BACKUP_PW, DATA, timeout=0.4)
    assert result["status"] == "unconfirmed" and "no answer within 0.4s" in result["reason"]


def test_without_requests_the_client_says_so(monkeypatch):
    monkeypatch.setattr(wa_client, "HAS_REQUESTS", False)
    with pytest.raises(WAApiError, match="'requests' is needed"):
        WAClient(URL, password=PASSWORD)
