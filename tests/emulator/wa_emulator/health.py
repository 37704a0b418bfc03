"""``GET /v1/health``: the nodes of the deployment and their gateway status.

Single instance (one internal coreapp): ``{"gateway_status": S}``. Otherwise one entry per node
keyed ``hostname:id``: the primary master, then the coreapps. Registered: the first ``shards``
coreapps are ``connected`` and the rest ``disconnected`` (HA standby); unregistered: every
node ``unregistered``. With ``--external-coreapps`` the coreapps are the ``coreapp`` processes
whose heartbeat (``DIR/nodes/NAME.json``) is fresh and of the current generation.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

FRESH_SECONDS = 3.0


def node_id(*parts: object) -> str:
    """A stable 12-hex-digit id, like a short container id."""
    return hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()[:12]


def read_heartbeats(data_dir: Path) -> list[dict]:
    out = []
    for path in sorted((Path(data_dir) / "nodes").glob("*.json")):
        try:
            beat = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(beat, dict) and isinstance(beat.get("name"), str):
            out.append(beat)
    return out


def fresh_coreapps(data_dir: Path, generation: int, now: float | None = None) -> list[dict]:
    now = time.time() if now is None else now
    fresh = []
    for beat in read_heartbeats(data_dir):
        try:
            ts = float(beat.get("ts", 0))
        except (TypeError, ValueError):
            continue
        if now - ts < FRESH_SECONDS and beat.get("generation") == generation:
            fresh.append(beat)
    return sorted(fresh, key=lambda b: b["name"])


class Deployment:
    """The containers the emulator stands for."""

    def __init__(self, data_dir: Path, coreapps: int, external: bool):
        self.data_dir = Path(data_dir)
        self.coreapps = coreapps
        self.external = external

    def single_instance(self) -> bool:
        return not self.external and self.coreapps == 1

    def coreapp_keys(self, generation: int) -> list[str]:
        if self.external:
            return [
                f"{beat.get('hostname') or 'coreapp'}:{node_id(self.data_dir, beat['name'])}"
                for beat in fresh_coreapps(self.data_dir, generation)
            ]
        return [f"wa-coreapp-{i}:{node_id(self.data_dir, 'coreapp', i)}" for i in range(1, self.coreapps + 1)]

    def coreapps_running(self, generation: int) -> int:
        return len(self.coreapp_keys(generation))

    def health(self, state: dict) -> dict:
        registered = bool(state.get("registered"))
        if self.single_instance():
            return {"gateway_status": "connected" if registered else "unregistered"}
        shards = int(state.get("shards") or 0)
        master = f"wa-master-1:{node_id(self.data_dir, 'master')}"
        out = {master: {"gateway_status": "connected" if registered else "unregistered", "role": "primary_master"}}
        for index, key in enumerate(self.coreapp_keys(int(state.get("generation", 0)))):
            if not registered:
                status = "unregistered"
            else:
                status = "connected" if index < shards else "disconnected"
            out[key] = {"gateway_status": status, "role": "coreapp"}
        return out
