"""``DIR/lifecycle.log``: one JSON line each time the client starts or exits, and why.

It survives restarts, so tests can prove that a client exited by itself after an import (and
was started again), not merely that its container was restarted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .state import iso

FILE = "lifecycle.log"


def record(data_dir: Path, event: str, **fields) -> None:
    entry = {"ts": iso(), "event": event, "pid": os.getpid(), **fields}
    with open(Path(data_dir) / FILE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, separators=(",", ":")) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read(data_dir: Path) -> list[dict]:
    try:
        text = (Path(data_dir) / FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]
