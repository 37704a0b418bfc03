# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input, each with a clear message before anything changes.

"Nothing changed" is proven on the real processes: the target still runs, its request log holds
no accepted ``POST /v1/settings/restore`` and its state (registration, settings, identity key,
generation) is the same; backup files and manifests keep their bytes. Each test also shows what
was sent: no restore request at all, except where only the client can tell (a wrong backup
password, a user without admin rights), where it refused the one request.
"""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wa_emulator.launcher import free_port

RESTORE = ("POST", "/v1/settings/restore")
WRONG_PASSWORD = "Wr0ng-Passw0rd!"
# Fail at once instead of retrying what is meant to fail.
NO_RETRY = {"retries": 0, "timeout": 2}


def restore_refused(play, target, src, backup_password, **args):
    """Run wa_restore onto ``target`` and prove it failed and changed nothing.

    Returns (msg, the API requests the module made to ``target``).
    """
    src_before = src.read_bytes() if src.exists() else None
    before = target.snapshot()

    run = play([target.task("Restore", "wa_restore", backup_password=backup_password, src=str(src), **args)])

    result = run.result("Restore")
    assert result.get("failed") is True, result
    assert result["changed"] is False
    target.assert_unchanged(before)
    assert (src.read_bytes() if src.exists() else None) == src_before
    return result["msg"], target.api_requests_since(before)


def statuses(requests):
    return [(r["method"], r["path"], r["status"]) for r in requests]


def calls(requests):
    return [(r["method"], r["path"]) for r in requests]


# -- credentials and rights --------------------------------------------------------------------


def test_wrong_api_password(play, target, backup_file, source_backup):
    msg, sent = restore_refused(play, target, backup_file, source_backup.password, password=WRONG_PASSWORD)
    assert msg.startswith("POST /v1/users/login failed: HTTP 401, API error 1005")
    assert "Check username and password (the API user's, not the backup password)." in msg
    assert statuses(sent) == [("POST", "/v1/users/login", 401)]


def test_wrong_backup_password(play, target, backup_file):
    msg, sent = restore_refused(play, target, backup_file, WRONG_PASSWORD)
    assert msg.startswith("POST /v1/settings/restore failed: HTTP 400")
    assert "Check backup_password (it must be the one given when the backup was made)" in msg
    assert ("POST", "/v1/settings/restore", 400) in statuses(sent)


def test_non_admin_user(play, target, backup_file, source_backup):
    target.add_user("operator", "Operat0r-Pass!")
    msg, sent = restore_refused(
        play, target, backup_file, source_backup.password, username="operator", password="Operat0r-Pass!"
    )
    assert msg.startswith("POST /v1/settings/restore failed: HTTP 403")
    assert "Backup and restore need the admin user: log in as admin (username is 'operator')." in msg
    assert ("POST", "/v1/settings/restore", 403) in statuses(sent)


# -- the backup file and its manifest: refused before anything is sent -------------------------


def test_missing_file(play, target, backup_file, source_backup):
    missing = backup_file.with_name("no-such.backup")
    msg, sent = restore_refused(play, target, missing, source_backup.password)
    assert msg == f"The backup file {missing} does not exist: check src. Nothing was sent."
    assert sent == []


def test_empty_file(play, target, backup_file, source_backup):
    backup_file.write_bytes(b"")
    msg, sent = restore_refused(play, target, backup_file, source_backup.password)
    assert msg.startswith(f"The backup file {backup_file} is empty (0 bytes): it is truncated or was never written.")
    assert sent == []


def test_truncated_file(play, target, backup_file, source_backup):
    size = backup_file.stat().st_size
    backup_file.write_bytes(backup_file.read_bytes()[: size // 2])
    msg, sent = restore_refused(play, target, backup_file, source_backup.password)
    assert f"has {size // 2} bytes but {backup_file}.manifest.json says {size}: the file is truncated" in msg
    assert msg.endswith("Nothing was sent.")
    assert sent == []


def test_tampered_file(play, target, backup_file, source_backup):
    data = bytearray(backup_file.read_bytes())
    middle = len(data) // 2
    data[middle] = ord("A") if data[middle] != ord("A") else ord("B")  # same size, one character changed
    backup_file.write_bytes(bytes(data))
    msg, sent = restore_refused(play, target, backup_file, source_backup.password)
    assert msg.startswith(f"Checksum mismatch: the backup file {backup_file} has sha256 ")
    assert "the file was changed or corrupted. Do not restore it" in msg
    assert sent == []


def test_checksum_mismatch(play, target, backup_file, source_backup):
    msg, sent = restore_refused(play, target, backup_file, source_backup.password, checksum="0" * 64)
    assert msg.startswith(f"Checksum mismatch: the backup file {backup_file} has sha256 ")
    assert f"but checksum is {'0' * 64}" in msg
    assert sent == []


def test_manifest_from_another_shard_count(play, target, backup_file, source_backup):
    manifest_path = backup_file.with_name(backup_file.name + ".manifest.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["shards"] == 1
    manifest_path.write_text(json.dumps({**manifest, "shards": 2}))
    msg, sent = restore_refused(play, target, backup_file, source_backup.password)
    assert msg.startswith(f"Shard mismatch: the backup was taken from 2 shard(s) but the target {target.url} does not")
    assert "the source has 2 shard(s) and the target 1" in msg
    assert RESTORE not in calls(sent)


# -- the target ----------------------------------------------------------------------------------


def test_shard_mismatch(emulators, play, backup_file, source_backup):
    target = emulators.target("--coreapps", "2")
    msg, sent = restore_refused(play, target, backup_file, source_backup.password)
    # The vendor's rule: the backup's source ran 1 Coreapp (and no Master), the target 2 Coreapps and a Master.
    assert msg.startswith(f"Shard mismatch: the backup was taken from 1 shard(s) but the target {target.url} does not")
    assert "the source runs 1 Coreapp(s) and the target 2" in msg
    assert msg.endswith("Nothing was sent.")
    assert RESTORE not in calls(sent)


def test_registered_target(emulators, play, backup_file, source_backup):
    target = emulators.start("registered-target", "--state", "registered", "--phone", "15557770000")
    msg, sent = restore_refused(play, target, backup_file, source_backup.password)
    assert msg.startswith(f"The target {target.url} is registered (gateway_status: connected)")
    assert "set allow_registered: true to overwrite it. Nothing was sent." in msg
    assert RESTORE not in calls(sent)


# -- transport: where api_url points and what answers there --------------------------------------


@pytest.mark.parametrize("tls", ["self-signed", "private-ca"])
def test_certificate_not_trusted_without_ca_path(emulators, private_ca, play, backup_file, source_backup, tls):
    target = emulators.target(tls=private_ca if tls == "private-ca" else "self-signed")
    msg, sent = restore_refused(play, target, backup_file, source_backup.password, ca_path=None, **NO_RETRY)
    assert msg.startswith(f"TLS certificate verification failed for {target.url} (")
    assert "set ca_path to the CA certificate (PEM) that signed it" in msg
    assert sent == []


@pytest.fixture
def port_that_never_answers():
    """A port whose connection queue is full: connecting times out, as with a host behind a dropping firewall."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    queued = []
    try:
        for _connection in range(8):  # the queue holds one or two connections
            probe = socket.socket()
            probe.settimeout(1)
            try:
                probe.connect(("127.0.0.1", port))
            except TimeoutError:
                probe.close()
                break
            queued.append(probe)
        else:
            pytest.fail("the connection queue never filled up")
        yield port
    finally:
        for sock in [*queued, listener]:
            sock.close()


