"""A multiconnect Coreapp node: heartbeats ``DIR/nodes/NAME.json`` until the generation changes.

Exits 0 when ``state.json``'s generation differs from the one it started with (a restore
happened: the container must be restarted) and promptly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import threading
import time
from pathlib import Path

from . import atomic
from .state import read_generation

INTERVAL = 0.5


def run(data_dir: Path, name: str, interval: float = INTERVAL) -> int:
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name):
        raise SystemExit("coreapp: --name must be 1 to 64 letters, digits, _ . -")
    data_dir = Path(data_dir)
    nodes = data_dir / "nodes"
    nodes.mkdir(parents=True, exist_ok=True)
    beat_path = nodes / f"{name}.json"
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # The webapp may create state.json after this node starts: wait for it.
    generation = read_generation(data_dir)
    while generation is None and not stop.wait(interval):
        generation = read_generation(data_dir)
    if generation is None:
        return 0
    print(f"wa_emulator coreapp {name}: generation {generation}, heartbeats in {beat_path}", flush=True)
    hostname = socket.gethostname()
    status = 0
    try:
        while not stop.is_set():
            current = read_generation(data_dir)
            if current is not None and current != generation:
                print(f"wa_emulator coreapp {name}: generation {current} (restore): exiting", flush=True)
                break
            beat = {"name": name, "hostname": hostname, "pid": os.getpid(), "generation": generation, "ts": time.time()}
            atomic.write_json(beat_path, beat, 0o644, fsync=False)
            stop.wait(interval)
    finally:
        with contextlib.suppress(OSError):
            beat_path.unlink()
    return status
