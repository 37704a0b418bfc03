# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the wa_backup module, against the fake API over real sockets."""

import hashlib
import json
import os
import stat

import pytest

from ansible_collections.wabiz.migration.plugins.modules import wa_backup
from ansible_collections.wabiz.migration.tests.unit.wa_fake_api import (
    ADMIN_PASSWORD,
    BACKUP_PASSWORD,
    USER_PASSWORD,
    run_module,
    warnings_of,
)


@pytest.fixture
def args(fake_wa, tmp_path):
    return {
        "api_url": fake_wa.url,
        "password": ADMIN_PASSWORD,
        "backup_password": BACKUP_PASSWORD,
        "dest": str(tmp_path / "wa.backup"),
        "retries": 0,
        "timeout": 5,
    }


def no_secret(raw, *extra):
    for secret in (ADMIN_PASSWORD, USER_PASSWORD, BACKUP_PASSWORD, *extra):
        assert secret not in raw


def test_backup_writes_file_and_manifest(fake_wa, args, tmp_path):
    args["metadata"] = {"environment": "prod", "ticket": "OPS-1"}
    failed, result, raw = run_module(wa_backup, args)
    assert not failed, result
    dest = tmp_path / "wa.backup"
    data = dest.read_text()
    assert data == fake_wa.make_backup(BACKUP_PASSWORD)
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert result["changed"] is True
    assert result["dest"] == str(dest)
    assert result["manifest_path"] == str(dest) + ".manifest.json"
    assert result["checksum"] == hashlib.sha256(data.encode()).hexdigest()
    assert result["size"] == len(data)
    manifest = json.loads((tmp_path / "wa.backup.manifest.json").read_text())
    assert result["manifest"] == manifest
    assert manifest["format"] == 1
    assert manifest["shards"] == 1 and manifest["topology"] == "single"
    assert manifest["version"] == "v2.45.1"
    assert manifest["phone_number"] == "15550001111"
    assert manifest["api_url"] == fake_wa.url
    assert manifest["metadata"] == {"environment": "prod", "ticket": "OPS-1"}
    assert manifest["sha256"] == result["checksum"] and manifest["size"] == result["size"]
    assert "data" not in result
    no_secret(raw, data)
    no_secret(json.dumps(manifest), data)


def test_backup_of_multiconnect_records_shards(fake_wa, args):
    fake_wa.use_multiconnect(coreapps=3, connected=2)
    failed, result, _raw = run_module(wa_backup, args)
    assert not failed
    assert result["manifest"]["shards"] == 2
    assert result["manifest"]["topology"] == "multiconnect"


def test_without_account_endpoint_manifest_has_no_phone(fake_wa, args):
    fake_wa.account = None
    failed, result, _raw = run_module(wa_backup, args)
    assert not failed
    assert "phone_number" not in result["manifest"]


def test_existing_dest_is_not_overwritten(fake_wa, args, tmp_path):
    (tmp_path / "wa.backup").write_text("older backup")
    failed, result, _raw = run_module(wa_backup, args)
    assert failed
    assert str(tmp_path / "wa.backup") in result["msg"] and "force" in result["msg"]
    assert (tmp_path / "wa.backup").read_text() == "older backup"
    assert fake_wa.log == []  # nothing asked of the client


def test_force_overwrites_an_earlier_backup(fake_wa, args, tmp_path):
    failed, _result, _raw = run_module(wa_backup, args)
    assert not failed
    (tmp_path / "wa.backup").write_text("x" * len((tmp_path / "wa.backup").read_text()))  # damaged: still ours
    args["force"] = True
    failed, _result, _raw = run_module(wa_backup, args)
    assert not failed
    assert (tmp_path / "wa.backup").read_text() == fake_wa.make_backup(BACKUP_PASSWORD)


def test_force_never_replaces_a_file_the_collection_did_not_write(fake_wa, args, tmp_path):
    (tmp_path / "wa.backup").write_text("someone's notes")
    args["force"] = True
    failed, result, _raw = run_module(wa_backup, args)
    assert failed
    assert result["msg"] == (
        f"{tmp_path / 'wa.backup'} exists and is not a backup written by this collection (there is no manifest "
        "beside it): force only replaces the collection's own backups. Move it away or choose another dest."
    )
    assert (tmp_path / "wa.backup").read_text() == "someone's notes"
    assert fake_wa.log == []


