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

The data is never held whole: ``BackupWriter`` takes it piece by piece as the API's answer
arrives, and ``verify_backup`` checks a file in one pass and gives a ``BackupText``, which streams
the data into the restore request (see wa_json_stream).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import codecs
import errno
import fcntl
import hashlib
import json
import os
import re
import stat
import tempfile
import time

from ansible_collections.wabiz.migration.plugins.module_utils.wa_json_stream import CHUNK_SIZE, escape_json_text

MANIFEST_FORMAT = 1
MANIFEST_SUFFIX = ".manifest.json"
# The longest file name a file system takes, and what the manifest's temporary file adds to dest's name
# ("." + name + ".manifest.json" + "." + 8 random characters + ".tmp").
NAME_MAX = 255
_TEMP_MANIFEST_EXTRA = 1 + len(MANIFEST_SUFFIX) + 1 + 8 + len(".tmp")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BackupFileError(Exception):
    """A backup file or manifest that cannot be written, read or trusted."""


def manifest_path_for(path):
    return "%s%s" % (path, MANIFEST_SUFFIX)


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)


def kind_of(mode):
    """What a file of this ``st_mode`` is, in words ("a regular file", "a directory", ...)."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def open_regular(path, what):
    """Open ``path`` for reading if it is a regular file (symbolic links followed); BackupFileError otherwise.

    Opened without blocking, then checked on the open file itself: a FIFO or a device (``/dev/zero``)
    is refused at once instead of hanging or being read for ever, and nothing can swap the file
    between the check and the read. FileNotFoundError is left to the caller.
    """

    def refuse(mode):
        if not stat.S_ISREG(mode):
            raise BackupFileError(
                "%s %s is %s, not a regular file: give the path of a file." % (what, path, kind_of(mode))
            )

    refuse(os.stat(path).st_mode)  # a socket cannot even be opened
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        refuse(os.fstat(fd).st_mode)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~getattr(os, "O_NONBLOCK", 0))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


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


class _TempFile(object):
    """A 0600 temporary file beside ``path`` (``handle``), published as ``path`` atomically, or removed."""

    def __init__(self, path):
        self.path = path
        self.directory = os.path.dirname(os.path.abspath(path))
        fd, self.name = tempfile.mkstemp(dir=self.directory, prefix=".%s." % os.path.basename(path), suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            self.handle = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            _unlink_quietly(self.name)
            raise
        self.published = False

    def sync(self):
        """Write the data through to the disk and close the file (a full disk fails here, not later)."""
        if not self.handle.closed:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()

    def publish(self, force=False):
        """Fsync the data, then give it its name (never clobbering one that exists, unless ``force``)."""
        self.sync()
        try:
            _publish(self.name, self.path, force)
        except FileExistsError:
            raise BackupFileError(
                "%s already exists: set force: true to overwrite it, or choose another path." % self.path
            ) from None
        self.published = True
        _fsync_dir(self.directory)

    def discard(self):
        """Remove the temporary file, unless it was published; whatever happens (a full disk fails the close too)."""
        try:
            if not self.handle.closed:
                self.handle.close()
        except OSError:
            pass  # the data is given up anyway
        finally:
            if not self.published:
                _unlink_quietly(self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.discard()


def _set_aside(path):
    """A hard link to the file at ``path`` under a hidden name beside it (returned), or None when there is none.

    The earlier backup thus survives its replacement until the new one is complete.
    """
    if not os.path.lexists(path):
        return None
    fd, aside = tempfile.mkstemp(
        dir=os.path.dirname(os.path.abspath(path)), prefix=".%s." % os.path.basename(path), suffix=".old"
    )
    os.close(fd)
    os.unlink(aside)
    try:
        os.link(path, aside)
    except OSError:
        return None  # no hard links here: the new files are complete before they replace the old ones anyway
    return aside


def atomic_write(path, payload, force=False):
    """Write ``payload`` (bytes) to ``path`` atomically, mode 0600."""
    with _TempFile(path) as temp:
        temp.handle.write(payload)
        temp.publish(force)


def _missing_directories(directory):
    """The directories to create, outermost first, for ``directory`` to exist; BackupFileError when it cannot."""
    missing = []
    path = directory
    while not os.path.isdir(path):
        if os.path.lexists(path):
            raise BackupFileError(
                "The directory %s of dest cannot be created: %s is not a directory." % (directory, path)
            )
        missing.append(path)
        path = os.path.dirname(path)
    if missing and not os.access(path, os.W_OK | os.X_OK):
        raise BackupFileError(
            "The directory %s of dest cannot be created: %s is not writable by this user." % (directory, path)
        )
    missing.reverse()
    return missing


def _make_directories(paths):
    for path in paths:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            if os.path.isdir(path):
                continue  # made meanwhile by someone else: theirs, left as it is
            raise BackupFileError("Cannot create the directory %s: something else has this name." % path) from None
        except OSError as exc:
            raise BackupFileError("Cannot create the directory %s: %s." % (path, exc.strerror or exc)) from None
        os.chmod(path, 0o700)  # mkdir's mode is cut by the umask


def _kind_there(path):
    """What is at ``path`` (not following a symbolic link), or None when nothing is."""
    try:
        return kind_of(os.lstat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return None  # nothing there (a parent that is not a directory is found by the directory check)


def check_kinds(dest):
    """dest and its manifest path must each be a regular file, or nothing: anything else is never replaced."""
    for path, what in ((dest, "dest"), (manifest_path_for(dest), "The manifest path of dest,")):
        kind = _kind_there(path)
        if kind not in (None, "a regular file"):
            raise BackupFileError(
                "%s %s is %s: a backup is only written as a regular file, and this is never replaced, with or "
                "without force. Choose another dest." % (what, path, kind)
            )


def check_ours_to_replace(dest):
    """What force would replace at dest (data, manifest) must be a backup this collection wrote, or nothing.

    Known as ours by its manifest: valid, and naming dest's file. Anything else is never replaced.
    """
    manifest_path = manifest_path_for(dest)
    there = [path for path in (dest, manifest_path) if os.path.lexists(path)]
    if not there:
        return
    if manifest_path not in there:
        problem = "there is no manifest beside it"
    else:
        try:
            named = load_manifest(manifest_path).get("file")
        except BackupFileError as exc:
            problem = str(exc).rstrip(".")
        else:
            problem = None if named == os.path.basename(dest) else "its manifest names another file (%s)" % named
    if problem:
        raise BackupFileError(
            "%s exists and is not a backup written by this collection (%s): force only replaces the collection's "
            "own backups. Move it away or choose another dest." % (there[0], problem)
        )


def check_destination(dest, force=False):
    """Fail early (before any API call) when ``dest`` cannot be written as asked.

    A missing directory is fine when it can be created (BackupWriter creates it).
    """
    if not dest:
        raise BackupFileError("dest is empty: give the path of the backup file to write.")
    directory = os.path.dirname(os.path.abspath(dest))
    name = os.path.basename(os.path.abspath(dest))
    room = NAME_MAX - _TEMP_MANIFEST_EXTRA
    if len(name.encode("utf-8", "surrogateescape")) > room:
        raise BackupFileError(
            "The file name of dest is %d bytes long; with the manifest's suffix and its temporary file's marks it "
            "would not fit in a file name (%d bytes): use a name of at most %d bytes."
            % (len(name.encode("utf-8", "surrogateescape")), NAME_MAX, room)
        )
    check_kinds(dest)
    if not _missing_directories(directory) and not os.access(directory, os.W_OK | os.X_OK):
        raise BackupFileError("The directory %s of dest is not writable by this user." % directory)
    if force:
        check_ours_to_replace(dest)
    else:
        for path in (dest, manifest_path_for(dest)):
            if os.path.lexists(path):
                raise BackupFileError(
                    "%s already exists: it is never overwritten unless force: true; choose another dest or "
                    "set force: true." % path
                )


def build_manifest(sha256, size, **fields):
    """The manifest of data with this ``sha256`` and ``size``: ``format``, the given fields (None values dropped)."""
    manifest = {"format": MANIFEST_FORMAT, "created_at": utc_now()}
    for key, value in fields.items():
        if value is not None:
            manifest[key] = value
    manifest["sha256"] = sha256
    manifest["size"] = size
    return manifest


class DataDigest(object):
    """The sha256 and size of the data written to it, which it does not keep (a backup in check mode)."""

    def __init__(self):
        self.reset()

    def reset(self):
        """Forget what was written (an export that is tried again)."""
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk):
        self._digest.update(chunk)
        self.size += len(chunk)

    @property
    def sha256(self):
        return self._digest.hexdigest()


class BackupWriter(DataDigest):
    """A new backup of ``dest``: its data written, as it arrives, to a 0600 temporary file in dest's directory.

    The directory is created when missing (0700, with its missing parents). ``publish`` gives the
    file its name and writes the manifest beside it; leaving the ``with`` block without it removes
    the temporary file.
    """

    def __init__(self, dest):
        self.dest = dest
        _make_directories(_missing_directories(os.path.dirname(os.path.abspath(dest))))
        self._temp = _TempFile(dest)
        DataDigest.__init__(self)

    def reset(self):
        DataDigest.reset(self)
        self._temp.handle.seek(0)
        self._temp.handle.truncate()

    def write(self, chunk):
        self._temp.handle.write(chunk)
        DataDigest.write(self, chunk)

    def publish(self, manifest_fields=None, force=False):
        """Publish the data as dest, then its manifest; returns (manifest, manifest_path).

        Both are written in full (and synced) before either is published. An earlier backup replaced
        with ``force`` is set aside (a hard link) until the new data and manifest are both in place,
        and put back if the manifest cannot be published; a data file that did not exist before is
        removed again.
        """
        if not self.size:
            raise BackupFileError("The backup data is empty: nothing was written.")
        fields = dict(manifest_fields or {})
        fields.setdefault("file", os.path.basename(self.dest))
        manifest = build_manifest(self.sha256, self.size, **fields)
        manifest_path = manifest_path_for(self.dest)
        check_kinds(self.dest)  # again: something may have appeared since the module's first check
        if force:
            check_ours_to_replace(self.dest)
        with _TempFile(manifest_path) as manifest_temp:
            manifest_temp.handle.write((json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
            manifest_temp.sync()
            self._temp.sync()
            earlier = _set_aside(self.dest) if force else None
            try:
                self._temp.publish(force)
                try:
                    manifest_temp.publish(force)
                except BaseException:
                    if earlier is not None:
                        os.replace(earlier, self.dest)
                        earlier = None
                    else:
                        _unlink_quietly(self.dest)
                    raise
            finally:
                if earlier is not None:
                    _unlink_quietly(earlier)
        return manifest, manifest_path

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._temp.discard()


def write_backup(dest, data, manifest_fields=None, force=False):
    """Write ``data`` (in memory) to ``dest`` and its manifest beside it; returns (manifest, manifest_path)."""
    check_destination(dest, force=force)
    with BackupWriter(dest) as writer:
        writer.write(to_bytes(data))
        return writer.publish(manifest_fields, force=force)


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
        with open_regular(path, "The manifest") as handle:
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


def check_digest(sha256, size, manifest=None, checksum=None, what="the backup data", manifest_path="the manifest"):
    """Check data's ``sha256`` and ``size`` against a manifest and/or a checksum; returns the sha256."""
    if size == 0:
        raise BackupFileError("%s is empty: it is not a backup (truncated or never written)." % _cap(what))
    if manifest is not None:
        if size != manifest["size"]:
            raise BackupFileError(
                "%s has %d bytes but %s says %d: the file is truncated or was changed. Do not restore it; "
                "use an intact copy." % (_cap(what), size, manifest_path, manifest["size"])
            )
        if sha256 != manifest["sha256"]:
            raise BackupFileError(
                "Checksum mismatch: %s has sha256 %s but %s says %s: the file was changed or corrupted. "
                "Do not restore it; use an intact copy." % (what, sha256, manifest_path, manifest["sha256"])
            )
    if checksum is not None:
        expected = normalize_checksum(checksum)
        if sha256 != expected:
            raise BackupFileError(
                "Checksum mismatch: %s has sha256 %s but checksum is %s: the file was changed or corrupted, or "
                "checksum belongs to another backup." % (what, sha256, expected)
            )
    return sha256


