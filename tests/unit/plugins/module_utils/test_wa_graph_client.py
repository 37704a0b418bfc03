# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GraphClient against a scripted HTTP server on 127.0.0.1: the Graph error envelope, register's
never-retry rule, the streamed register body, and secrets kept out of every message."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import verify_backup, write_backup
from ansible_collections.wabiz.migration.plugins.module_utils.wa_client import WAApiError
from ansible_collections.wabiz.migration.plugins.module_utils.wa_graph_client import GraphClient, success_of

TOKEN = "EAAG-graph-token-7f3a9c"
PIN = "482913"
BACKUP_PASSWORD = "Bkp-Pa55-graph!"
NUMBER_ID = "106540352242922"


class Scripted(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server = self.server
        server.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
        status, answer = server.script.pop(0) if len(server.script) > 1 else server.script[0]
        if status == "close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        raw = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = _answer


@pytest.fixture
def graph():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    server.daemon_threads = True
    server.script = [(200, {"id": NUMBER_ID})]
    server.requests = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def client_for(server, **kwargs):
    kwargs.setdefault("retry_backoff", 0)
    return GraphClient(graph_url=server.url, api_version="v23.0", access_token=TOKEN, **kwargs)


def envelope(code, message="boom", subcode=None):
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC123"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def test_reads_a_number_with_its_fields_and_the_bearer_token(graph):
    graph.script = [(200, {"id": NUMBER_ID, "platform_type": "ON_PREMISE", "throughput": {"level": "STANDARD"}})]
    number = client_for(graph).phone_number(NUMBER_ID, fields=("id", "platform_type", "throughput"))
    assert number["platform_type"] == "ON_PREMISE"
    request = graph.requests[0]
    assert request["path"] == f"/v23.0/{NUMBER_ID}?fields=id,platform_type,throughput"
    assert request["headers"]["Authorization"] == "Bearer " + TOKEN


@pytest.mark.parametrize(
    "status, code, kind, words",
    [
        (401, 190, "auth", "access token is invalid or expired"),
        (403, 10, "forbidden", "lacks a permission"),
        (403, 200, "forbidden", "lacks a permission"),
        (403, 299, "forbidden", "lacks a permission"),
        (400, 100, "api", "parameter was refused"),
        (400, 133016, "register_limit", "registration limit is reached"),
        (400, 4, "rate_limit", "rate limiting"),
        (400, 80007, "rate_limit", "rate limiting"),
    ],
)
def test_graph_errors_become_clear_messages(graph, status, code, kind, words):
    graph.script = [(status, envelope(code, "the vendor's words"))]
    with pytest.raises(WAApiError) as caught:
        client_for(graph, retries=0).phone_number(NUMBER_ID)
    error = caught.value
    assert (error.status, error.code, error.kind) == (status, code, kind)
    assert words in error.message
    assert "the vendor's words" in error.message and "AbC123" in error.message
    assert TOKEN not in error.message


def test_a_refused_token_is_not_retried_and_a_503_read_is(graph):
    graph.script = [(503, envelope(2, "temporarily unavailable")), (200, {"id": NUMBER_ID})]
    assert client_for(graph, retries=2).phone_number(NUMBER_ID)["id"] == NUMBER_ID
    assert len(graph.requests) == 2
    graph.requests.clear()
    graph.script = [(401, envelope(190))]
    with pytest.raises(WAApiError):
        client_for(graph, retries=2).phone_number(NUMBER_ID)
    assert len(graph.requests) == 1


@pytest.mark.parametrize("answer", [{"success": True}, {"success": "true"}, {"success": "True"}])
def test_register_accepts_success_as_boolean_or_string(graph, answer):
    graph.script = [(200, answer)]
    assert client_for(graph).register(NUMBER_ID, PIN, BACKUP_PASSWORD, "QkFDS1VQ")["status"] == "applied"


def test_success_of_refuses_anything_else():
    assert not success_of({"success": False})
    assert not success_of({"success": "false"})
    assert not success_of({})
    assert not success_of(None)


@pytest.mark.parametrize("answer", [(503, envelope(2, "down")), (500, {"nothing": 1}), ("close", None)])
def test_register_is_sent_once_whatever_happens(graph, answer):
    graph.script = [answer, (200, {"success": True})]
    client = client_for(graph, retries=3)
    if answer[0] == "close":
        outcome = client.register(NUMBER_ID, PIN, BACKUP_PASSWORD, "QkFDS1VQ")
        assert outcome["status"] == "unconfirmed"
    else:
        with pytest.raises(WAApiError):
            client.register(NUMBER_ID, PIN, BACKUP_PASSWORD, "QkFDS1VQ")
    assert [r["path"] for r in graph.requests] == [f"/v23.0/{NUMBER_ID}/register"]


def test_register_without_success_may_have_been_applied(graph):
    graph.script = [(200, {"success": False})]
    with pytest.raises(WAApiError) as caught:
        client_for(graph).register(NUMBER_ID, PIN, BACKUP_PASSWORD, "QkFDS1VQ")
    assert "may or may not have been applied" in caught.value.message
    assert caught.value.sent is True


def test_register_streams_the_backup_file_in_the_documented_body(graph, tmp_path):
    data = "QkFDS1VQ" * 5000 + 'with "quotes" and \\ too'
    dest = tmp_path / "number.backup"
    write_backup(str(dest), data, manifest_fields={"phone_number": "15550001111"})
    text = verify_backup(str(dest))["text"]
    graph.script = [(200, {"success": True})]
    client_for(graph).register(NUMBER_ID, PIN, BACKUP_PASSWORD, text)
    sent = json.loads(graph.requests[0]["body"])
    assert sent == {"messaging_product": "whatsapp", "pin": PIN, "backup": {"data": data, "password": BACKUP_PASSWORD}}
    assert graph.requests[0]["headers"]["Content-Type"] == "application/json"


def test_secrets_echoed_by_the_api_are_scrubbed(graph):
    graph.script = [(400, envelope(100, f"pin {PIN} and password {BACKUP_PASSWORD} and token {TOKEN}"))]
    with pytest.raises(WAApiError) as caught:
        client_for(graph).register(NUMBER_ID, PIN, BACKUP_PASSWORD, "QkFDS1VQ")
    for secret in (PIN, BACKUP_PASSWORD, TOKEN):
        assert secret not in caught.value.message
    assert "Check pin (6 digits), backup_password" in caught.value.message


def test_transport_errors_speak_of_graph_url(graph):
    port = graph.server_address[1]
    graph.shutdown()
    graph.server_close()
    client = GraphClient(graph_url=f"http://127.0.0.1:{port}", access_token=TOKEN, retries=0)
    with pytest.raises(WAApiError) as caught:
        client.phone_number(NUMBER_ID)
    message = caught.value.message
    assert "graph_url" in message and "api_url" not in message and "Webapp" not in message
    assert caught.value.sent is False


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"access_token": ""}, "access_token is empty"),
        ({"api_version": "23"}, "graph_api_version '23'"),
        ({"graph_url": "graph.facebook.com"}, "graph_url 'graph.facebook.com' is not an http(s) URL"),
    ],
)
def test_bad_configuration_is_refused_before_sending(kwargs, words):
    options = {"graph_url": "https://graph.example.invalid", "access_token": TOKEN, "api_version": "v23.0"}
    options.update(kwargs)
    with pytest.raises(WAApiError) as caught:
        GraphClient(**options)
    assert words in caught.value.message and caught.value.kind == "config"


def test_an_id_that_is_not_digits_is_refused(graph):
    with pytest.raises(WAApiError) as caught:
        client_for(graph).phone_number("+15550001111")
    assert "not a Graph ID" in caught.value.message
    assert graph.requests == []


@pytest.mark.parametrize("answer", [(418, {"no": "envelope"}), (404, {"nothing": "here"})])
def test_answers_without_the_envelope_speak_of_the_graph_api(graph, answer):
    graph.script = [answer]
    with pytest.raises(WAApiError) as caught:
        client_for(graph, retries=0).phone_number(NUMBER_ID)
    message = caught.value.message
    assert f"HTTP {answer[0]}" in message
    assert "api_url" not in message and "the client" not in message
