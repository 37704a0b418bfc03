"""Helpers of the limits tests (test_modules_limits.py makes fixtures of them).

- ``MisbehavingServer(drip)``: answers every request with a status line and headers, then one byte of
  body every 0.5 s (a 100-byte body, 50 s in all): only a deadline on the whole answer ends such a call.
- ``MisbehavingServer(huge)``: answers every request with 200 and a JSON body of 400 MB without
  Content-Length (the end is the close), as fast as the client reads it.
- ``Probe``: runs tasks through ansible-playbook with the module's process timed and its peak memory
  measured (module_probe.py); returns the PlaybookRun and one record per module process.
- ``TinyDisks``: real tmpfs mounts of a given size in a directory (root only, as here), unmounted by
  ``unmount_all``: a write beyond the size fails with ENOSPC, as on a full disk.
- ``backup_is_whole``: a backup file matches its manifest (size and sha256).
"""

from __future__ import annotations

import hashlib
import json
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path

from playbook_runner import localhost_inventory, run_playbook, write_playbook

HERE = Path(__file__).resolve().parent


class _Request(socketserver.StreamRequestHandler):
    def handle(self):
        first = self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # the rest of the head; the requests here have no body
        self.server.requests.append(first.decode("latin-1").strip())
        try:
            self.server.answer(self.connection)
        except OSError:
            pass  # the client closed the connection: what the tests want


class MisbehavingServer(socketserver.ThreadingTCPServer):
    """A server on 127.0.0.1 that reads a request's head, then runs ``answer(socket)`` (a thread each)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, answer):
        super().__init__(("127.0.0.1", 0), _Request)
        self.answer = answer
        self.requests: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


def drip(conn):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
    for _byte in range(100):
        time.sleep(0.5)
        conn.sendall(b" ")


HUGE = 400 * 1024 * 1024


def huge(conn):
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"health": {"x": "')
    block = b"a" * (1024 * 1024)
    for _block in range(HUGE // len(block)):
        conn.sendall(block)
    conn.sendall(b'"}}')


def backup_is_whole(path: Path) -> bool:
    manifest = json.loads(Path(f"{path}.manifest.json").read_text())
    data = path.read_bytes()
    return len(data) == manifest["size"] and hashlib.sha256(data).hexdigest() == manifest["sha256"]


class Probe:
    """probe(tasks, **run_playbook kwargs) -> (PlaybookRun, [{"elapsed", "maxrss"}, ...] in the tasks' order)."""

    def __init__(self, directory: Path):
        directory.mkdir()
        self.directory = directory
        self.log = directory / "probe.jsonl"
        script = directory / "python"
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "module_probe.py"}" "$@"\n')
        script.chmod(0o755)
        self.inventory = localhost_inventory(directory / "inventory.yml", ansible_python_interpreter=str(script))
        self.runs = 0

    def __call__(self, tasks, **kwargs):
        self.runs += 1
        self.log.write_text("")
        playbook = write_playbook(self.directory / f"play-{self.runs}.yml", tasks)
        env = {"WABIZ_PROBE_LOG": str(self.log), **kwargs.pop("env", {})}
        done = run_playbook(playbook, inventory=self.inventory, env=env, **kwargs)
        return done, [json.loads(line) for line in self.log.read_text().splitlines()]


class TinyDisks:
    """make(size_bytes) -> the mount point of a fresh tmpfs of that size in ``directory``."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.mounted: list[Path] = []

    def __call__(self, size: int) -> Path:
        point = self.directory / f"disk-{len(self.mounted) + 1}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(point)], check=True)
        self.mounted.append(point)
        return point

    def unmount_all(self):
        for point in self.mounted:
            subprocess.run(["umount", str(point)], check=True)