def verify_data(payload, manifest=None, checksum=None, what="the backup data", manifest_path="the manifest"):
    """Verify ``payload`` (bytes) against a manifest and/or a checksum; returns its sha256."""
    return check_digest(sha256_bytes(payload), len(payload), manifest, checksum, what, manifest_path)


def _blocks(handle):
    return iter(lambda: handle.read(CHUNK_SIZE), b"")


def _utf8_length(text):
    return len(text.encode("utf-8"))


def _json_length(text):
    return len(escape_json_text(text))


class _FileScan(object):
    """One pass over a backup file: its sha256 and size, whether it is UTF-8 text, and its text's bounds.

    The bounds (byte offsets ``start`` and ``end``) are those of the text stripped of white space at
    both ends, as ``str.strip()`` strips it (what a restore sends); ``json_length`` is the length of
    that text once JSON-escaped.
    """

    def __init__(self):
        self._digest = hashlib.sha256()
        self.size = 0
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.is_text = True
        self._decoded = 0  # bytes decoded so far (the decoder may hold the start of a character)
        self.start = None
        self.end = 0
        self.json_length = 0  # of the text from start to end
        self._trailing = 0  # JSON length of the white space seen after end

    def feed(self, block):
        self._digest.update(block)
        self.size += len(block)
        if not self.is_text:
            return
        try:
            text = self._utf8.decode(block)
        except UnicodeDecodeError:
            self.is_text = False
            return
        text_start, self._decoded = self._decoded, self.size - len(self._utf8.getstate()[0])
        if self.start is None:
            stripped = text.lstrip()
            if not stripped:
                return
            self.start = text_start + _utf8_length(text[: len(text) - len(stripped)])
            text = stripped
        core = text.rstrip()
        if core:
            trailing = text[len(core) :]
            self.json_length += self._trailing + _json_length(core)
            self.end = self._decoded - _utf8_length(trailing)
            self._trailing = _json_length(trailing)
        else:
            self._trailing += _json_length(text)

    def finish(self):
        try:
            self._utf8.decode(b"", True)
        except UnicodeDecodeError:
            self.is_text = False

    @property
    def sha256(self):
        return self._digest.hexdigest()


