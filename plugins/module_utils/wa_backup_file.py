# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The backup file and its manifest.

``DEST`` holds the backup data exactly as the API returned it (encrypted by the API with the
backup password); ``DEST.manifest.json`` describes it without any secret::

    {"format": 1, "created_at": "2025-01-31T12:00:00Z", "api_url": "https://wa:443",
     "version": "v2.45.1", "shards": 2, "topology": "multiconnect", "phone_number": "15550001111",
     "sha256": "...", "size": 1234, "file": "wa.backup", "metadata": {...}}

Writing is atomic and never clobbers an existing file unless forced: a temporary file is
created 0600 in the same directory, written and fsynced, then published with ``os.link``
(which fails if the name exists) and unlinked, or with ``os.replace`` when forced. The data is
never printed: messages name files, sizes and checksums only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import hashlib
import json
import os
import re
import tempfile
import time

MANIFEST_FORMAT = 1
MANIFEST_SUFFIX = ".manifest.json"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BackupFileError(Exception):
    """A backup file or manifest that cannot be written, read or trusted."""


def manifest_path_for(path):
    return "%s%s" % (path, MANIFEST_SUFFIX)


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def to_bytes(data):
    if isinstance(data, bytes):
        return data
    return data.encode("utf-8")


def normalize_checksum(value):
    """A sha256 hex digest from ``value`` (``sha256:`` prefix and case allowed); BackupFileError if not one."""
    if not isinstance(value, str):
        raise BackupFileError("checksum must be a sha256 hex digest (64 hexadecimal characters).")
    text = value.strip().lower()
    if text.startswith("sha256:"):
        text = text[len("sha256:") :].strip()
    if not _SHA256.match(text):
        raise BackupFileError(
            "checksum %r is not a sha256 hex digest (64 hexadecimal characters, optionally prefixed sha256:)."
            % (value[:80],)
        )
    return text


def utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_temp(directory, name, payload):
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % name, suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _publish(tmp, path, force):
    """Move ``tmp`` to ``path``; without ``force`` fail if ``path`` exists (FileExistsError)."""
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise
        if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EACCES):
            raise
        # A file system without hard links: reserve the name exclusively, then replace it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def atomic_write(path, payload, force=False):
    """Write ``payload`` (bytes) to ``path`` atomically, mode 0600."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = _write_temp(directory, os.path.basename(path), payload)
    try:
        _publish(tmp, path, force)
    except FileExistsError:
        _unlink_quietly(tmp)
        raise BackupFileError(
            "%s already exists: set force: true to overwrite it, or choose another path." % path
        ) from None
    except BaseException:
        _unlink_quietly(tmp)
        raise
    _fsync_dir(directory)


def check_destination(dest, force=False):
    """Fail early (before any API call) when ``dest`` cannot be written as asked."""
    if not dest:
        raise BackupFileError("dest is empty: give the path of the backup file to write.")
    directory = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(directory):
        raise BackupFileError(
            "The directory %s of dest does not exist: create it first (mode 0700 is a good choice)." % directory
        )
    if os.path.isdir(dest):
        raise BackupFileError("dest %s is a directory: give the path of a file." % dest)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise BackupFileError("The directory %s of dest is not writable by this user." % directory)
    if not force:
        for path in (dest, manifest_path_for(dest)):
            if os.path.lexists(path):
                raise BackupFileError(
                    "%s already exists: it is never overwritten unless force: true; choose another dest or "
                    "set force: true." % path
                )


def build_manifest(data, **fields):
    """The manifest of ``data``: ``format``, the given fields (None values dropped), ``sha256``, ``size``."""
    payload = to_bytes(data)
    manifest = {"format": MANIFEST_FORMAT, "created_at": utc_now()}
    for key, value in fields.items():
        if value is not None:
            manifest[key] = value
    manifest["sha256"] = sha256_bytes(payload)
    manifest["size"] = len(payload)
    return manifest


def write_backup(dest, data, manifest_fields=None, force=False):
    """Write ``data`` to ``dest`` and its manifest beside it; returns (manifest, manifest_path)."""
    check_destination(dest, force=force)
    payload = to_bytes(data)
    if not payload:
        raise BackupFileError("The backup data is empty: nothing was written.")
    fields = dict(manifest_fields or {})
    fields.setdefault("file", os.path.basename(dest))
    manifest = build_manifest(payload, **fields)
    manifest_path = manifest_path_for(dest)
    existed = os.path.lexists(dest)
    atomic_write(dest, payload, force=force)
    try:
        atomic_write(
            manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"), force=force
        )
    except BaseException:
        if not existed:
            _unlink_quietly(dest)
        raise
    return manifest, manifest_path


def validate_manifest(manifest, path="the manifest"):
    """Check the manifest's schema; returns it. Raises BackupFileError."""
    if not isinstance(manifest, dict):
        raise BackupFileError(
            "%s is not a backup manifest: it holds a JSON %s, not an object." % (path, _json_type(manifest))
        )
    fmt = manifest.get("format")
    if "format" not in manifest:
        raise BackupFileError("%s is not a backup manifest: it has no format field." % path)
    if isinstance(fmt, bool) or fmt != MANIFEST_FORMAT or not isinstance(fmt, int):
        raise BackupFileError(
            "%s has format %s; this collection reads format %d only: was it written by a newer version?"
            % (path, json.dumps(fmt)[:40], MANIFEST_FORMAT)
        )
    sha = manifest.get("sha256")
    if not isinstance(sha, str) or not _SHA256.match(sha):
        raise BackupFileError("%s has no valid sha256 (64 lowercase hexadecimal characters)." % path)
    size = manifest.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise BackupFileError("%s has no valid size (a positive number of bytes)." % path)
    shards = manifest.get("shards")
    if shards is not None and (isinstance(shards, bool) or not isinstance(shards, int) or shards < 0):
        raise BackupFileError("%s has an invalid shards value (a whole number expected)." % path)
    for key in ("created_at", "version", "topology", "api_url", "phone_number", "file"):
        value = manifest.get(key)
        if value is not None and not isinstance(value, str):
            raise BackupFileError("%s has an invalid %s (a string expected)." % (path, key))
    metadata = manifest.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BackupFileError("%s has an invalid metadata value (an object expected)." % path)
    return manifest


