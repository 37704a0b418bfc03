# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of wa_backup_file: dest and src are regular files or nothing, force never loses the earlier
backup, and no temporary file survives a failure (real FIFOs, sockets, devices and directories)."""

import errno
import json
import os
import re
import socket
import time

import pytest

from ansible_collections.wabiz.migration.plugins.module_utils import wa_backup_file
from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import (
    BackupFileError,
    BackupWriter,
    check_destination,
    load_manifest,
    verify_backup,
    write_backup,
)

DATA = "V0FCSzEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
OLD = "T0xEIGJhY2t1cCBkYXRh"


def files(directory):
    return sorted(p.name for p in directory.iterdir())


def make(kind, path):
    """Something that is not a regular file at ``path``; returns what must be closed afterwards, if anything."""
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        return sock
    elif kind == "symlink":
        target = path.parent / "elsewhere"
        target.write_text("someone else's file")
        path.symlink_to(target)
    return None


KINDS = {
    "directory": "is a directory",
    "fifo": "is a FIFO (named pipe)",
    "socket": "is a socket",
    "symlink": "is a symbolic link",
}


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_dest_that_is_not_a_regular_file_is_refused_even_with_force(tmp_path, kind, force):
    dest = tmp_path / "wa.backup"
    keep = make(kind, dest)
    try:
        before = files(tmp_path)
        with pytest.raises(BackupFileError) as info:
            check_destination(str(dest), force=force)
        assert f"dest {dest} {KINDS[kind]}" in str(info.value) and "with or without force" in str(info.value)
        assert files(tmp_path) == before
    finally:
        if keep:
            keep.close()


def test_a_device_is_refused_as_dest_even_with_force():
    with pytest.raises(BackupFileError, match=r"dest /dev/null is a character device"):
        check_destination("/dev/null", force=True)
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


@pytest.mark.parametrize("force", [False, True])
def test_manifest_path_that_is_a_directory_is_refused_up_front(tmp_path, force):
    dest = tmp_path / "wa.backup"
    dest.write_text(OLD)
    (tmp_path / "wa.backup.manifest.json").mkdir()
    with pytest.raises(BackupFileError, match=r"The manifest path of dest, .* is a directory"):
        check_destination(str(dest), force=force)
    assert dest.read_text() == OLD


def test_publish_checks_again_and_keeps_the_earlier_backup(tmp_path):
    """The manifest path became a directory after the module's first check: nothing is replaced."""
    dest = tmp_path / "wa.backup"
    write_backup(str(dest), OLD, {})
    with BackupWriter(str(dest)) as writer:
        writer.write(DATA.encode())
        os.unlink(tmp_path / "wa.backup.manifest.json")
        (tmp_path / "wa.backup.manifest.json").mkdir()
        with pytest.raises(BackupFileError, match="is a directory"):
            writer.publish({}, force=True)
    assert dest.read_text() == OLD
    assert files(tmp_path) == ["wa.backup", "wa.backup.manifest.json"]


def test_force_puts_the_earlier_backup_back_when_the_manifest_cannot_be_published(tmp_path, monkeypatch):
    dest = tmp_path / "wa.backup"
    write_backup(str(dest), OLD, {})
    old_manifest = (tmp_path / "wa.backup.manifest.json").read_bytes()
    real = wa_backup_file._publish

    def manifest_fails(tmp, path, force):
        if path.endswith(".manifest.json"):
            raise OSError(errno.EIO, "I/O error")
        return real(tmp, path, force)

    monkeypatch.setattr(wa_backup_file, "_publish", manifest_fails)
    with pytest.raises(OSError):
        write_backup(str(dest), DATA, {}, force=True)
    assert dest.read_text() == OLD
    assert (tmp_path / "wa.backup.manifest.json").read_bytes() == old_manifest
    assert files(tmp_path) == ["wa.backup", "wa.backup.manifest.json"]  # no temporary or set-aside file
    verify_backup(str(dest))  # the earlier backup is whole and good


def test_force_replaces_both_and_leaves_nothing_else(tmp_path):
    dest = tmp_path / "wa.backup"
    write_backup(str(dest), OLD, {})
    write_backup(str(dest), DATA, {}, force=True)
    assert verify_backup(str(dest))["size"] == len(DATA)
    assert files(tmp_path) == ["wa.backup", "wa.backup.manifest.json"]


def test_a_name_too_long_for_the_manifest_is_refused_up_front(tmp_path):
    check_destination(str(tmp_path / ("n" * 227)))
    with pytest.raises(BackupFileError, match=r"use a name of at most 227 bytes"):
        check_destination(str(tmp_path / ("n" * 228)))


