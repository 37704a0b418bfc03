# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the wa_restore module, against the fake API over real sockets."""

import hashlib
import json
import os

import pytest

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import write_backup
from ansible_collections.wabiz.migration.plugins.modules import wa_restore
from ansible_collections.wabiz.migration.tests.unit.wa_fake_api import (
    ADMIN_PASSWORD,
    BACKUP_PASSWORD,
    USER_PASSWORD,
    run_module,
    warnings_of,
)

RESTORE = "/v1/settings/restore"


@pytest.fixture
def backup(fake_wa, tmp_path):
    """A backup of a single-instance source, written as wa_backup does; the fake is then a new target."""
    data = fake_wa.make_backup(BACKUP_PASSWORD)
    path = tmp_path / "wa.backup"
    write_backup(str(path), data, {"shards": 1, "topology": "single", "version": "v2.45.1"})
    fake_wa.unregister()
    return path


@pytest.fixture
def args(fake_wa, backup):
    return {
        "api_url": fake_wa.url,
        "password": ADMIN_PASSWORD,
        "backup_password": BACKUP_PASSWORD,
        "src": str(backup),
        "retries": 0,
        "timeout": 5,
    }


def no_secret(raw, *extra):
    for secret in (ADMIN_PASSWORD, USER_PASSWORD, BACKUP_PASSWORD, *extra):
        assert secret not in raw


def restores(fake_wa):
    return fake_wa.requests("POST", RESTORE)


def test_restore_from_src(fake_wa, args, backup):
    failed, result, raw = run_module(wa_restore, args)
    assert not failed, result
    assert result["changed"] is True
    assert result["restore_status"] == "applied"
    assert result["restart_required"] is True
    assert result["checksum"] == hashlib.sha256(backup.read_bytes()).hexdigest()
    assert result["manifest"]["shards"] == 1
    assert result["target"] == {
        "registered": False,
        "shards": 1,
        "masters": 0,
        "coreapps": 1,
        "version": "v2.45.1",
        "gateway_status": "unregistered",
    }
    assert len(restores(fake_wa)) == 1 and len(fake_wa.restored) == 1
    no_secret(raw, backup.read_text())


@pytest.mark.parametrize("source", ["src", "data"])
def test_restore_body_is_the_data_stripped_of_white_space(fake_wa, args, backup, source):
    data = backup.read_text()
    padded = f"\n  {data}\n\n"
    del args["src"]
    if source == "src":
        backup.write_text(padded)
        args.update(src=str(backup), checksum=hashlib.sha256(padded.encode()).hexdigest(), manifest=None)
        os.unlink(str(backup) + ".manifest.json")
    else:
        args.update(data=padded, checksum=hashlib.sha256(padded.encode()).hexdigest())
    failed, result, _raw = run_module(wa_restore, args)
    assert not failed, result
    assert fake_wa.restore_bodies == [json.dumps({"password": BACKUP_PASSWORD, "data": data}).encode()]


def test_file_that_is_not_text_sends_nothing(fake_wa, args, backup):
    payload = b"\xff\xfe" + backup.read_bytes()
    backup.write_bytes(payload)
    args["checksum"] = hashlib.sha256(payload).hexdigest()
    os.unlink(str(backup) + ".manifest.json")
    failed, result, _raw = run_module(wa_restore, args)
    assert failed
    assert (
        result["msg"]
        == f"The backup file {backup} is not text: it is not a backup written by wa_backup. Nothing was sent."
    )
    assert fake_wa.log == []


@pytest.mark.parametrize("mode", ["null", "empty", "meta"])
def test_success_answers(fake_wa, args, mode):
    fake_wa.restore_mode = mode
    failed, result, _raw = run_module(wa_restore, args)
    assert not failed and result["restore_status"] == "applied"