def test_unreachable_host(play, target, backup_file, source_backup, port_that_never_answers):
    url = f"http://127.0.0.1:{port_that_never_answers}"
    msg, sent = restore_refused(play, target, backup_file, source_backup.password, api_url=url, **NO_RETRY)
    assert msg.startswith(f"No connection to {url} within 2s (POST /v1/users/login).")
    assert "that the host is reachable (firewall, network)" in msg
    assert sent == []


def test_wrong_port(play, target, backup_file, source_backup):
    url = f"http://127.0.0.1:{free_port()}"
    msg, sent = restore_refused(play, target, backup_file, source_backup.password, api_url=url, **NO_RETRY)
    assert msg.startswith(f"Connection refused by {url} (POST /v1/users/login): nothing listens there.")
    assert sent == []


def test_plain_http_to_the_https_port(emulators, private_ca, play, backup_file, source_backup):
    target = emulators.target(tls=private_ca)
    url = target.url.replace("https://", "http://")
    msg, sent = restore_refused(play, target, backup_file, source_backup.password, api_url=url, **NO_RETRY)
    assert f"{url} closed the connection without answering POST /v1/users/login." in msg
    assert "api_url uses plain http://: if this port serves HTTPS (the client's default), use https://." in msg
    assert sent == []


def test_https_to_a_plain_http_port(play, target, backup_file, source_backup):
    url = target.url.replace("http://", "https://")
    msg, sent = restore_refused(play, target, backup_file, source_backup.password, api_url=url, **NO_RETRY)
    assert msg.startswith(f"TLS handshake with {url} failed: the server does not speak TLS on this port.")
    assert [r["path"] for r in sent] in ([], ["-"])  # at most the TLS hello, logged as a request it could not read


def test_html_page_of_a_proxy(play, target, backup_file, source_backup):
    target.set_faults({"html_next": 5, "paths": ["/v1/health"]})
    msg, sent = restore_refused(play, target, backup_file, source_backup.password, **NO_RETRY)
    assert msg.startswith(f"GET /v1/health: HTTP 502 from {target.url} answered text/html, not the API's JSON:")
    assert "The answer begins: '502 Bad Gateway" in msg
    assert statuses(sent) == [("POST", "/v1/users/login", 200), ("GET", "/v1/health", 502)]


