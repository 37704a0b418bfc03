"""An outside observer of a client's availability: polls its health every 50 ms in a thread.

It records the moments its view changes (``connected``, ``unregistered``, ``http-503``, ``down``
for no answer at all), on the wall clock, so they can be compared with the emulator's own
``requests.log`` (the containers share the host's clock). It logs in once before it starts; a
401 (a client that dropped its tokens) makes it log in again.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import requests
from wa_http import ApiSession

INTERVAL = 0.05


class HealthProbe(threading.Thread):
    def __init__(self, url: str, ca_path: Path, password: str):
        super().__init__(daemon=True)
        self.api = ApiSession(url, ca_path)
        self.password = password
        self.api.login(password)
        self.changes: list[tuple[float, str]] = []
        self._halt = threading.Event()

    def _look(self) -> str:
        try:
            state = self.api.gateway_status(timeout=0.5)
            if state == "http-401":
                self.api.login(self.password)
                state = self.api.gateway_status(timeout=0.5)
            return state
        except (requests.RequestException, ValueError, KeyError):
            self.api.session.close()  # the next look opens a new connection
            return "down"

    def run(self) -> None:
        while not self._halt.is_set():
            state = self._look()
            if not self.changes or self.changes[-1][1] != state:
                self.changes.append((time.time(), state))
            self._halt.wait(INTERVAL)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
        self.api.session.close()

    def first(self, wanted: str, after: float) -> float | None:
        """The wall time of the first change to ``wanted`` at or after ``after`` (None if none)."""
        for stamp, state in self.changes:
            if stamp >= after and state == wanted:
                return stamp
        return None

    def wait_for(self, wanted: str, after: float, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.first(wanted, after)
            if found is not None:
                return found
            time.sleep(INTERVAL)
        return None