class BackupText(object):
    """The text of a verified backup file, stripped of white space at both ends, as restore sends it.

    A source of a JSON string value (``json_length``, ``json_chunks()``; see wa_json_stream): the file
    is read again, escaped piece by piece as it is sent, and checked again (sha256 and size) before the
    request is complete, so that a file changed since it was verified is never restored.
    """

    def __init__(self, path, sha256, size, start, end, json_length):
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.start = start
        self.end = end
        self.json_length = json_length

    def json_chunks(self):
        digest = hashlib.sha256()
        utf8 = codecs.getincrementaldecoder("utf-8")()
        position = 0
        try:
            with open_regular(self.path, "The backup file") as handle:
                for block in _blocks(handle):
                    digest.update(block)
                    low, high = max(self.start - position, 0), min(self.end - position, len(block))
                    if low < high:
                        yield escape_json_text(utf8.decode(block[low:high]))
                    position += len(block)
            utf8.decode(b"", True)
        except UnicodeDecodeError:
            position = None
        except OSError as exc:
            raise BackupFileError("The backup file %s cannot be read: %s." % (self.path, exc.strerror or exc)) from None
        if position != self.size or digest.hexdigest() != self.sha256:
            raise BackupFileError(
                "The backup file %s changed after it was verified: it is not the backup that was checked." % self.path
            )


