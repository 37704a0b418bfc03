"""The Graph emulator's state: ``DIR/graph-state.json`` (0600, atomic), no secret in clear.

PINs and verify tokens are kept as sha256 hashes only.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from pathlib import Path

from .. import atomic
from .config import GraphConfig

FILE = "graph-state.json"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def initial(config: GraphConfig) -> dict:
    return {
        "numbers": {
            config.phone_number_id: {
                "waba_id": config.waba_id,
                "display_phone_number": config.display_phone_number,
                "verified_name": config.verified_name,
                "platform_type": "ON_PREMISE",
                "throughput": "STANDARD",
                "pin_sha256": digest(config.two_step_pin) if config.two_step_pin else None,
                "register_calls": [],
                "override_callback_uri": None,
                "registrations": 0,
            }
        },
        "wabas": {config.waba_id: {"subscribed": False, "override_callback_uri": None}},
        "onprem": {"shutdowns": []},
    }


class GraphStore:
    def __init__(self, data_dir: Path, config: GraphConfig):
        self.path = Path(data_dir) / FILE
        self.lock = threading.RLock()
        if self.path.exists():
            self.data = json.loads(self.path.read_text())
        else:
            self.data = initial(config)
            self.save()

    def save(self) -> None:
        atomic.write_json(self.path, self.data)

    def snapshot(self) -> dict:
        with self.lock:
            return copy.deepcopy(self.data)
