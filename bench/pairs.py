"""Fresh source+target pairs of emulated clients in containers, made with the Docker SDK.

A restored target is registered, so every measured migration needs a new pair. Containers are
started like the client's own (no restart policy: a client that exits after an import stays
exited until restarted) from ``wabiz-emulator:latest``, with HTTPS from a private CA, a host
directory as ``/data`` (so that the benchmark reads ``requests.log`` and ``lifecycle.log``
directly), published on 127.0.0.1 in 21000-21999, named ``wa-bench-...`` and labelled
``wabiz.migration/test=wa-bench``. ``Pairs.close()`` removes every container it made, and
``sweep()`` removes anything a killed earlier run left behind.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import docker
import requests
from wa_http import ApiSession

from wa_emulator.certs import make_certs
from wa_emulator.launcher import DEFAULT_ADMIN_PASSWORD

IMAGE = "wabiz-emulator:latest"
LABEL = "wabiz.migration/test"
PREFIX = "wa-bench"
PORTS = range(21000, 22000)
PHONES = {"registered": "15550002222", "unregistered": "15550003333"}


@dataclass
class Client:
    """One emulated client: its container, API URL and data directory on the host."""

    name: str
    url: str
    data_dir: Path
    container: object

    @property
    def requests_log(self) -> Path:
        return self.data_dir / "requests.log"


@dataclass
class Pair:
    source: Client
    target: Client
    admin_password: str
    ca_path: Path


def sweep(client) -> None:
    """Remove every container that carries the benchmark's label (a killed run's leftovers)."""
    for container in client.containers.list(all=True, filters={"label": f"{LABEL}={PREFIX}"}):
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Pairs:
    """Makes pairs under ``work_dir``; use as a context manager so that everything is removed."""

    def __init__(self, work_dir: Path, target_start_delay: float = 0):
        self.docker = docker.from_env(version="auto", timeout=120)
        self.work_dir = Path(work_dir)
        self.run_id = uuid.uuid4().hex[:6]
        self.target_start_delay = target_start_delay
        self.admin_password = DEFAULT_ADMIN_PASSWORD
        self.tls_dir = self.work_dir / "tls"
        make_certs(self.tls_dir, ["localhost"], ["127.0.0.1"])
        self.made: list = []
        self._next_port = PORTS.start + (int(self.run_id, 16) % 50) * 10
        sweep(self.docker)

    def __enter__(self) -> Pairs:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _port(self) -> int:
        for _slot in range(len(PORTS)):
            port = self._next_port
            self._next_port = PORTS.start + (port + 1 - PORTS.start) % len(PORTS)
            if _port_free(port):
                return port
        raise RuntimeError("no free port in 21000-21999 on 127.0.0.1")

    def _start(self, name: str, state: str) -> Client:
        data_dir = self.work_dir / name
        data_dir.mkdir(parents=True)
        port = self._port()
        command = ["serve", "--host", "0.0.0.0", "--port", "443", "--data-dir", "/data"]
        command += ["--tls-cert", "/tls/server.pem", "--tls-key", "/tls/server.key"]
        command += ["--state", state, "--phone", PHONES[state], "--admin-password", self.admin_password]
        if state == "unregistered" and self.target_start_delay:
            # A client that takes a while to come up (answers 503 "not ready" meanwhile), as real ones do.
            command += ["--start-delay", str(self.target_start_delay)]
        container = self.docker.containers.run(
            IMAGE,
            command=command,
            name=name,
            detach=True,
            labels={LABEL: PREFIX},
            ports={"443/tcp": ("127.0.0.1", port)},
            volumes={str(data_dir): {"bind": "/data", "mode": "rw"}, str(self.tls_dir): {"bind": "/tls", "mode": "ro"}},
            restart_policy={"Name": "no"},
        )
        self.made.append(container)
        return Client(name, f"https://127.0.0.1:{port}", data_dir, container)

    def make(self, tag: str) -> Pair:
        """A registered source and an unregistered target, both answering."""
        base = f"{PREFIX}-{self.run_id}-{tag}"
        pair = Pair(
            self._start(f"{base}-source", "registered"),
            self._start(f"{base}-target", "unregistered"),
            self.admin_password,
            self.tls_dir / "ca.pem",
        )
        for client, wanted in ((pair.source, "connected"), (pair.target, "unregistered")):
            wait_for_status(client.url, self.admin_password, pair.ca_path, wanted, timeout=60)
        return pair

    def discard(self, pair: Pair) -> None:
        for client in (pair.source, pair.target):
            with contextlib.suppress(docker.errors.NotFound):
                client.container.remove(force=True)
            self.made = [c for c in self.made if c.id != client.container.id]
            shutil.rmtree(client.data_dir, ignore_errors=True)

    def close(self) -> None:
        for container in self.made:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
        self.made = []
        sweep(self.docker)
        self.docker.close()


def wait_for_status(url: str, password: str, ca_path: Path, wanted: str, timeout: float) -> None:
    """Poll until the client's gateway_status is ``wanted`` (bounded by ``timeout``)."""
    deadline = time.monotonic() + timeout
    last = None
    with ApiSession(url, ca_path) as api:
        while time.monotonic() < deadline:
            try:
                api.token = api.token or api.login(password)
                last = api.gateway_status()
                if last == wanted:
                    return
            except (requests.RequestException, ValueError, KeyError) as exc:
                last = type(exc).__name__
            time.sleep(0.05)
    raise TimeoutError(f"{url} not {wanted} within {timeout}s (last: {last})")
