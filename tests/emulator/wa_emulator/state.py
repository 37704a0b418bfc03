"""The emulated client's persistent state (``DIR/state.json``), written atomically.

Secrets are never stored in clear: passwords as salted PBKDF2 hashes, tokens as sha256 hashes.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import os
import threading
from pathlib import Path

from . import atomic, passwords
from .settings import default_settings

FORMAT = 1
DEFAULT_ADMIN = "admin"
DEFAULT_ADMIN_PASSWORD = "secret"  # the vendor's well-known first-login password
MAX_TOKENS = 500


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(ts: dt.datetime | None = None) -> str:
    return (ts or utcnow()).isoformat(timespec="milliseconds")


def new_identity_key_id() -> str:
    return os.urandom(8).hex()


def initial_state(
    *, registered: bool, cc: str, phone_number: str, shards: int, admin_password: str | None, vname: str
) -> dict:
    admin = passwords.hash_password(admin_password or DEFAULT_ADMIN_PASSWORD)
    admin.update(role="admin", must_change=admin_password is None)
    state = {
        "format": FORMAT,
        "created_at": iso(),
        "registered": False,
        "pending": None,
        "cc": None,
        "phone_number": None,
        "vname": None,
        "shards": None,
        "generation": 1,
        "identity_key_id": None,
        "registered_at": None,
        "restored_at": None,
        "settings": default_settings(),
        "users": {DEFAULT_ADMIN: admin},
        "tokens": {},
    }
    if registered:
        register(state, cc=cc, phone_number=phone_number, vname=vname, shards=shards)
    return state


def register(state: dict, *, cc: str, phone_number: str, vname: str, shards: int) -> None:
    state.update(
        registered=True,
        pending=None,
        cc=cc,
        phone_number=phone_number,
        vname=vname,
        shards=shards,
        identity_key_id=new_identity_key_id(),
        registered_at=iso(),
    )


def summary(state: dict) -> dict:
    """What ``GET /v1/_emulator/state`` shows: nothing secret."""
    keys = (
        "registered",
        "cc",
        "phone_number",
        "vname",
        "shards",
        "generation",
        "identity_key_id",
        "registered_at",
        "restored_at",
        "created_at",
    )
    out = {key: state.get(key) for key in keys}
    pending = state.get("pending")
    out["pending"] = None if not pending else {k: pending.get(k) for k in ("cc", "phone_number", "method")}
    out["settings"] = copy.deepcopy(state.get("settings"))
    out["users"] = sorted(state.get("users", {}))
    return out


class StateStore:
    """``state.json`` in memory, guarded by one lock; every change goes through ``transaction``."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / "state.json"
        self.lock = threading.RLock()
        self.data: dict = {}

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> dict:
        with self.lock:
            self.data = json.loads(self.path.read_text())
            if self.data.get("format") != FORMAT:
                raise ValueError(f"{self.path}: unsupported state format")
            return self.data

    def create(self, state: dict) -> None:
        with self.lock:
            atomic.write_json(self.path, state)
            self.data = state

    def snapshot(self) -> dict:
        with self.lock:
            return copy.deepcopy(self.data)

    def get(self, key, default=None):
        with self.lock:
            return copy.deepcopy(self.data.get(key, default))

    @contextlib.contextmanager
    def transaction(self):
        """Yield a draft copy; on a normal exit it is written to disk and becomes the state.

        When the block raises, nothing changes, neither in memory nor on disk.
        """
        with self.lock:
            draft = copy.deepcopy(self.data)
            yield draft
            atomic.write_json(self.path, draft)
            self.data = draft


def read_generation(data_dir: Path) -> int | None:
    """The generation in ``DIR/state.json`` (for coreapp nodes), or None when unreadable."""
    try:
        return int(json.loads((Path(data_dir) / "state.json").read_text())["generation"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
