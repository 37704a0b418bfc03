"""``EmulatorProcess``: run ``python -m wa_emulator serve`` as a real process, for tests.

Standard library only. Typical use (pytest)::

    from wa_emulator.launcher import EmulatorProcess

    with EmulatorProcess(tmp_path / "wa", ["--state", "registered", "--shards", "2"]) as emu:
        token = emu.admin_token()                    # logs in with emu.admin_password
        status, body = emu.api("GET", "/v1/health", token=token)
        emu.set_faults({"fail_next": 1, "paths": ["/v1/health"]})
        emu.url                                      # http://127.0.0.1:PORT, for the code under test
        emu.request_log()                            # [{"ts", "method", "path", "status"}, ...]

By default the process gets ``--admin-password`` (``DEFAULT_ADMIN_PASSWORD``) so that no forced
change is needed; pass ``admin_password=None`` to start with the vendor's admin/secret.
The port is picked once (bind to 127.0.0.1:0) and kept by ``restart()``; the data directory too.
``$WA_EMULATOR_PYTHON`` picks another interpreter for the processes (e.g. the system python3
with Debian's python3-cryptography, as in the container image).
TLS: pass ``--tls-self-signed`` (the generated certificate is trusted automatically) or
``--tls-cert/--tls-key`` with ``cafile=`` (or ``verify=False``).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_ADMIN_PASSWORD = "Adm1n-Pa55word!"
PACKAGE_PARENT = Path(__file__).resolve().parent.parent


def python_executable() -> str:
    """The interpreter that runs emulator processes: ``$WA_EMULATOR_PYTHON`` or this one."""
    return os.environ.get("WA_EMULATOR_PYTHON") or sys.executable


def process_env(base: dict | None = None) -> dict:
    """``base`` (default: os.environ) with this package importable and unbuffered output."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_PARENT), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class EmulatorError(RuntimeError):
    pass


