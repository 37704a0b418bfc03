# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An exclusive lock file per resource (a migration target), so that one run at a time changes it.

The API has no lock of its own, so the lock lives on the host that runs the role's modules (the
controller): ``LOCK_DIR/<address>_<port>.lock`` for a target URL (the address its host resolves
to), a JSON record of who holds it
(run id, PID and start time of the ansible-playbook process, host name, time, labels; never a
secret). It only excludes runs that share ``LOCK_DIR``: one controller, or a shared file system
with atomic ``link``.

- Taking it is atomic: the record is written to a temporary file, then published with
  ``os.link``, which fails when the lock exists, so a lock file is never seen half-written.
- A lock is stale when its age exceeds ``max_age`` or, when it was taken on this host, when its
  process has ended (PID gone, a zombie, or reused by another process: its start time differs).
- A stale lock is replaced under a second lock (``.break``), after reading it again, so that two
  runs that both find it stale cannot remove a lock that a third one has just taken.
- Only its owner (the same run id) releases it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import re
import socket
import tempfile
import time

from ansible_collections.wabiz.migration.plugins.module_utils.wa_endpoint import endpoint_key

LOCK_SUFFIX = ".lock"
BREAK_SUFFIX = ".break"
# A `.break` file older than this was left by a run that died while replacing a stale lock.
BREAK_MAX_AGE = 60.0
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
# As wa_client.safe_url, without importing wa_client (and requests, which the lock does not need).
_CREDENTIALS = re.compile(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", re.IGNORECASE)


class LockBusy(Exception):
    """The lock is held by a live run; ``holder`` is its record."""

    def __init__(self, message, holder=None):
        super(LockBusy, self).__init__(message)
        self.holder = holder


class LockError(Exception):
    """The lock cannot be taken, read or released (file system errors, a foreign file)."""


def lock_file_name(resource):
    """``<address>_<port>.lock`` for a URL: the address it resolves to, so that two spellings of one target
    (``localhost``, ``127.0.0.1``) take one lock; credentials left out, default ports filled in. Else the
    name made safe."""
    text = (resource or "").strip()
    key = endpoint_key(text)
    if key:
        address, _sep, port = key.rpartition(":")
        text = "%s_%s" % (address.strip("[]"), port)
    name = _UNSAFE.sub("_", text).strip("._")
    if not name:
        raise LockError("The resource to lock is empty: give the target's API URL.")
    return name[:200] + LOCK_SUFFIX


def _proc_stat(pid):
    """(state, start time) of a process from /proc, or None when there is no such process (or no /proc)."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            text = handle.read()
    except (IOError, OSError):
        return None
    # The command name may hold spaces and parentheses: the fields after it follow the last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], fields[19]


def _ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            text = handle.read()
        return int(text[text.rindex(")") + 2 :].split()[1])
    except (IOError, OSError, ValueError, IndexError):
        return 0


def _is_ansible(pid):
    """Whether the process runs an ``ansible*`` program (ansible-playbook, ansible-runner, ...)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            argv = handle.read().split(b"\0")
    except (IOError, OSError):
        return False
    return any(os.path.basename(arg).startswith(b"ansible") for arg in argv[:2])


def run_pid():
    """The PID of the ansible run this module belongs to: the top of the first ``ansible*`` chain above it.

    A module is a short-lived child of a worker of ansible-playbook, itself a child of the run's main
    process; the run lives as long as that chain's topmost process. Above it (a shell, a scheduler,
    ansible-test, a long-lived ansible-rulebook) the walk stops: those outlive the run.
    None without /proc (then only the age makes a lock stale).
    """
    found = None
    pid = os.getpid()
    seen = set()
    while pid > 1 and pid not in seen:
        seen.add(pid)
        if _is_ansible(pid):
            found = pid
        elif found is not None:
            break
        pid = _ppid(pid)
    return found


def process_start(pid):
    stat = _proc_stat(pid) if pid else None
    return stat[1] if stat else None


def process_alive(pid, start):
    """Whether ``pid`` runs and is the process that started at ``start`` (not a zombie, not a reused PID)."""
    stat = _proc_stat(pid)
    if stat is None:
        try:
            os.kill(pid, 0)
        except OSError as exc:
            return exc.errno == errno.EPERM
        return True  # no /proc: the PID exists, which is all we can tell
    state, started = stat
    return state not in ("Z", "X") and (start is None or started == start)


def stale_reason(holder, max_age, now=None, host=None):
    """Why ``holder``'s lock is stale, or None while it may still be held."""
    now = time.time() if now is None else now
    host = socket.gethostname() if host is None else host
    try:
        age = now - float(holder.get("created", 0))
    except (TypeError, ValueError):
        age = float("inf")
    if age > max_age:
        return "it is older than max_age (%d s)" % max_age
    pid = holder.get("pid")
    if holder.get("host") == host and isinstance(pid, int) and pid > 0:
        if not process_alive(pid, holder.get("pid_start")):
            return "its process (PID %d on %s) has ended" % (pid, host)
    return None


def describe(holder):
    """One line about a lock's holder, for messages."""
    labels = ", ".join("%s %s" % (k, v) for k, v in sorted((holder.get("labels") or {}).items()))
    return "run %s (PID %s on %s, since %s%s)" % (
        holder.get("owner"),
        holder.get("pid"),
        holder.get("host"),
        holder.get("created_at"),
        ", " + labels if labels else "",
    )


def read_lock(path):
    """The record in a lock file, or None when there is none."""
    try:
        with open(path) as handle:
            record = json.load(handle)
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise LockError("Cannot read the lock %s: %s." % (path, exc.strerror)) from None
    except ValueError:
        raise LockError(
            "%s is not a lock written by wa_lock (not JSON): remove it if no migration of this target runs." % path
        ) from None
    if not isinstance(record, dict):
        raise LockError("%s is not a lock written by wa_lock: remove it if no migration of this target runs." % path)
    return record


def _make_dir(path):
    try:
        os.makedirs(path, 0o700)
    except OSError as exc:
        if exc.errno != errno.EEXIST:  # another run made it at the same time
            raise


def _publish(path, record):
    """Write ``record`` to ``path`` atomically unless it exists; False when it exists."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".wa_lock-", dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(record, handle, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                return False
            raise
        return True
    finally:
        os.unlink(tmp)


def _remove_stale(path, stale):
    """Remove ``path`` if it still holds ``stale``, under the ``.break`` lock; False when another run is at it."""
    breaker = path + BREAK_SUFFIX
    try:
        fd = os.open(breaker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        if exc.errno != errno.EEXIST:
            raise
        try:
            if time.time() - os.stat(breaker).st_mtime > BREAK_MAX_AGE:
                os.unlink(breaker)  # left by a run that died in the middle of this; the next try takes it
        except OSError:
            pass
        return False
    os.close(fd)
    try:
        current = read_lock(path)
        if current is not None and current.get("owner") == stale.get("owner"):
            os.unlink(path)
        return True
    finally:
        os.unlink(breaker)


def acquire(lock_dir, resource, owner, max_age, labels=None, check_mode=False):
    """Take the lock on ``resource`` for ``owner``.

    Returns ``(changed, path, holder, replaced)``: the record now in the lock, and the stale record it
    replaced (or None). Raises LockBusy when a live run holds it, LockError on file system errors.
    """
    path = os.path.join(lock_dir, lock_file_name(resource))
    pid = run_pid()
    now = time.time()
    record = dict(
        owner=owner,
        resource=_CREDENTIALS.sub(r"\1", resource.strip()),
        pid=pid,
        pid_start=process_start(pid),
        host=socket.gethostname(),
        created=now,
        created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        labels=dict(labels or {}),
    )
    replaced = None
    try:
        if not check_mode:
            _make_dir(lock_dir)
        for _attempt in range(3):
            holder = read_lock(path)
            if holder is not None:
                if holder.get("owner") == owner:
                    return False, path, holder, None
                why = stale_reason(holder, max_age)
                if why is None:
                    raise LockBusy(
                        "Another run is migrating this target: %s holds %s. Nothing was changed. Wait until it "
                        "ends; a lock left by a run that died is replaced by itself once its process has ended "
                        "(or it is older than max_age), or remove the file if you are sure no run uses it."
                        % (describe(holder), path),
                        holder,
                    )
                replaced = dict(holder, stale_because=why)
                if check_mode:
                    return True, path, record, replaced
                if not _remove_stale(path, holder):
                    time.sleep(0.1)  # another run is replacing the stale lock: see what it left
                    continue
            elif check_mode:
                return True, path, record, None
            if _publish(path, record):
                return True, path, record, replaced
        holder = read_lock(path) or {}
        raise LockBusy(
            "Another run took the lock %s at the same time: %s. Nothing was changed." % (path, describe(holder)),
            holder,
        )
    except (IOError, OSError) as exc:
        raise LockError("Cannot take the lock %s: %s." % (path, exc.strerror or exc)) from None


def release(lock_dir, resource, owner, check_mode=False):
    """Release ``owner``'s lock; returns ``(changed, path, holder)`` where holder is the record left (or None)."""
    path = os.path.join(lock_dir, lock_file_name(resource))
    holder = read_lock(path)
    if holder is None or holder.get("owner") != owner:
        return False, path, holder
    if not check_mode:
        try:
            os.unlink(path)
        except (IOError, OSError) as exc:
            if exc.errno != errno.ENOENT:
                raise LockError("Cannot remove the lock %s: %s." % (path, exc.strerror)) from None
    return True, path, None
