"""``DIR/requests.log``: one JSON line per request, never a header or a body."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from .state import iso


class RequestLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def write(self, method: str | None, path: str | None, status: int | None, fault: str | None = None) -> None:
        entry = {"ts": iso(), "method": (method or "-")[:16], "path": (path or "-")[:256], "status": status}
        if fault:
            entry["fault"] = fault
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()


def read(path: Path) -> list[dict]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]
