# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/wa_backup_file: atomic no-clobber writes, 0600, manifest, verification."""

import errno
import hashlib
import json
import os
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.wabiz.migration.plugins.module_utils import wa_backup_file
from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import (
    BackupFileError,
    BackupWriter,
    DataDigest,
    check_destination,
    load_manifest,
    manifest_path_for,
    normalize_checksum,
    validate_manifest,
    verify_backup,
    verify_data,
    write_backup,
)
from ansible_collections.wabiz.migration.plugins.module_utils.wa_json_stream import JSONObjectBody

DATA = "V0FCSzEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
SHA = hashlib.sha256(DATA.encode()).hexdigest()
FIELDS = {
    "api_url": "https://wa.example.com:443",
    "version": "v2.45.1",
    "shards": 2,
    "topology": "multiconnect",
    "phone_number": "15550001111",
}


def files(directory):
    return sorted(p.name for p in directory.iterdir())


def test_write_backup_and_manifest(tmp_path):
    dest = tmp_path / "wa.backup"
    manifest, manifest_path = write_backup(str(dest), DATA, FIELDS)
    assert manifest_path == str(dest) + ".manifest.json"
    assert dest.read_text() == DATA
    on_disk = json.loads((tmp_path / "wa.backup.manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["format"] == 1
    assert manifest["sha256"] == SHA
    assert manifest["size"] == len(DATA)
    assert manifest["shards"] == 2 and manifest["topology"] == "multiconnect"
    assert manifest["version"] == "v2.45.1" and manifest["phone_number"] == "15550001111"
    assert manifest["file"] == "wa.backup"
    assert manifest["created_at"].endswith("Z")
    assert DATA not in json.dumps(manifest)
    assert files(tmp_path) == ["wa.backup", "wa.backup.manifest.json"]  # no temporary file left


def test_files_are_0600_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        write_backup(str(tmp_path / "wa.backup"), DATA, FIELDS)
    finally:
        os.umask(old)
    for name in ("wa.backup", "wa.backup.manifest.json"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600


def test_none_fields_are_left_out(tmp_path):
    manifest, _path = write_backup(str(tmp_path / "b"), DATA, {"phone_number": None, "shards": None})
    assert "phone_number" not in manifest and "shards" not in manifest


def test_never_overwrites_without_force(tmp_path):
    dest = tmp_path / "wa.backup"
    dest.write_text("precious")
    with pytest.raises(BackupFileError) as info:
        write_backup(str(dest), DATA, FIELDS)
    assert str(dest) in str(info.value) and "force" in str(info.value)
    assert dest.read_text() == "precious"
    assert files(tmp_path) == ["wa.backup"]


def test_existing_manifest_alone_is_not_clobbered_either(tmp_path):
    dest = tmp_path / "wa.backup"
    (tmp_path / "wa.backup.manifest.json").write_text("{}")
    with pytest.raises(BackupFileError, match=r"manifest\.json already exists"):
        write_backup(str(dest), DATA, FIELDS)
    assert not dest.exists()


def test_force_overwrites_atomically(tmp_path):
    dest = tmp_path / "wa.backup"
    write_backup(str(dest), "old", FIELDS)
    os.chmod(dest, 0o644)
    _manifest, _path = write_backup(str(dest), DATA, FIELDS, force=True)
    assert dest.read_text() == DATA
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert json.loads((tmp_path / "wa.backup.manifest.json").read_text())["sha256"] == SHA
    assert files(tmp_path) == ["wa.backup", "wa.backup.manifest.json"]


def test_race_a_file_appearing_is_not_clobbered(tmp_path, monkeypatch):
    """The file appears between the check and the publish: os.link refuses, nothing is lost."""
    dest = tmp_path / "wa.backup"
    real_link = os.link

    def link(src, dst):
        if dst == str(dest):
            dest.write_text("someone else's")
        return real_link(src, dst)

    monkeypatch.setattr(wa_backup_file.os, "link", link)
    with pytest.raises(BackupFileError, match="already exists"):
        write_backup(str(dest), DATA, FIELDS)
    assert dest.read_text() == "someone else's"
    assert files(tmp_path) == ["wa.backup"]


def test_publish_falls_back_without_hard_links(tmp_path, monkeypatch):
    def no_link(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(wa_backup_file.os, "link", no_link)
    write_backup(str(tmp_path / "wa.backup"), DATA, FIELDS)
    assert (tmp_path / "wa.backup").read_text() == DATA
    assert stat.S_IMODE(os.stat(tmp_path / "wa.backup").st_mode) == 0o600
    assert files(tmp_path) == ["wa.backup", "wa.backup.manifest.json"]


def test_data_is_fsynced_before_publish(tmp_path, monkeypatch):
    events = []
    real_fsync, real_link = os.fsync, os.link
    monkeypatch.setattr(wa_backup_file.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(wa_backup_file.os, "link", lambda a, b: (events.append("link"), real_link(a, b))[1])
    write_backup(str(tmp_path / "wa.backup"), DATA, FIELDS)
    assert events.index("fsync") < events.index("link")
    assert events.count("link") == 2  # data, then manifest


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def broken_fsync(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(wa_backup_file.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        write_backup(str(tmp_path / "wa.backup"), DATA, FIELDS)
    assert files(tmp_path) == []


def test_failed_manifest_removes_the_new_data_file(tmp_path, monkeypatch):
    real = wa_backup_file._publish

    def flaky(tmp, path, force):
        if path.endswith(".manifest.json"):
            raise OSError(errno.EIO, "I/O error")
        return real(tmp, path, force)

    monkeypatch.setattr(wa_backup_file, "_publish", flaky)
    with pytest.raises(OSError):
        write_backup(str(tmp_path / "wa.backup"), DATA, FIELDS)
    assert files(tmp_path) == []


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_missing_directories_are_accepted_then_created_0700(tmp_path):
    dest = tmp_path / "a" / "b" / "wa.backup"
    check_destination(str(dest))  # creatable: fine, and nothing is created yet
    assert files(tmp_path) == []
    old = os.umask(0o022)
    try:
        write_backup(str(dest), DATA, FIELDS)
    finally:
        os.umask(old)
    assert mode(tmp_path / "a") == mode(tmp_path / "a" / "b") == 0o700
    assert files(dest.parent) == ["wa.backup", "wa.backup.manifest.json"]


def test_an_existing_directory_keeps_its_mode(tmp_path):
    (tmp_path / "shared").mkdir(mode=0o755)
    write_backup(str(tmp_path / "shared" / "wa.backup"), DATA, FIELDS)
    assert mode(tmp_path / "shared") == 0o755


def test_destination_that_cannot_be_created(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(BackupFileError) as info:
        check_destination(str(tmp_path / "file" / "sub" / "wa.backup"))
    assert str(info.value) == (
        f"The directory {tmp_path}/file/sub of dest cannot be created: {tmp_path}/file is not a directory."
    )
    with pytest.raises(BackupFileError, match="is a directory"):
        check_destination(str(tmp_path))
    # Root may write anywhere: the refusal of the file system is played by os.access.
    monkeypatch.setattr(wa_backup_file.os, "access", lambda path, how: path != str(tmp_path))
    with pytest.raises(BackupFileError) as info:
        check_destination(str(tmp_path / "new" / "wa.backup"))
    assert str(info.value).endswith(f"cannot be created: {tmp_path} is not writable by this user.")
    with pytest.raises(BackupFileError, match="is not writable by this user"):
        check_destination(str(tmp_path / "wa.backup"))


def test_empty_data_is_not_written(tmp_path):
    with pytest.raises(BackupFileError, match="empty"):
        write_backup(str(tmp_path / "b"), "", FIELDS)
    assert files(tmp_path) == []


def test_writer_streams_into_a_hidden_0600_temporary_file(tmp_path):
    dest = tmp_path / "wa.backup"
    with BackupWriter(str(dest)) as writer:
        writer.write(DATA[:10].encode())
        (temporary,) = files(tmp_path)
        assert temporary.startswith(".wa.backup.") and mode(tmp_path / temporary) == 0o600
        writer.write(DATA[10:].encode())
        manifest, manifest_path = writer.publish(FIELDS)
    assert dest.read_text() == DATA and (manifest["sha256"], manifest["size"]) == (SHA, len(DATA))
    assert json.loads(open(manifest_path).read()) == manifest
    assert files(tmp_path) == ["wa.backup", "wa.backup.manifest.json"]


def test_writer_reset_starts_the_data_again(tmp_path):
    """The export is tried again after a connection cut mid-answer."""
    with BackupWriter(str(tmp_path / "wa.backup")) as writer:
        writer.write(b"half of a first attempt")
        writer.reset()
        writer.write(DATA.encode())
        manifest, _path = writer.publish()
    assert (tmp_path / "wa.backup").read_text() == DATA and manifest["sha256"] == SHA


def test_writer_left_without_publishing_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), BackupWriter(str(tmp_path / "wa.backup")) as writer:
        writer.write(DATA.encode())
        raise RuntimeError("the connection broke")
    assert files(tmp_path) == []


def test_writer_never_clobbers_a_file_that_appeared_meanwhile(tmp_path):
    dest = tmp_path / "wa.backup"
    with BackupWriter(str(dest)) as writer:
        writer.write(DATA.encode())
        dest.write_text("someone else's")
        with pytest.raises(BackupFileError, match="already exists"):
            writer.publish(FIELDS)
    assert dest.read_text() == "someone else's"
    assert files(tmp_path) == ["wa.backup"]


def test_digest_counts_without_keeping():
    digest = DataDigest()
    digest.write(b"dropped")
    digest.reset()
    digest.write(DATA[:5].encode())
    digest.write(DATA[5:].encode())
    assert (digest.sha256, digest.size) == (SHA, len(DATA))


# ---------------------------------------------------------------------------- reading


@pytest.fixture
def backup(tmp_path):
    dest = tmp_path / "wa.backup"
    write_backup(str(dest), DATA, FIELDS)
    return dest


def restore_body_of(path, **kwargs):
    """The restore body that verify_backup's text of ``path`` makes, as sent."""
    text = verify_backup(str(path), **kwargs)["text"]
    body = JSONObjectBody([("data", text)])
    sent = b"".join(iter(lambda: body.read(7), b""))
    assert len(sent) == len(body)
    return json.loads(sent)["data"]


def test_verify_backup_verifies_without_reading_into_memory(backup):
    result = verify_backup(str(backup))
    assert "data" not in result
    assert (result["sha256"], result["size"]) == (SHA, len(DATA))
    assert result["manifest"]["shards"] == 2
    assert result["manifest_path"] == str(backup) + ".manifest.json"
    assert restore_body_of(backup) == DATA


@pytest.mark.parametrize(
    "text",
    [
        DATA,
        f"\n  {DATA}\n\n",
        '\u00a0\u2028\x1c\ufeff\u3000 é€\U0001f600/"\\ \t x \u00a0\r\n',
        " \t\n\u2029 ",
    ],
    ids=["plain", "newlines", "unicode-white-space", "only-white-space"],
)
@pytest.mark.parametrize("chunk_size", [1, 2, 3, 1 << 20])
def test_restored_text_is_stripped_as_str_strip_strips(tmp_path, monkeypatch, text, chunk_size):
    monkeypatch.setattr(wa_backup_file, "CHUNK_SIZE", chunk_size)
    path = tmp_path / "wa.backup"
    path.write_bytes(text.encode("utf-8"))
    assert restore_body_of(path, checksum=hashlib.sha256(text.encode()).hexdigest()) == text.strip()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    core=st.text(max_size=60),
    padding=st.tuples(*[st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x85\u00a0\u2028\u3000", max_size=4)] * 2),
    chunk_size=st.integers(min_value=1, max_value=9),
)
def test_any_text_at_any_chunk_size(tmp_path, monkeypatch, core, padding, chunk_size):
    monkeypatch.setattr(wa_backup_file, "CHUNK_SIZE", chunk_size)
    text = padding[0] + core + padding[1]
    path = tmp_path / "any.backup"
    path.write_bytes(text.encode("utf-8"))
    if not text:
        return
    assert restore_body_of(path, checksum=hashlib.sha256(text.encode()).hexdigest()) == text.strip()


def test_text_changed_after_it_was_verified_is_refused_while_sent(backup):
    text = verify_backup(str(backup))["text"]
    for changed in (DATA[:-2] + "A=", DATA + "AAAA", DATA[:-4]):
        backup.write_text(changed)
        with pytest.raises(BackupFileError) as info:
            list(text.json_chunks())
        assert str(info.value) == (
            f"The backup file {backup} changed after it was verified: it is not the backup that was checked."
        )
    os.unlink(backup)
    with pytest.raises(BackupFileError, match="cannot be read: No such file or directory"):
        list(text.json_chunks())


def test_missing_file(tmp_path):
    with pytest.raises(BackupFileError) as info:
        verify_backup(str(tmp_path / "nope.backup"))
    assert "does not exist" in str(info.value) and "nope.backup" in str(info.value)


def test_empty_file(backup):
    backup.write_text("")
    with pytest.raises(BackupFileError, match=r"is empty \(0 bytes\)"):
        verify_backup(str(backup))


def test_truncated_file(backup):
    backup.write_text(DATA[:20])
    with pytest.raises(BackupFileError) as info:
        verify_backup(str(backup))
    message = str(info.value)
    assert "has 20 bytes but" in message and f"says {len(DATA)}" in message
    assert "truncated" in message
    assert DATA[:20] not in message


def test_tampered_file(backup):
    tampered = DATA[:-3] + "AA="
    backup.write_text(tampered)
    with pytest.raises(BackupFileError) as info:
        verify_backup(str(backup))
    message = str(info.value)
    assert message.startswith("Checksum mismatch")
    assert SHA in message and hashlib.sha256(tampered.encode()).hexdigest() in message
    assert "Do not restore it" in message
    assert tampered not in message


def test_missing_manifest_without_checksum(backup):
    os.unlink(manifest_path_for(str(backup)))
    with pytest.raises(BackupFileError) as info:
        verify_backup(str(backup))
    assert "manifest" in str(info.value) and "checksum" in str(info.value)


def test_checksum_instead_of_manifest(backup):
    os.unlink(manifest_path_for(str(backup)))
    result = verify_backup(str(backup), checksum="sha256:" + SHA.upper())
    assert result["manifest"] is None and result["manifest_path"] is None
    with pytest.raises(BackupFileError, match="Checksum mismatch"):
        verify_backup(str(backup), checksum="0" * 64)


def test_checksum_and_manifest_must_both_match(backup):
    with pytest.raises(BackupFileError, match="checksum is 0000"):
        verify_backup(str(backup), checksum="0" * 64)
    assert verify_backup(str(backup), checksum=SHA)["sha256"] == SHA


def test_explicit_manifest_path(backup, tmp_path):
    other = tmp_path / "elsewhere.json"
    os.rename(manifest_path_for(str(backup)), other)
    assert verify_backup(str(backup), manifest_path=str(other))["manifest_path"] == str(other)
    with pytest.raises(BackupFileError, match="does not exist"):
        verify_backup(str(backup), manifest_path=str(tmp_path / "missing.json"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "holds a JSON array, not an object"),
        (f'{{"sha256": "{SHA}", "size": 3}}', "has no format field"),
        (f'{{"format": 2, "sha256": "{SHA}", "size": 3}}', "format 2; this collection reads format 1"),
        (f'{{"format": true, "sha256": "{SHA}", "size": 3}}', "format true"),
        ('{"format": 1, "sha256": "xyz", "size": 3}', "no valid sha256"),
        (f'{{"format": 1, "sha256": "{SHA}", "size": 0}}', "no valid size"),
        (f'{{"format": 1, "sha256": "{SHA}", "size": "3"}}', "no valid size"),
        (f'{{"format": 1, "sha256": "{SHA}", "size": 3, "shards": "2"}}', "invalid shards"),
        (f'{{"format": 1, "sha256": "{SHA}", "size": 3, "version": 2}}', "invalid version"),
        (f'{{"format": 1, "sha256": "{SHA}", "size": 3, "metadata": []}}', "invalid metadata"),
    ],
)
def test_bad_manifests(backup, content, message):
    with open(manifest_path_for(str(backup)), "w") as handle:
        handle.write(content)
    with pytest.raises(BackupFileError) as info:
        verify_backup(str(backup))
    assert message in str(info.value)
    assert manifest_path_for(str(backup)) in str(info.value)


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "bin"
    payload = b"\xff\xfe\x00garbage"
    path.write_bytes(payload)
    with pytest.raises(BackupFileError, match="not text"):
        verify_backup(str(path), checksum=hashlib.sha256(payload).hexdigest())


def test_unknown_manifest_fields_are_accepted(backup):
    path = manifest_path_for(str(backup))
    manifest = json.loads(open(path).read())
    manifest["future_field"] = {"x": 1}
    with open(path, "w") as handle:
        json.dump(manifest, handle)
    assert verify_backup(str(backup))["manifest"]["future_field"] == {"x": 1}


def test_verify_data_and_checksum_format():
    assert verify_data(DATA.encode(), checksum=SHA) == SHA
    with pytest.raises(BackupFileError, match="Data is empty"):
        verify_data(b"", what="data")
    with pytest.raises(BackupFileError, match="not a sha256 hex digest"):
        normalize_checksum("abc")
    with pytest.raises(BackupFileError):
        normalize_checksum(None)


# ---------------------------------------------------------------------------- property tests

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=15,
)
manifest_like = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "format": st.sampled_from([1, 2, "1", True, None, 1.0]),
            "sha256": st.sampled_from([SHA, "x", None, 5]) | st.text(max_size=64),
            "size": st.integers(min_value=-3, max_value=10**6) | json_values,
            "shards": st.integers(min_value=-2, max_value=64) | json_values,
            "version": json_values,
            "metadata": json_values,
            "created_at": json_values,
        },
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(manifest_like)
def test_any_json_manifest_is_valid_or_the_one_error(tmp_path, value):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(value))
    try:
        manifest = load_manifest(str(path))
    except BackupFileError as exc:
        assert str(path) in str(exc)
        return
    assert manifest["format"] == 1 and not isinstance(manifest["format"], bool)
    assert isinstance(manifest["size"], int) and manifest["size"] >= 1
    assert len(manifest["sha256"]) == 64
    try:
        verify_data(DATA.encode(), manifest=manifest)
    except BackupFileError:
        pass


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_any_bytes_as_manifest_give_the_one_error(tmp_path, raw):
    path = tmp_path / "m.json"
    path.write_bytes(raw)
    try:
        validate_manifest(load_manifest(str(path)))
    except BackupFileError:
        pass