def _cap(text):
    return text[:1].upper() + text[1:]


def _json_type(value):
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}.get(type(value), "value")


def load_manifest(path):
    """Read and validate a manifest file. Raises BackupFileError."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(1024 * 1024 + 1)
    except FileNotFoundError:
        raise BackupFileError(
            "The manifest %s does not exist: give manifest (its path) or checksum (the sha256 of the backup file) "
            "so the file can be verified before it is restored." % path
        ) from None
    except OSError as exc:
        raise BackupFileError("The manifest %s cannot be read: %s." % (path, exc.strerror or exc)) from None
    if len(raw) > 1024 * 1024:
        raise BackupFileError("%s is too large to be a backup manifest." % path)
    if not raw.strip():
        raise BackupFileError("The manifest %s is empty." % path)
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BackupFileError("The manifest %s is not valid JSON: it is damaged or not a manifest." % path) from None
    return validate_manifest(manifest, path)


def verify_data(payload, manifest=None, checksum=None, what="the backup data", manifest_path="the manifest"):
    """Verify ``payload`` (bytes) against a manifest and/or a checksum; returns its sha256."""
    size = len(payload)
    if size == 0:
        raise BackupFileError("%s is empty: it is not a backup (truncated or never written)." % _cap(what))
    actual = sha256_bytes(payload)
    if manifest is not None:
        if size != manifest["size"]:
            raise BackupFileError(
                "%s has %d bytes but %s says %d: the file is truncated or was changed. Do not restore it; "
                "use an intact copy." % (_cap(what), size, manifest_path, manifest["size"])
            )
        if actual != manifest["sha256"]:
            raise BackupFileError(
                "Checksum mismatch: %s has sha256 %s but %s says %s: the file was changed or corrupted. "
                "Do not restore it; use an intact copy." % (what, actual, manifest_path, manifest["sha256"])
            )
    if checksum is not None:
        expected = normalize_checksum(checksum)
        if actual != expected:
            raise BackupFileError(
                "Checksum mismatch: %s has sha256 %s but checksum is %s: the file was changed or corrupted, or "
                "checksum belongs to another backup." % (what, actual, expected)
            )
    return actual


def read_backup(src, manifest_path=None, checksum=None):
    """Read and verify a backup file before it is used.

    The manifest (``manifest_path``, default ``SRC.manifest.json``) is required unless a
    ``checksum`` is given; when both are there, both must match. Returns a dict with ``data``
    (str), ``sha256``, ``size``, ``manifest`` (or None) and ``manifest_path`` (or None).
    """
    if not src:
        raise BackupFileError("src is empty: give the path of the backup file.")
    if os.path.isdir(src):
        raise BackupFileError("src %s is a directory, not a backup file." % src)
    try:
        with open(src, "rb") as handle:
            payload = handle.read()
    except FileNotFoundError:
        raise BackupFileError("The backup file %s does not exist: check src." % src) from None
    except OSError as exc:
        raise BackupFileError("The backup file %s cannot be read: %s." % (src, exc.strerror or exc)) from None
    if not payload:
        raise BackupFileError("The backup file %s is empty (0 bytes): it is truncated or was never written." % src)

    explicit = manifest_path is not None
    manifest_path = manifest_path or manifest_path_for(src)
    manifest = None
    if explicit or checksum is None or os.path.exists(manifest_path):
        manifest = load_manifest(manifest_path)
    else:
        manifest_path = None
    sha = verify_data(
        payload, manifest=manifest, checksum=checksum, what="the backup file %s" % src, manifest_path=manifest_path
    )
    try:
        data = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise BackupFileError(
            "The backup file %s is not text: it is not a backup written by wa_backup." % src
        ) from None
    return {"data": data, "sha256": sha, "size": len(payload), "manifest": manifest, "manifest_path": manifest_path}