class AlwaysOk(BaseHTTPRequestHandler):
    """Answers every request 200 with a JSON body that is not the API's, and remembers it."""

    def answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append((self.command, self.path))
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = answer

    def log_message(self, *args):
        pass


@pytest.fixture
def not_the_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), AlwaysOk)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_ok_answer_with_an_unexpected_body(play, target, backup_file, source_backup, not_the_api):
    url = f"http://127.0.0.1:{not_the_api.server_address[1]}"
    msg, _requests = restore_refused(play, target, backup_file, source_backup.password, api_url=url)
    assert msg.startswith("POST /v1/users/login: HTTP 200 but the answer has no users[0].token (keys: status).")
    assert "Is api_url pointing at a WhatsApp Business API client" in msg
    msg, _requests = restore_refused(
        play, target, backup_file, source_backup.password, api_url=url, password=None, token="not-a-real-token"
    )
    assert msg.startswith("GET /v1/health: HTTP 200 but the answer has no health object (keys: status).")
    assert not_the_api.seen == [("POST", "/v1/users/login"), ("GET", "/v1/health")]


# -- the module's arguments ------------------------------------------------------------------------

MISSING = {
    "backup_password": ("wa_restore", "missing required arguments: backup_password"),
    "src or data": ("wa_restore", "one of the following is required: src, data"),
    "api_url": ("wa_restore", "api_url is required: give the client's URL"),
    "password or token": ("wa_restore", "one of the following is required: password, token"),
    "dest": ("wa_backup", "missing required arguments: dest"),
}


def test_missing_arguments(play, target, backup_file, source_backup):
    complete = {
        "wa_restore": {"backup_password": source_backup.password, "src": str(backup_file)},
        "wa_backup": {"backup_password": source_backup.password, "dest": str(backup_file.with_name("new.backup"))},
    }
    left_out = {"src or data": ("src",), "password or token": ("password",), "api_url": ("api_url",)}
    tasks = []
    for missing, (module, _message) in MISSING.items():
        task = target.task(f"Without {missing}", module, keywords={"ignore_errors": True}, **complete[module])
        for option in left_out.get(missing, (missing,)):
            task[f"wabiz.migration.{module}"].pop(option)
        tasks.append(task)
    before = target.snapshot()

    run = play(tasks)

    for missing, (_module, message) in MISSING.items():
        result = run.result(f"Without {missing}")
        assert result.get("failed") is True, result
        assert message in result["msg"]
    assert target.api_requests_since(before) == []
    target.assert_unchanged(before)
    assert not backup_file.with_name("new.backup").exists()


# -- a failed backup leaves the earlier one as it was --------------------------------------------


def test_failed_backups_keep_the_earlier_file(emulators, play, backup_file, not_the_api):
    source = emulators.source()
    source.add_user("operator", "Operat0r-Pass!")
    # Faults fire before authentication: the HTML page goes to the first backup request, and the exit
    # midway to the first one that gets through (the last task; the process is gone afterwards).
    source.set_faults({"html_next": 1, "paths": ["/v1/settings/backup"], "backup_exit_midway": 1})
    fake = f"http://127.0.0.1:{not_the_api.server_address[1]}"
    cases = {
        "HTML page of a proxy": ({}, f"POST /v1/settings/backup: HTTP 502 from {source.url} answered text/html"),
        "wrong API password": ({"password": WRONG_PASSWORD}, "POST /v1/users/login failed: HTTP 401"),
        "non-admin user": (
            {"username": "operator", "password": "Operat0r-Pass!"},
            "Backup and restore need the admin user: log in as admin (username is 'operator').",
        ),
        "unexpected answer": ({"api_url": fake}, "POST /v1/users/login: HTTP 200 but the answer has no users[0].token"),
        "client exiting midway": ({}, f"The answer of {source.url} to POST /v1/settings/backup was cut off"),
    }
    files = sorted(backup_file.parent.iterdir())
    contents = {path: path.read_bytes() for path in files}

    run = play(
        [
            source.task(
                f"Back up ({case})",
                "wa_backup",
                keywords={"ignore_errors": True},
                backup_password="Any-Backup-Pa55!",
                dest=str(backup_file),
                force=True,
                **NO_RETRY,
                **args,
            )
            for case, (args, _message) in cases.items()
        ]
    )

    for case, (_args, message) in cases.items():
        result = run.result(f"Back up ({case})")
        assert result.get("failed") is True, result
        assert message in result["msg"], case
    assert sorted(backup_file.parent.iterdir()) == files  # no temporary file left either
    assert {path: path.read_bytes() for path in files} == contents
    assert source.wait_exit(10) == 1