def test_connection_closed_after_sending_is_unconfirmed(fake_wa, args):
    fake_wa.restore_mode = "close"
    failed, result, raw = run_module(wa_restore, args)
    assert not failed, result
    assert result["restore_status"] == "unconfirmed"
    assert result["restart_required"] is True and result["changed"] is True
    (warning,) = [w for w in warnings_of(result) if "it may have been applied" in w]
    assert "shuts down after an import" in warning and "Do not send it again" in warning and "wa_info" in warning
    assert len(restores(fake_wa)) == 1  # never resent
    no_secret(raw)


def test_proxy_gateway_error_after_sending_is_unconfirmed(fake_wa, args):
    fake_wa.fault(status=502, body="<html><h1>502 Bad Gateway</h1></html>", ctype="text/html", path=RESTORE)
    failed, result, _raw = run_module(wa_restore, args)
    assert not failed, result
    assert result["restore_status"] == "unconfirmed" and result["restart_required"] is True
    assert any("it may have been applied" in w and "HTTP 502" in w for w in warnings_of(result))
    assert len(restores(fake_wa)) == 1


def test_restore_from_data_with_checksum(fake_wa, args, backup):
    data = backup.read_text()
    del args["src"]
    args.update(data=data, checksum=hashlib.sha256(data.encode()).hexdigest())
    failed, result, raw = run_module(wa_restore, args)
    assert not failed, result
    assert result["restore_status"] == "applied" and result["manifest"] is None
    assert any("shard check was skipped" in w for w in warnings_of(result))
    assert data not in raw


def test_data_with_wrong_checksum_sends_nothing(fake_wa, args, backup):
    del args["src"]
    args.update(data=backup.read_text(), checksum="0" * 64)
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and "Checksum mismatch" in result["msg"]
    assert fake_wa.log == []


def test_data_with_manifest(fake_wa, args, backup):
    del args["src"]
    args.update(data=backup.read_text(), manifest=str(backup) + ".manifest.json")
    failed, result, _raw = run_module(wa_restore, args)
    assert not failed and result["manifest"]["shards"] == 1


def test_tampered_file_sends_nothing(fake_wa, args, backup):
    data = backup.read_text()
    backup.write_text(data[:-4] + "AAA=")
    failed, result, raw = run_module(wa_restore, args)
    assert failed
    assert "Checksum mismatch" in result["msg"] and "Nothing was sent" in result["msg"]
    assert fake_wa.log == []  # not even a login
    no_secret(raw, data)


def test_truncated_file_sends_nothing(fake_wa, args, backup):
    backup.write_text(backup.read_text()[:10])
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and "truncated" in result["msg"]
    assert fake_wa.log == []


def test_missing_file_sends_nothing(fake_wa, args, tmp_path):
    args["src"] = str(tmp_path / "missing.backup")
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and "does not exist" in result["msg"]
    assert fake_wa.log == []


def test_missing_manifest_sends_nothing(fake_wa, args, backup):
    os.unlink(str(backup) + ".manifest.json")
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and "manifest" in result["msg"] and "checksum" in result["msg"]
    assert fake_wa.log == []


def test_registered_target_is_refused(fake_wa, args):
    fake_wa.health = {"gateway_status": "connected"}
    failed, result, _raw = run_module(wa_restore, args)
    assert failed
    msg = result["msg"]
    assert "is registered (gateway_status: connected)" in msg and "allow_registered: true" in msg
    assert "overwrite" in msg
    assert restores(fake_wa) == []
    assert result["target"]["registered"] is True


def test_allow_registered_overwrites(fake_wa, args):
    fake_wa.health = {"gateway_status": "connected"}
    args["allow_registered"] = True
    failed, result, _raw = run_module(wa_restore, args)
    assert not failed and result["restore_status"] == "applied"
    assert result["target"]["registered"] is True