class EmulatorProcess:
    """One emulator process (restartable) on 127.0.0.1 with its own data directory."""

    def __init__(
        self,
        data_dir: str | os.PathLike | None = None,
        args: list[str] | tuple[str, ...] = (),
        *,
        admin_password: str | None = DEFAULT_ADMIN_PASSWORD,
        port: int | None = None,
        cafile: str | os.PathLike | None = None,
        verify: bool = True,
        start_timeout: float = 20.0,
        python: str | None = None,
        env: dict | None = None,
        start: bool = True,
    ):
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="wa-emulator-"))
        self.args = [str(a) for a in args]
        self.admin_password = admin_password
        self.host = "127.0.0.1"
        self._fixed_port = port is not None
        self.port = port or free_port(self.host)
        self.cafile = Path(cafile) if cafile else None
        self.verify = verify
        self.start_timeout = start_timeout
        self.python = python or python_executable()
        self.env = env
        self.proc: subprocess.Popen | None = None
        self._token: str | None = None
        self.output_path = self.data_dir / "emulator.out"
        if start:
            self.start()

    # -- properties -----------------------------------------------------------------------------
    @property
    def tls(self) -> bool:
        return "--tls-self-signed" in self.args or "--tls-cert" in self.args

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended (None while it runs)."""
        return None if self.proc is None else self.proc.poll()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def command(self) -> list[str]:
        cmd = [self.python, "-m", "wa_emulator", "serve", "--data-dir", str(self.data_dir)]
        cmd += ["--host", self.host, "--port", str(self.port)]
        if self.admin_password is not None and "--admin-password" not in self.args:
            cmd += ["--admin-password", self.admin_password]
        return cmd + self.args

    def output(self) -> str:
        """What the process printed (stdout and stderr, every start)."""
        try:
            return self.output_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> EmulatorProcess:
        if self.running():
            raise EmulatorError("the emulator is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = process_env(self.env)
        for attempt in range(3):
            with open(self.output_path, "ab") as out:
                self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT, env=env)
            if self._wait_ready():
                self._token = None
                return self
            if self.running():
                self.kill()
                raise EmulatorError(f"emulator did not answer within {self.start_timeout}s:\n{self.output()[-2000:]}")
            if self._fixed_port or attempt == 2 or "cannot serve" not in self.output():
                raise EmulatorError(f"emulator exited with {self.returncode}:\n{self.output()[-2000:]}")
            self.port = free_port(self.host)  # lost a race for the port: try another one
        raise EmulatorError("emulator did not start")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=0.5):
                return True
            time.sleep(0.05)
        return False

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        return self.proc.wait(10)

    def wait_exit(self, timeout: float = 10.0) -> int:
        """Wait for the process to end by itself (e.g. after a restore); raises TimeoutError."""
        if self.proc is None:
            raise EmulatorError("the emulator was never started")
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise TimeoutError(f"emulator still running after {timeout}s") from exc

    def restart(self, args: list[str] | None = None) -> EmulatorProcess:
        """Stop (if running) and start again: same data directory and port; ``args`` replace the old ones."""
        self.stop()
        if args is not None:
            self.args = [str(a) for a in args]
        self._fixed_port = True
        return self.start()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- HTTP -----------------------------------------------------------------------------------
    def ssl_context(self) -> ssl.SSLContext:
        if not self.verify:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        cafile = self.cafile
        if cafile is None and "--tls-self-signed" in self.args:
            cafile = self.data_dir / "tls" / "self-signed.pem"
        return ssl.create_default_context(cafile=str(cafile) if cafile else None)

    def connection(self, timeout: float = 30.0) -> http.client.HTTPConnection:
        if self.tls:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.ssl_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def raw(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: dict | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, dict, bytes]:
        """One request on a fresh connection: (status, lower-case headers, body bytes)."""
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def api(
        self,
        method: str,
        path: str,
        body: object = None,
        token: str | None = None,
        *,
        basic: tuple[str, str] | None = None,
        headers: dict | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, object]:
        """(status, parsed JSON) of one API call; the JSON is None for an empty or non-JSON body."""
        send = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            send.setdefault("Content-Type", "application/json")
        if token:
            send["Authorization"] = f"Bearer {token}"
        if basic:
            send["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        status, _headers, raw = self.raw(method, path, data, send, timeout)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    def login(self, username: str = "admin", password: str | None = None, new_password: str | None = None) -> str:
        """A bearer token; raises EmulatorError (without the password) when the login fails."""
        password = self.admin_password if password is None else password
        body = {"new_password": new_password} if new_password else {}
        status, answer = self.api("POST", "/v1/users/login", body, basic=(username, password or ""))
        if status != 200:
            errors = answer.get("errors") if isinstance(answer, dict) else None
            raise EmulatorError(f"login as {username} failed: HTTP {status} {errors}")
        return answer["users"][0]["token"]

    def admin_token(self) -> str:
        """A cached admin token (logs in again after a restart)."""
        if self._token is None:
            self._token = self.login("admin", self.admin_password)
        return self._token

    def _admin(self, method: str, path: str, body: object = None) -> object:
        status, answer = self.api(method, path, body, token=self.admin_token())
        if status == 401:
            self._token = None
            status, answer = self.api(method, path, body, token=self.admin_token())
        if status != 200:
            raise EmulatorError(f"{method} {path}: HTTP {status} {answer}")
        return answer

    def set_faults(self, faults: dict) -> dict:
        """Replace the fault set (see wa_emulator.faults); returns it as the emulator stored it."""
        return self._admin("POST", "/v1/_emulator/faults", faults)["faults"]

    def get_faults(self) -> dict:
        return self._admin("GET", "/v1/_emulator/faults")["faults"]

    def clear_faults(self) -> None:
        self._admin("DELETE", "/v1/_emulator/faults")

    def state(self) -> dict:
        """The non-secret state summary (GET /v1/_emulator/state)."""
        return self._admin("GET", "/v1/_emulator/state")["state"]

    def state_file(self) -> dict:
        """``state.json`` as on disk (works while the process is down)."""
        return json.loads((self.data_dir / "state.json").read_text())

    def request_log(self) -> list[dict]:
        """``requests.log`` as a list of dicts, oldest first."""
        try:
            text = (self.data_dir / "requests.log").read_text()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]
