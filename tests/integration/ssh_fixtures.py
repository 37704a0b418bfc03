"""A real SSH hop to this machine's Docker engine: Debian's sshd on 127.0.0.1, with keys made here.

    with ssh_server(tmp_path) as sshd:
        sshd.docker_host          # ssh://root@127.0.0.1:PORT
        sshd.key, sshd.known_hosts, sshd.ssh_config   # pass these explicitly: ~/.ssh is never read

The server accepts two client keys: ``key`` (a normal login, so the remote ``docker system
dial-stdio`` reaches the engine's socket) and ``dead_engine_key``, whose authorized_keys line forces
``dial-stdio`` against a socket that does not exist (an SSH host whose engine is down).
``stranger_key`` is accepted nowhere; ``other_known_hosts`` holds a different host key for the same
address (a replaced host). sshd is installed by scripts/openssh.sh and stopped however the test ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")
PRIVSEP_DIR = Path("/run/sshd")  # sshd refuses to start without it (the package's service creates it)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keygen(path: Path, comment: str) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return Path(f"{path}.pub").read_text().strip()


@dataclass
class SSHServer:
    port: int
    workdir: Path
    user: str = "root"

    @property
    def host_key(self) -> Path:
        return self.workdir / "ssh_host_ed25519_key"

    @property
    def key(self) -> Path:
        return self.workdir / "id_ed25519"

    @property
    def dead_engine_key(self) -> Path:
        return self.workdir / "id_dead_engine"

    @property
    def stranger_key(self) -> Path:
        return self.workdir / "id_stranger"

    @property
    def known_hosts(self) -> Path:
        return self.workdir / "known_hosts"

    @property
    def other_known_hosts(self) -> Path:
        return self.workdir / "known_hosts_other"

    @property
    def empty_known_hosts(self) -> Path:
        return self.workdir / "known_hosts_empty"

    @property
    def ssh_config(self) -> Path:
        return self.workdir / "ssh_config"

    @property
    def docker_host(self) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}"

    def inventory_host(self) -> dict:
        """Variables of an inventory host reached through this server by Ansible's ssh connection.

        Only the test's key and known hosts, checked strictly (the checkout's ansible.cfg turns
        host key checking off for its local runs); no master connection left behind; the host's
        python is this one (it has the docker SDK).
        """
        return {
            "ansible_connection": "ssh",
            "ansible_host": "127.0.0.1",
            "ansible_port": self.port,
            "ansible_user": self.user,
            "ansible_ssh_private_key_file": str(self.key),
            "ansible_ssh_common_args": f"-F {self.ssh_config}",
            "ansible_ssh_args": "-o ControlMaster=no",
            "ansible_host_key_checking": True,
            "ansible_python_interpreter": sys.executable,
        }

    def logins(self) -> int:
        """How many logins the server accepted so far (its log)."""
        return (self.workdir / "sshd.log").read_text().count("Accepted publickey for ")


def _write_files(server: SSHServer, missing_socket: Path) -> Path:
    work = server.workdir
    keygen(server.host_key, "test sshd host key")
    user_key = keygen(server.key, "test user key")
    dead_key = keygen(server.dead_engine_key, "test key whose engine is down")
    keygen(server.stranger_key, "test key nobody accepts")
    other_host_key = keygen(work / "other_host_key", "another host's key")
    host_pub = Path(f"{server.host_key}.pub").read_text().split()
    entry = f"[127.0.0.1]:{server.port}"
    server.known_hosts.write_text(f"{entry} {host_pub[0]} {host_pub[1]}\n")
    other = other_host_key.split()
    server.other_known_hosts.write_text(f"{entry} {other[0]} {other[1]}\n")
    server.empty_known_hosts.write_text("")
    forced = f'command="docker -H unix://{missing_socket} system dial-stdio",restrict'
    authorized = work / "authorized_keys"
    authorized.write_text(f"{user_key}\n{forced} {dead_key}\n")
    for path in (server.key, server.dead_engine_key, server.stranger_key, server.host_key):
        path.chmod(0o600)
    server.ssh_config.write_text(
        "Host *\n"
        f"  UserKnownHostsFile {server.known_hosts}\n"
        "  GlobalKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking yes\n"
        f"  IdentityFile {server.key}\n"
        "  IdentitiesOnly yes\n"
        "  IdentityAgent none\n"
        "  BatchMode yes\n"
        "  ControlMaster no\n"
    )
    config = work / "sshd_config"
    config.write_text(
        f"Port {server.port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {server.host_key}\n"
        f"PidFile {work / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized}\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\n"
        # The work directory is under /tmp (world-writable): its modes would fail StrictModes.
        "StrictModes no\n"
        "UsePAM no\n"
        "Subsystem sftp internal-sftp\n"
    )
    return config


class SSHDExited(RuntimeError):
    pass


def _wait_listening(proc: subprocess.Popen, port: int, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise SSHDExited(f"sshd exited with {proc.returncode}: {log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.settimeout(5)
            if sock.recv(4).startswith(b"SSH-"):
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"sshd does not answer on 127.0.0.1:{port} after {timeout} s: {log.read_text()}")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> None:
    """The listener and the sessions it forked (each has it as parent while it runs)."""
    for pid in [*_children(proc.pid), proc.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def ssh_server(workdir: Path, attempts: int = 3):
    """sshd in the foreground on 127.0.0.1:<free port>, stopped (and waited for) however the block ends.

    A port found free can be taken before sshd binds it: sshd then exits, and another port is tried.
    """
    assert SSHD.exists(), "sshd is missing: run scripts/openssh.sh (it installs openssh-server)"
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    for attempt in range(1, attempts + 1):
        directory = workdir if attempt == 1 else workdir / f"attempt-{attempt}"
        directory.mkdir(parents=True, exist_ok=True)
        server = SSHServer(free_port(), directory)
        config = _write_files(server, directory / "no-engine.sock")
        log = directory / "sshd.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            _wait_listening(proc, server.port, log)
            break
        except SSHDExited:
            if attempt == attempts:
                raise
        except BaseException:
            _stop(proc)
            raise
    try:
        yield server
    finally:
        _stop(proc)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The parent pid is the second field after the command's closing parenthesis.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found