def test_shard_mismatch_is_refused(fake_wa, args, tmp_path):
    data = fake_wa.make_backup(BACKUP_PASSWORD)
    path = tmp_path / "two.backup"
    write_backup(str(path), data, {"shards": 2, "topology": "multiconnect"})
    args["src"] = str(path)
    failed, result, _raw = run_module(wa_restore, args)
    assert failed
    assert "taken from 2 shard(s) but the target" in result["msg"] and "and the target 1" in result["msg"]
    assert result["restore_status"] == "not_sent"
    assert restores(fake_wa) == []


def test_multiconnect_target_shards_from_health(fake_wa, args, tmp_path):
    fake_wa.use_multiconnect(coreapps=2, registered=False)
    data = fake_wa.make_backup(BACKUP_PASSWORD)
    path = tmp_path / "two.backup"
    write_backup(str(path), data, {"shards": 2, "topology": "multiconnect"})
    args["src"] = str(path)
    failed, result, _raw = run_module(wa_restore, args)
    assert not failed, result
    # An unregistered target's shard count cannot be read: its Coreapps are counted.
    assert result["target"]["shards"] is None and result["target"]["coreapps"] == 2


def test_unregistered_target_with_standby_coreapps_takes_the_backup(fake_wa, args, tmp_path):
    fake_wa.use_multiconnect(coreapps=3, registered=False)  # 2 shards + 1 standby (HA + multiconnect)
    path = tmp_path / "two.backup"
    write_backup(str(path), fake_wa.make_backup(BACKUP_PASSWORD), {"shards": 2})
    args["src"] = str(path)
    failed, result, _raw = run_module(wa_restore, args)
    assert not failed, result
    assert len(restores(fake_wa)) == 1


def test_unregistered_target_with_too_few_coreapps_is_refused(fake_wa, args, tmp_path):
    fake_wa.use_multiconnect(coreapps=1, registered=False)
    path = tmp_path / "two.backup"
    write_backup(str(path), fake_wa.make_backup(BACKUP_PASSWORD), {"shards": 2})
    args["src"] = str(path)
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and "runs only 1 Coreapp(s)" in result["msg"] and restores(fake_wa) == []


def test_declared_shards_are_compared_for_equality(fake_wa, args, tmp_path):
    fake_wa.use_multiconnect(coreapps=4, registered=False)
    path = tmp_path / "two.backup"
    write_backup(str(path), fake_wa.make_backup(BACKUP_PASSWORD), {"shards": 2})
    args.update(src=str(path), shards=4)
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and "the source has 2 shard(s) and the target 4" in result["msg"] and restores(fake_wa) == []


def test_target_not_ready_is_refused(fake_wa, args):
    fake_wa.health = {"gateway_status": "uninitialized"}
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and "is not ready" in result["msg"] and "wait_for: ready" in result["msg"]
    assert restores(fake_wa) == []


def test_check_mode_runs_every_check_and_sends_nothing(fake_wa, args):
    failed, result, _raw = run_module(wa_restore, args, check_mode=True)
    assert not failed
    assert result["changed"] is True and result["restore_status"] == "would_apply"
    assert fake_wa.requests("GET", "/v1/health")
    assert restores(fake_wa) == []
    fake_wa.health = {"gateway_status": "connected"}
    failed, result, _raw = run_module(wa_restore, args, check_mode=True)
    assert failed and "is registered" in result["msg"]


def test_wrong_backup_password(fake_wa, args):
    args["backup_password"] = "Wrong-Backup#1"
    failed, result, raw = run_module(wa_restore, args)
    assert failed
    assert "backup_password" in result["msg"] and result["error"]["code"] == 1009
    assert len(restores(fake_wa)) == 1
    no_secret(raw, "Wrong-Backup#1")


def test_wrong_api_password(fake_wa, args):
    args["password"] = "Wrong-Api-pw9!"
    failed, result, raw = run_module(wa_restore, args)
    assert failed and "Check username and password" in result["msg"]
    assert restores(fake_wa) == []
    no_secret(raw, "Wrong-Api-pw9!")


