# -*- coding: utf-8 -*-
# Copyright: (c) 2026, wabiz.migration maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker engines reached over SSH (``ssh://user@host[:port]``), through the docker SDK's own SSH transport.

The SDK runs ``docker system dial-stdio`` on the remote host, over paramiko or, with
``use_ssh_client``, over the ``ssh`` client. As it stands it reads the key and the known hosts
from ``~/.ssh`` only, lets the ``ssh`` client ask questions and drops the remote side's error
output. This adapter keeps its transport and adds what an unattended run needs:

- the known hosts file and the private key can be given explicitly (an execution environment or
  a CI runner has no ``~/.ssh`` of its own); an unknown host key is refused, never accepted
  (paramiko's RejectPolicy; ``StrictHostKeyChecking=yes`` and ``BatchMode=yes`` for the client);
- connect and authentication time out after the module's ``timeout``;
- what the remote ``docker system dial-stdio`` (or the ``ssh`` client) printed on stderr is kept,
  so that a failure says why (no docker CLI there, engine down, key refused).

Nothing here is imported unless the docker SDK and paramiko are installed (the SDK's SSH
transport itself imports paramiko, with or without ``use_ssh_client``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import signal
import subprocess
import tempfile
import traceback

try:
    import paramiko
    from docker.transport.sshconn import SSHConnection, SSHConnectionPool, SSHHTTPAdapter, SSHSocket

    HAS_SSH = True
    SSH_IMPORT_ERROR = None
except ImportError:
    HAS_SSH = False
    SSH_IMPORT_ERROR = traceback.format_exc()
    SSHConnection = SSHConnectionPool = SSHHTTPAdapter = SSHSocket = object

# What the remote side may print at most into an error message (it is the docker CLI's or ssh's
# own diagnostics, never container output).
STDERR_LIMIT = 2000
POOL_KEY = "ssh"


class SSHLoginError(Exception):
    """The SSH login itself failed (host key, key, reachability): nothing reached the engine."""

    def __init__(self, msg, hint):
        super().__init__(msg)
        self.hint = hint


def _last_lines(data):
    text = data.decode("utf-8", "replace")[-STDERR_LIMIT:]
    return " ".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


class _ClientSocket(SSHSocket):
    """The SDK's socket over the ``ssh`` client, with our options and its stderr kept in a file."""

    def __init__(self, host, options):
        super().__init__(host)
        self._options = options
        self.stderr = tempfile.TemporaryFile()

    def connect(self, **kwargs):
        args = ["ssh", *self._options]
        if self.user:
            args += ["-l", self.user]
        if self.port:
            args += ["-p", self.port]
        args += ["--", self.host, "docker system dial-stdio"]
        env = dict(os.environ)
        # As the SDK does: the controller's library path and CA bundle are not the remote's.
        env.pop("LD_LIBRARY_PATH", None)
        env.pop("SSL_CERT_FILE", None)
        self.proc = subprocess.Popen(  # noqa: S603 - argument list, no shell
            args,
            env=env,
            stdout=subprocess.PIPE,
            stdin=subprocess.PIPE,
            stderr=self.stderr,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )

    def error_output(self):
        self.stderr.seek(0)
        return self.stderr.read()


class _Connection(SSHConnection):
    """One HTTP connection over one ``dial-stdio``; its stderr source is registered with the adapter."""

    def __init__(self, adapter, ssh_transport, timeout, host):
        super().__init__(ssh_transport, timeout, host)
        self._adapter = adapter

    def connect(self):
        if self.ssh_transport:
            super().connect()
            channel = self.sock
            self._adapter.stderr_sources.append(
                lambda: channel.recv_stderr(STDERR_LIMIT) if channel.recv_stderr_ready() else b""
            )
            return
        sock = _ClientSocket(self.ssh_host, self._adapter.client_options)
        sock.settimeout(self.timeout)
        sock.connect()
        self.sock = sock
        self._adapter.stderr_sources.append(sock.error_output)


class _ConnectionPool(SSHConnectionPool):
    def __init__(self, adapter, **kwargs):
        super().__init__(**kwargs)
        self._adapter = adapter

    def _new_conn(self):
        return _Connection(self._adapter, self.ssh_transport, self.timeout, self.ssh_host)


class CheckedSSHAdapter(SSHHTTPAdapter):
    """The SDK's SSH adapter with explicit key and known hosts, strict host key checking and kept stderr.

    Construction logs in when paramiko is used: an SSHLoginError then says what to fix.
    """

    def __init__(self, base_url, timeout, use_ssh_client=False, private_key_file=None, known_hosts_file=None):
        self.private_key_file = private_key_file
        self.known_hosts_file = known_hosts_file
        self.login_timeout = timeout
        self.stderr_sources = []
        self.client_options = [
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "ConnectTimeout={0}".format(int(timeout)),
        ]
        if known_hosts_file:
            self.client_options += ["-o", "UserKnownHostsFile={0}".format(known_hosts_file)]
        if private_key_file:
            self.client_options += ["-o", "IdentitiesOnly=yes", "-i", private_key_file]
        super().__init__(base_url, timeout, shell_out=use_ssh_client)

    def _create_paramiko_client(self, base_url):
        super()._create_paramiko_client(base_url)  # ~/.ssh/config, ~/.ssh/known_hosts, RejectPolicy
        if self.known_hosts_file:
            # Only the given file: a host key the operator did not put there is refused.
            self.ssh_client = paramiko.SSHClient()
            self.ssh_client.load_host_keys(self.known_hosts_file)
            self.ssh_client.set_missing_host_key_policy(paramiko.RejectPolicy())
        if self.private_key_file:
            self.ssh_params.update(key_filename=self.private_key_file, look_for_keys=False, allow_agent=False)
        self.ssh_params.update(
            timeout=self.login_timeout, banner_timeout=self.login_timeout, auth_timeout=self.login_timeout
        )

    def _connect(self):
        params = self.ssh_params
        host, port = params["hostname"], params.get("port") or 22
        where = "{0}@{1}:{2}".format(params.get("username") or "(default user)", host, port)
        known = self.known_hosts_file or "~/.ssh/known_hosts"
        try:
            super()._connect()
        except paramiko.BadHostKeyException:
            raise SSHLoginError(
                "the host key of {0}:{1} differs from the one in {2}".format(host, port, known),
                "the host may have been replaced, or someone is in between: check its key's fingerprint "
                "with its administrator before you change {0}".format(known),
            ) from None
        except paramiko.AuthenticationException as exc:
            raise SSHLoginError(
                "SSH authentication as {0} failed ({1})".format(where, " ".join(str(exc).split())),
                "check ssh_private_key_file (or the keys of the ssh-agent) and that user's authorized_keys",
            ) from None
        except paramiko.SSHException as exc:
            if "known_hosts" in str(exc):
                raise SSHLoginError(
                    "the host key of {0}:{1} is not in {2}, and an unknown host key is never accepted".format(
                        host, port, known
                    ),
                    "check the host's key fingerprint, then add it to {0} (ssh-keyscan -p {1} {2} shows it)".format(
                        known, port, host
                    ),
                ) from None
            raise SSHLoginError(
                "SSH to {0} failed: {1}".format(where, " ".join(str(exc).split())),
                "check the host, port and that sshd runs there",
            ) from None
        except (OSError, EOFError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            raise SSHLoginError(
                "SSH to {0} failed: {1}".format(where, " ".join(reason.split())),
                "check the host, port and that sshd runs there",
            ) from None

    def get_connection(self, url, proxies=None):
        # Over paramiko, one pool for every request: the SDK keeps one a URL, so each distinct URL
        # opened its own channel and `docker system dial-stdio` (four for a check, 2.2 s instead of
        # 0.5 s); a connection is reused while the engine keeps it open. Over the ssh client a
        # connection cannot be reused (http.client closes the process's stdout with the answer):
        # a new pool, so a new ssh process, a request, as in the SDK.
        if not self.ssh_client:
            return self._pool()
        with self.pools.lock:
            pool = self.pools.get(POOL_KEY)
            if pool:
                return pool
            if not self.ssh_client.get_transport():
                self._connect()
            pool = self.pools[POOL_KEY] = self._pool()
        return pool

    def _pool(self):
        return _ConnectionPool(
            self, ssh_client=self.ssh_client, timeout=self.timeout, maxsize=self.max_pool_size, host=self.ssh_host
        )

    def remote_error(self):
        """What the remote dial-stdio (or the ssh client) printed on stderr, newest connection first."""
        for source in reversed(self.stderr_sources):
            try:
                data = source()
            except (OSError, EOFError, paramiko.SSHException):  # a closed channel or file: nothing to tell
                data = b""
            if data and data.strip():
                return _last_lines(data)
        return ""
