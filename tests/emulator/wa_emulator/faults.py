"""Injected faults (``--faults JSON`` and ``/v1/_emulator/faults``).

Keys:
  delay_ms             every API request waits this long first
  fail_next            the next N matching requests answer ``fail_status`` (default 503) with an error envelope
  drop_next            the next N matching requests get the connection closed without an answer
  html_next            the next N matching requests get a proxy's HTML error page (``html_status``, default 502)
  paths                prefix filter (string or list) for fail/drop/html; absent: every API path
  backup_exit_midway   the next N backups send half the body, then the process exits
  restore_crash        "before_commit" (exit, nothing applied) or "after_commit" (applied, exit
                       without answering), once, on the next restore that passes validation
Each counter goes down by one per request it fires on. One request gets at most one of
drop, html, fail (checked in that order). ``/v1/_emulator/*`` is never affected.
"""

from __future__ import annotations

import copy
import threading

from .envelope import bad_request

COUNTERS = ("fail_next", "drop_next", "html_next", "backup_exit_midway")
CRASH_MODES = ("before_commit", "after_commit")


def _count(name: str, value: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and 0 <= value <= 1_000_000:
        return value
    raise bad_request(f"fault {name} must be a non-negative integer")


def normalize(spec: object) -> dict:
    """A validated copy of a fault set; raises ApiError 400/1009."""
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise bad_request("faults must be a JSON object")
    out: dict = {}
    for key, value in spec.items():
        if key in COUNTERS:
            out[key] = _count(key, value)
        elif key == "delay_ms":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 120_000:
                raise bad_request("fault delay_ms must be a number of milliseconds (0 to 120000)")
            out[key] = value
        elif key in ("fail_status", "html_status"):
            if isinstance(value, bool) or not isinstance(value, int) or not 400 <= value <= 599:
                raise bad_request(f"fault {key} must be an HTTP status from 400 to 599")
            out[key] = value
        elif key == "paths":
            paths = [value] if isinstance(value, str) else value
            if not isinstance(paths, list) or not all(isinstance(p, str) and p.startswith("/") for p in paths):
                raise bad_request("fault paths must be a path prefix or a list of them")
            out[key] = list(paths)
        elif key == "restore_crash":
            if value is not None and value not in CRASH_MODES:
                raise bad_request("fault restore_crash must be before_commit or after_commit")
            if value is not None:
                out[key] = value
        else:
            raise bad_request(
                "unknown fault key (known: delay_ms, fail_next, fail_status, drop_next, "
                "html_next, html_status, paths, backup_exit_midway, restore_crash)"
            )
    return out


class Faults:
    def __init__(self, spec: object = None):
        self._lock = threading.Lock()
        self._spec = normalize(spec)

    def replace(self, spec: object) -> dict:
        new = normalize(spec)
        with self._lock:
            self._spec = new
            return copy.deepcopy(new)

    def clear(self) -> None:
        with self._lock:
            self._spec = {}

    def view(self) -> dict:
        with self._lock:
            return copy.deepcopy(self._spec)

    def delay_seconds(self) -> float:
        with self._lock:
            return float(self._spec.get("delay_ms", 0)) / 1000.0

    def _matches(self, path: str) -> bool:
        paths = self._spec.get("paths")
        return not paths or any(path.startswith(prefix) for prefix in paths)

    def _take(self, key: str) -> bool:
        if self._spec.get(key, 0) > 0:
            self._spec[key] -= 1
            return True
        return False

    def take_transport(self, path: str) -> tuple[str, int] | None:
        """("drop", 0), ("html", status), ("fail", status) or None; counts the fault as used."""
        with self._lock:
            if not self._matches(path):
                return None
            if self._take("drop_next"):
                return ("drop", 0)
            if self._take("html_next"):
                return ("html", self._spec.get("html_status", 502))
            if self._take("fail_next"):
                return ("fail", self._spec.get("fail_status", 503))
            return None

    def take_backup_exit(self) -> bool:
        with self._lock:
            return self._take("backup_exit_midway")

    def take_restore_crash(self) -> str | None:
        with self._lock:
            return self._spec.pop("restore_crash", None)