def verify_backup(src, manifest_path=None, checksum=None):
    """Verify a backup file in one pass (never holding it whole) before it is used.

    The manifest (``manifest_path``, default ``SRC.manifest.json``) is required unless a
    ``checksum`` is given; when both are there, both must match; the file must be UTF-8 text.
    Returns a dict with ``sha256``, ``size``, ``manifest`` (or None), ``manifest_path`` (or None)
    and ``text``, the BackupText to restore.
    """
    if not src:
        raise BackupFileError("src is empty: give the path of the backup file.")
    scan = _FileScan()
    try:
        with open_regular(src, "src") as handle:
            for block in _blocks(handle):
                scan.feed(block)
    except FileNotFoundError:
        raise BackupFileError("The backup file %s does not exist: check src." % src) from None
    except OSError as exc:
        raise BackupFileError("The backup file %s cannot be read: %s." % (src, exc.strerror or exc)) from None
    scan.finish()
    if not scan.size:
        raise BackupFileError("The backup file %s is empty (0 bytes): it is truncated or was never written." % src)

    explicit = manifest_path is not None
    manifest_path = manifest_path or manifest_path_for(src)
    manifest = None
    if explicit or checksum is None or os.path.exists(manifest_path):
        manifest = load_manifest(manifest_path)
    else:
        manifest_path = None
    sha = check_digest(
        scan.sha256, scan.size, manifest, checksum, what="the backup file %s" % src, manifest_path=manifest_path
    )
    if not scan.is_text:
        raise BackupFileError("The backup file %s is not text: it is not a backup written by wa_backup." % src)
    text = BackupText(src, sha, scan.size, scan.start or 0, scan.end, scan.json_length)
    return {"sha256": sha, "size": scan.size, "manifest": manifest, "manifest_path": manifest_path, "text": text}
