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
import socket
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
        # Container ids differ between installations: the host name (a container's id) and the
        # data directory tell two emulators apart, so that node keys identify one client.
        self.install = f"{socket.gethostname()}:{self.data_dir}"

    def single_instance(self) -> bool:
        return not self.external and self.coreapps == 1

    def coreapp_keys(self, generation: int) -> list[str]:
        if self.external:
            return [
                f"{beat.get('hostname') or 'coreapp'}:{node_id(self.install, beat['name'])}"
                for beat in fresh_coreapps(self.data_dir, generation)
            ]
        return [f"wa-coreapp-{i}:{node_id(self.install, 'coreapp', i)}" for i in range(1, self.coreapps + 1)]

    def coreapps_running(self, generation: int) -> int:
        return len(self.coreapp_keys(generation))

    def health(self, state: dict) -> dict:
        registered = bool(state.get("registered"))
        if self.single_instance():
            return {"gateway_status": "connected" if registered else "unregistered"}
        shards = int(state.get("shards") or 0)
        master = self.master_key()
        out = {master: {"gateway_status": "connected" if registered else "unregistered", "role": "primary_master"}}
        for index, key in enumerate(self.coreapp_keys(int(state.get("generation", 0)))):
            if not registered:
                status = "unregistered"
            else:
                status = "connected" if index < shards else "disconnected"
            out[key] = {"gateway_status": status, "role": "coreapp"}
        return out

    def master_key(self) -> str:
        return f"wa-master-1:{node_id(self.install, 'master')}"

    def support(self, state: dict) -> dict:
        """``GET /v1/support``: one entry per node with its role and the shards it owns.

        Multiconnect (more than one shard): the primary master owns the control shard
        ``[[-1, -1]]`` and each connected coreapp one shard ``[[n, n]]``; HA (one shard): the
        active coreapp owns ``[[-1, -1], [0, 0]]``; standby coreapps and every node of an
        unregistered client own ``[]`` (that last point is ours: not documented).
        """
        registered = bool(state.get("registered"))
        shards = int(state.get("shards") or 0) if registered else 0
        multi = shards > 1

        def node(role: str, owned: list, up: bool) -> dict:
            return {
                "multi_connect": multi,
                "role": role,
                "shards": owned,
                "socket_conn": "UP" if up else "DN",
                "db_engine": "sqlite",
                "debug_info": "emulated",
            }

        if self.single_instance():
            key = f"wa-webapp:{node_id(self.install, 'single')}"
            return {key: node("coreapp", [[-1, -1], [0, 0]] if registered else [], registered)}
        out = {self.master_key(): node("primary_master", [[-1, -1]] if multi else [], registered)}
        for index, key in enumerate(self.coreapp_keys(int(state.get("generation", 0)))):
            if index >= shards:
                owned = []
            elif multi:
                owned = [[index, index]]
            else:
                owned = [[-1, -1], [0, 0]]
            out[key] = node("coreapp", owned, bool(owned))
        return out