def test_missing_directories_are_created_0700(fake_wa, args, tmp_path):
    dest = tmp_path / "new" / "nested" / "wa.backup"
    args["dest"] = str(dest)
    failed, result, _raw = run_module(wa_backup, args)
    assert not failed, result
    assert dest.read_text() == fake_wa.make_backup(BACKUP_PASSWORD)
    for directory in (tmp_path / "new", tmp_path / "new" / "nested"):
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert sorted(os.listdir(dest.parent)) == ["wa.backup", "wa.backup.manifest.json"]


def test_check_mode_creates_no_directory(fake_wa, args, tmp_path):
    args["dest"] = str(tmp_path / "new" / "wa.backup")
    failed, result, _raw = run_module(wa_backup, args, check_mode=True)
    assert not failed, result
    assert os.listdir(tmp_path) == []
    assert result["manifest"]["sha256"] == hashlib.sha256(fake_wa.make_backup(BACKUP_PASSWORD).encode()).hexdigest()


def test_directory_that_cannot_be_created(fake_wa, args, tmp_path):
    (tmp_path / "file").write_text("a file")
    args["dest"] = str(tmp_path / "file" / "sub" / "wa.backup")
    failed, result, _raw = run_module(wa_backup, args)
    assert failed
    assert (
        result["msg"]
        == f"The directory {tmp_path}/file/sub of dest cannot be created: {tmp_path}/file is not a directory."
    )
    assert fake_wa.log == []  # nothing asked of the client


def test_check_mode_proves_export_and_writes_nothing(fake_wa, args, tmp_path):
    failed, result, raw = run_module(wa_backup, args, check_mode=True)
    assert not failed
    assert result["changed"] is True
    assert os.listdir(tmp_path) == []
    assert fake_wa.requests("POST", "/v1/settings/backup")  # the export was asked for
    assert result["manifest"]["shards"] == 1
    assert len(result["checksum"]) == 64
    no_secret(raw, fake_wa.make_backup(BACKUP_PASSWORD))


def test_check_mode_fails_for_non_admin(fake_wa, args, tmp_path):
    args.update(username="bob", password=USER_PASSWORD)
    failed, result, raw = run_module(wa_backup, args, check_mode=True)
    assert failed
    assert "Backup and restore need the admin user" in result["msg"]
    assert result["error"]["status"] == 403
    assert os.listdir(tmp_path) == []
    no_secret(raw)


def test_wrong_api_password(fake_wa, args, tmp_path):
    args["password"] = "Wrong-Api-pw9!"
    failed, result, raw = run_module(wa_backup, args)
    assert failed
    assert "Check username and password" in result["msg"]
    assert result["error"]["status"] == 401
    assert os.listdir(tmp_path) == []
    no_secret(raw, "Wrong-Api-pw9!")


def test_unreachable_host(args, free_port, tmp_path):
    args["api_url"] = f"http://127.0.0.1:{free_port}"
    failed, result, raw = run_module(wa_backup, args)
    assert failed
    assert "Connection refused" in result["msg"]
    assert os.listdir(tmp_path) == []
    no_secret(raw)


def test_self_signed_certificate_without_ca_path(fake_wa_tls, args, tls, tmp_path):
    args["api_url"] = fake_wa_tls.url
    failed, result, _raw = run_module(wa_backup, args)
    assert failed
    assert "ca_path" in result["msg"] and "certificate verification failed" in result["msg"]
    assert fake_wa_tls.log == []
    args["ca_path"] = tls.ca
    failed, result, _raw = run_module(wa_backup, args)
    assert not failed, result["msg"]


def test_unregistered_source(fake_wa, args, tmp_path):
    fake_wa.unregister()
    failed, result, _raw = run_module(wa_backup, args)
    assert failed
    assert "is not registered" in result["msg"]
    assert not fake_wa.requests("POST", "/v1/settings/backup")


def test_answer_without_data_writes_nothing(fake_wa, args, tmp_path):
    fake_wa.backup_body = {"settings": {"other": 1}, "meta": {"version": "v2.45.1"}}
    failed, result, _raw = run_module(wa_backup, args)
    assert failed
    assert "settings.data" in result["msg"]
    assert os.listdir(tmp_path) == []


def test_html_answer_writes_nothing(fake_wa, args, tmp_path):
    fake_wa.fault(status=502, body="<html><h1>502 Bad Gateway</h1></html>", ctype="text/html", path="/v1/settings/b")
    failed, result, _raw = run_module(wa_backup, args)
    assert failed
    assert "a proxy or another service answered" in result["msg"]
    assert os.listdir(tmp_path) == []