def test_a_close_that_fails_still_removes_the_temporary_file(tmp_path, monkeypatch):
    """A full disk fails the write, then the close (its flush) again: the temporary file goes all the same."""
    dest = tmp_path / "wa.backup"
    with pytest.raises(OSError):
        with BackupWriter(str(dest)) as writer:
            handle = writer._temp.handle
            real_close = handle.close

            def full_close():
                real_close()
                raise OSError(errno.ENOSPC, "No space left on device")

            monkeypatch.setattr(handle, "close", full_close, raising=False)
            raise OSError(errno.ENOSPC, "No space left on device")
    assert files(tmp_path) == []


@pytest.mark.parametrize("kind", ["directory", "fifo", "socket"])
def test_src_that_is_not_a_regular_file_is_refused_at_once(tmp_path, kind):
    src = tmp_path / "wa.backup"
    keep = make(kind, src)
    try:
        started = time.monotonic()
        with pytest.raises(BackupFileError, match=re.escape(f"src {src} {KINDS[kind]}, not a regular file")):
            verify_backup(str(src), checksum="0" * 64)
        assert time.monotonic() - started < 1  # a FIFO without a writer did not block
    finally:
        if keep:
            keep.close()


def test_src_dev_zero_is_refused_without_reading_it():
    started = time.monotonic()
    with pytest.raises(BackupFileError, match=r"src /dev/zero is a character device"):
        verify_backup("/dev/zero", checksum="0" * 64)
    assert time.monotonic() - started < 1


def test_src_through_a_symbolic_link_to_a_backup_is_fine(tmp_path):
    write_backup(str(tmp_path / "wa.backup"), DATA, {})
    (tmp_path / "link.backup").symlink_to(tmp_path / "wa.backup")
    assert verify_backup(str(tmp_path / "link.backup"), checksum=verify_backup(str(tmp_path / "wa.backup"))["sha256"])


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_manifest_that_is_not_a_regular_file_is_refused_at_once(tmp_path, kind):
    path = tmp_path / "wa.backup.manifest.json"
    make(kind, path)
    with pytest.raises(BackupFileError, match=re.escape(f"The manifest {path} {KINDS[kind]}")):
        load_manifest(str(path))


def test_manifest_written_whole_before_the_data_is_published(tmp_path, monkeypatch):
    """Both files are complete on disk before the first rename: no window with data but no manifest content."""
    order = []
    real = wa_backup_file._publish

    def record(tmp, path, force):
        order.append((os.path.basename(path), os.path.getsize(tmp)))
        return real(tmp, path, force)

    monkeypatch.setattr(wa_backup_file, "_publish", record)
    manifest, _path = write_backup(str(tmp_path / "wa.backup"), DATA, {})
    assert order[0] == ("wa.backup", len(DATA))
    assert (
        order[1][0] == "wa.backup.manifest.json"
        and order[1][1] == len(json.dumps(manifest, indent=2, sort_keys=True)) + 1
    )


@pytest.mark.parametrize(
    ("data", "manifest", "problem"),
    [
        ("notes", None, "there is no manifest beside it"),
        ("notes", '{"tool": "another"}', "is not a backup manifest: it has no format field"),
        (None, '{"x": 1}', "is not a backup manifest: it has no format field"),
        ("copy", "OTHER", "its manifest names another file (other.backup)"),
    ],
)
def test_force_never_replaces_what_the_collection_did_not_write(tmp_path, data, manifest, problem):
    dest = tmp_path / "wa.backup"
    if manifest == "OTHER":
        write_backup(str(tmp_path / "other.backup"), OLD, {})
        os.rename(tmp_path / "other.backup.manifest.json", tmp_path / "wa.backup.manifest.json")
        os.unlink(tmp_path / "other.backup")
    elif manifest is not None:
        (tmp_path / "wa.backup.manifest.json").write_text(manifest)
    if data is not None:
        dest.write_text(data)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(BackupFileError, match="is not a backup written by this collection") as info:
        check_destination(str(dest), force=True)
    assert problem in str(info.value)
    with pytest.raises(BackupFileError, match="force only replaces the collection's own backups"):
        write_backup(str(dest), DATA, {}, force=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_force_replaces_a_lone_manifest_of_its_own(tmp_path):
    dest = tmp_path / "wa.backup"
    write_backup(str(dest), OLD, {})
    os.unlink(dest)  # the data went, its manifest stayed
    write_backup(str(dest), DATA, {}, force=True)
    assert verify_backup(str(dest))["size"] == len(DATA)