def test_non_admin_user(fake_wa, args):
    args.update(username="bob", password=USER_PASSWORD)
    failed, result, raw = run_module(wa_restore, args)
    assert failed and "need the admin user" in result["msg"]
    no_secret(raw)


def test_unreachable_host(args, free_port):
    args["api_url"] = f"http://127.0.0.1:{free_port}"
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and "Connection refused" in result["msg"]


def test_self_signed_certificate_without_ca_path(fake_wa_tls, args, tls):
    fake_wa_tls.unregister()
    args["api_url"] = fake_wa_tls.url
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and "set ca_path" in result["msg"]
    assert fake_wa_tls.log == []
    args["ca_path"] = tls.ca
    failed, result, _raw = run_module(wa_restore, args)
    assert not failed, result["msg"]


def test_transient_error_on_restore_is_not_retried(fake_wa, args):
    args.update(retries=3, retry_backoff=0.01)
    fake_wa.fault(status=503, body={"errors": [{"code": 1011, "title": "Service not ready"}]}, path=RESTORE)
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and result["error"]["code"] == 1011
    assert len(restores(fake_wa)) == 1


def test_html_answer_to_health_sends_nothing(fake_wa, args):
    fake_wa.fault(status=200, body="<html>Welcome to nginx!</html>", ctype="text/html", path="/v1/health")
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and "not the API's JSON" in result["msg"]
    assert restores(fake_wa) == []


def test_health_that_is_not_health_sends_nothing(fake_wa, args):
    fake_wa.health = {"something": "else"}
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and "Not a health object" in result["msg"] and "Nothing was sent" in result["msg"]
    assert restores(fake_wa) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"data": "abc"}, "parameters are mutually exclusive: src|data"),
        ({"src": None}, "one of the following is required: src, data"),
        ({"shards": 0}, "shards must be at least 1 (got 0)"),
        ({"restore_timeout": 0}, "restore_timeout must be at least 1 s: an import takes longer than that (got 0)"),
        ({"backup_password": None}, "missing required arguments: backup_password"),
    ],
)
def test_argument_validation(fake_wa, args, change, message):
    for key, value in change.items():
        if value is None:
            del args[key]
        else:
            args[key] = value
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and message in result["msg"]
    assert fake_wa.log == []


def test_secrets_are_no_log(fake_wa, args, backup):
    del args["src"]
    args.update(data=backup.read_text(), checksum=hashlib.sha256(backup.read_bytes()).hexdigest())
    _failed, result, raw = run_module(wa_restore, args)
    module_args = result["invocation"]["module_args"]
    for key in ("data", "backup_password", "password"):
        assert module_args[key] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert json.loads(raw)["restore_status"] == "applied"


def test_clean_refusal_is_reported_as_not_applied(fake_wa, args):
    # A peer's mock answers a backup it cannot decrypt with HTTP 500 and the API's envelope.
    body = {"errors": [{"code": 1014, "title": "Internal error", "details": "cannot decrypt"}]}
    fake_wa.fault(status=500, body=body, path=RESTORE)
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and result["restore_status"] == "refused"
    assert "it was not applied" in result["msg"] and len(restores(fake_wa)) == 1


def test_nothing_sent_is_reported_as_not_sent(fake_wa, args):
    fake_wa.use_multiconnect(coreapps=1, registered=False)
    args["shards"] = 4
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and result["restore_status"] == "not_sent" and restores(fake_wa) == []


def test_other_masters_or_coreapps_than_the_backups_source_are_refused(fake_wa, args, tmp_path):
    fake_wa.use_multiconnect(coreapps=3, registered=False)
    path = tmp_path / "two.backup"
    write_backup(str(path), fake_wa.make_backup(BACKUP_PASSWORD), {"shards": 2, "masters": 1, "coreapps": 2})
    args["src"] = str(path)
    failed, result, _raw = run_module(wa_restore, args)
    assert failed and "the source runs 2 Coreapp(s) and the target 3" in result["msg"] and restores(fake_wa) == []