def test_escaped_answer_is_written_decoded(fake_wa, args, tmp_path):
    """A client behind PHP escapes slashes: the file holds the data, not its JSON."""
    data = fake_wa.make_backup(BACKUP_PASSWORD) + "/+/=="
    fake_wa.backup_body = json.dumps({"settings": {"data": data}, "meta": {"version": "v2.45.1"}}).replace("/", "\\/")
    failed, result, raw = run_module(wa_backup, args)
    assert not failed, result
    assert (tmp_path / "wa.backup").read_text() == data
    assert result["checksum"] == hashlib.sha256(data.encode()).hexdigest()
    no_secret(raw, data)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("<html><h1>Welcome</h1></html>", "a proxy or another service answered"),
        ('{"settings": {"data": "QUJD\\x"}}', "settings.data is not a valid JSON string"),
        ('{"settings": {"data": "QUJD', "the answer ends inside settings.data: it was cut off"),
    ],
    ids=["html", "bad-escape", "truncated"],
)
def test_success_answer_of_the_wrong_shape_writes_nothing(fake_wa, args, tmp_path, answer, message):
    fake_wa.fault(status=200, body=answer, ctype="text/html" if "html" in answer else None, path="/v1/settings/b")
    failed, result, raw = run_module(wa_backup, args)
    assert failed
    assert message in result["msg"]
    assert os.listdir(tmp_path) == []  # the temporary file is gone, nothing was published
    no_secret(raw)


def test_connection_broken_mid_answer_writes_nothing(fake_wa, args, tmp_path):
    body = {"settings": {"data": fake_wa.make_backup(BACKUP_PASSWORD) * 50}}
    fake_wa.fault(status=200, body=body, action="cut", path="/v1/settings/b", times=2)
    args.update(retries=1, retry_backoff=0.01)
    failed, result, raw = run_module(wa_backup, args)
    assert failed
    assert "was cut off" in result["msg"]
    assert len(fake_wa.requests("POST", "/v1/settings/backup")) == 2  # retried once, from the start
    assert os.listdir(tmp_path) == []
    no_secret(raw, body["settings"]["data"][:40])


def test_connection_broken_then_retried_writes_the_whole_data(fake_wa, args, tmp_path):
    fake_wa.fault(status=200, body={"settings": {"data": "QUJD" * 1000}}, action="cut", path="/v1/settings/b")
    args.update(retries=1, retry_backoff=0.01)
    failed, result, _raw = run_module(wa_backup, args)
    assert not failed, result
    assert (tmp_path / "wa.backup").read_text() == fake_wa.make_backup(BACKUP_PASSWORD)


def test_transient_error_is_retried(fake_wa, args):
    args.update(retries=2, retry_backoff=0.01)
    fake_wa.fault(status=503, body={"errors": [{"code": 1011, "title": "Service not ready"}]}, path="/v1/settings/b")
    failed, result, _raw = run_module(wa_backup, args)
    assert not failed, result
    assert len(fake_wa.requests("POST", "/v1/settings/backup")) == 2


def test_return_data_needs_no_log(fake_wa, args, tmp_path):
    args["return_data"] = True
    failed, result, _raw = run_module(wa_backup, args)
    assert failed
    assert "no_log: true" in result["msg"]
    assert fake_wa.log == [] and os.listdir(tmp_path) == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_return_data_with_no_log(fake_wa, args, tmp_path, check_mode):
    args["return_data"] = True
    failed, result, _raw = run_module(wa_backup, args, no_log=True, check_mode=check_mode)
    assert not failed
    assert result["data"] == fake_wa.make_backup(BACKUP_PASSWORD)
    assert result["checksum"] == hashlib.sha256(result["data"].encode()).hexdigest()
    assert any("never print it" in w for w in warnings_of(result))
    assert os.listdir(tmp_path) == ([] if check_mode else ["wa.backup", "wa.backup.manifest.json"])


@pytest.mark.parametrize(
    ("drop", "message"),
    [("backup_password", "missing required arguments: backup_password"), ("dest", "missing required arguments: dest")],
)
def test_required_arguments(args, drop, message):
    del args[drop]
    failed, result, _raw = run_module(wa_backup, args)
    assert failed and message in result["msg"]


def test_backup_password_is_no_log(args, fake_wa):
    _failed, result, _raw = run_module(wa_backup, args)
    assert result["invocation"]["module_args"]["backup_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert result["invocation"]["module_args"]["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
