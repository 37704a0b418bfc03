# -*- coding: utf-8 -*-
# Copyright: (c) 2025, wabiz.migration maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restart (or check, or stop) the client's containers through the Docker Engine API.

Everything the collection knows about Docker lives here; the module only parses options and
shapes the result. The docker SDK is used, never the docker CLI, so the only need on the host
that runs the module is the ``docker`` Python package and a reachable engine.

Selection: names (in the given order), ``key=value`` label selectors (ordered by the
``wabiz.migration/restart-order`` integer label, then by name) or a Compose project's services
(by the labels Compose puts on its containers, in the listed service order; the compose CLI is
not needed). Every container is selected before anything is touched, so a missing one fails
the task before the first restart.

Messages never include a container's log content (it may hold secrets): a container that does
not come up is named with its status and exit code, and the hint ``docker logs NAME``.

Engines: the local socket, ``tcp://`` (with TLS: CA, client certificate and key) and
``ssh://user@host[:port]``, through the SDK's own SSH support: paramiko, or the ``ssh`` client
with ``use_ssh_client`` (both run ``docker system dial-stdio`` on that host). An SSH host key is
checked against the known hosts and never accepted on first sight; the key and the known hosts
file can be given explicitly rather than taken from ``~/.ssh``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time
import traceback

from ansible.module_utils.basic import env_fallback

try:
    import docker
    from docker.constants import MINIMUM_DOCKER_API_VERSION
    from docker.errors import APIError, NotFound
    from docker.tls import TLSConfig

    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError:
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.wabiz.migration.plugins.module_utils.wa_docker_ssh import (
    HAS_SSH,
    CheckedSSHAdapter,
    SSHLoginError,
)

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
ORDER_LABEL = "wabiz.migration/restart-order"
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
COMPOSE_SERVICE_LABEL = "com.docker.compose.service"
COMPOSE_NUMBER_LABEL = "com.docker.compose.container-number"
COMPOSE_ONEOFF_LABEL = "com.docker.compose.oneoff"

# Statuses in which a container has a process that `docker restart` stops first.
ACTIVE_STATUSES = ("running", "restarting", "paused")
POLL_INTERVAL = 0.2


class WADockerError(Exception):
    """A failure with a message that says what failed and what to do; never log content."""

    def __init__(self, msg, results=None, changed=False):
        super().__init__(msg)
        self.results = results or []
        self.changed = changed


# The options that say how to reach an engine, named like community.docker's (documented once, in
# plugins/doc_fragments/docker.py); ContainerRestarter takes them as keyword arguments.
CONNECTION_OPTIONS = (
    "docker_host",
    "tls",
    "validate_certs",
    "ca_path",
    "client_cert",
    "client_key",
    "use_ssh_client",
    "ssh_private_key_file",
    "ssh_known_hosts_file",
    "timeout",
)


def docker_connection_argument_spec():
    """How to reach the engine (plugins/doc_fragments/docker.py)."""
    return dict(
        docker_host=dict(type="str", default=DEFAULT_DOCKER_HOST, fallback=(env_fallback, ["DOCKER_HOST"])),
        tls=dict(type="bool", default=False),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        client_cert=dict(type="path"),
        client_key=dict(type="path"),
        use_ssh_client=dict(type="bool", default=False),
        ssh_private_key_file=dict(type="path"),
        ssh_known_hosts_file=dict(type="path"),
        timeout=dict(type="int", default=60),
    )


def docker_argument_spec():
    """The module's options (documented in plugins/modules/wa_container_restart.py)."""
    return dict(
        docker_connection_argument_spec(),
        containers=dict(type="list", elements="str", default=[]),
        labels=dict(type="list", elements="str", default=[]),
        compose_project=dict(type="str", default=""),
        compose_services=dict(type="list", elements="str", default=[]),
        state=dict(type="str", default="restarted", choices=["restarted", "present", "stopped"]),
        stop_timeout=dict(type="int", default=10),
        wait_running=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=60),
        settle_time=dict(type="float", default=1.0),
    )


def _reason(exc):
    """A short, single-line reason: the API's explanation, or the root cause of a connection failure.

    ``Error while fetching server API version: ('Connection aborted.', FileNotFoundError(2, ...))``
    becomes ``No such file or directory``.
    """
    explanation = getattr(exc, "explanation", None)
    if explanation:
        return " ".join(str(explanation).split())
    deepest, current, seen = exc, exc, set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        deepest = current
        candidates = [getattr(current, "reason", None), current.__cause__, *getattr(current, "args", ())]
        current = next((c for c in candidates if isinstance(c, BaseException)), None)
    if isinstance(deepest, OSError) and deepest.strerror:
        text = deepest.strerror
    else:
        text = str(deepest) or type(deepest).__name__
    prefix = "Error while fetching server API version: "
    if text.startswith(prefix):
        text = text[len(prefix) :]
    return " ".join(text.split())


def _ssh_hint(remote):
    """What to check when the SSH login worked (or the ssh client ran) but no engine answered."""
    text = (remote or "").lower()
    if "permission denied" in text:
        return "check ssh_private_key_file (or the keys of the ssh-agent) and that user's authorized_keys"
    if "host key" in text:
        return "check the host's key fingerprint, then add it to ssh_known_hosts_file (or ~/.ssh/known_hosts)"
    return (
        "the SSH host runs `docker system dial-stdio` for this: check that the docker CLI is installed there, "
        "that dockerd runs and that the SSH user may use it"
    )


def _name(container):
    return container.name or container.id[:12]


def _sort_key_by_order_label(container):
    """Containers with the restart-order label first (lowest first), then the rest; then by name."""
    value = (container.labels or {}).get(ORDER_LABEL)
    if value is None or str(value).strip() == "":
        return (1, 0, _name(container))
    try:
        order = int(str(value).strip())
    except ValueError:
        raise WADockerError(
            "Container '{0}' has the label {1}={2!r}, which is not an integer".format(
                _name(container), ORDER_LABEL, value
            )
        ) from None
    return (0, order, _name(container))


def _compose_number(container):
    try:
        return int((container.labels or {}).get(COMPOSE_NUMBER_LABEL, "0"))
    except ValueError:
        return 0


class ContainerRestarter:
    """Selects containers and restarts, checks or stops them in order."""

    def __init__(
        self,
        docker_host=DEFAULT_DOCKER_HOST,
        tls=False,
        validate_certs=True,
        ca_path=None,
        client_cert=None,
        client_key=None,
        use_ssh_client=False,
        ssh_private_key_file=None,
        ssh_known_hosts_file=None,
        timeout=60,
        stop_timeout=10,
        wait_running=True,
        wait_timeout=60,
        settle_time=1.0,
        client=None,
    ):
        self.docker_host = docker_host or DEFAULT_DOCKER_HOST
        self.tls = tls
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.client_cert = client_cert
        self.client_key = client_key
        self.use_ssh_client = use_ssh_client
        self.ssh_private_key_file = ssh_private_key_file
        self.ssh_known_hosts_file = ssh_known_hosts_file
        self.timeout = timeout
        self.stop_timeout = stop_timeout
        self.wait_running = wait_running
        self.wait_timeout = wait_timeout
        self.settle_time = max(0.0, min(float(settle_time), float(wait_timeout)))
        self.client = client
        self._ssh_adapter = None  # over SSH: what the remote side said, after a failure

    # -- connection -------------------------------------------------------------------------

    @property
    def over_ssh(self):
        return self.docker_host.startswith("ssh://")

    def _check_files(self, options):
        for opt in options:
            path = getattr(self, opt)
            if path and not os.path.isfile(path):
                raise WADockerError("{0} {1} is not a readable file".format(opt, path))

    def _tls_config(self):
        given = [
            opt
            for opt, value in (
                ("ca_path", self.ca_path),
                ("client_cert", self.client_cert),
                ("client_key", self.client_key),
            )
            if value
        ]
        if not self.tls:
            if given:
                raise WADockerError("{0} need tls=true".format(", ".join(given)))
            return None
        if self.docker_host.startswith(("unix://", "npipe://", "ssh://")):
            raise WADockerError("tls=true needs a tcp:// docker_host, not {0}".format(self.docker_host))
        if bool(self.client_cert) != bool(self.client_key):
            raise WADockerError("client_cert and client_key go together: give both or neither")
        self._check_files(given)
        return TLSConfig(
            client_cert=(self.client_cert, self.client_key) if self.client_cert else None,
            ca_cert=self.ca_path,
            verify=bool(self.validate_certs),
        )

    def _check_ssh_options(self):
        given = [opt for opt in ("ssh_private_key_file", "ssh_known_hosts_file") if getattr(self, opt)]
        if not self.over_ssh:
            if given or self.use_ssh_client:
                raise WADockerError(
                    "{0} need an ssh:// docker_host, not {1}".format(
                        ", ".join(given + (["use_ssh_client"] if self.use_ssh_client else [])), self.docker_host
                    )
                )
            return
        if not HAS_SSH:
            raise WADockerError(
                "An ssh:// docker_host needs the Python package paramiko (the docker SDK's SSH transport "
                "imports it, with or without use_ssh_client) on the host that runs the module: "
                "pip install paramiko"
            )
        self._check_files(given)

    def _ssh_client(self):
        """A DockerClient over CheckedSSHAdapter; the SSH login happens here (paramiko) or at the first call."""
        # use_ssh_client=True and a fixed version: the SDK neither logs in nor calls the engine,
        # so that our adapter is the one that does.
        client = docker.DockerClient(
            base_url=self.docker_host, version=MINIMUM_DOCKER_API_VERSION, timeout=self.timeout, use_ssh_client=True
        )
        adapter = CheckedSSHAdapter(
            self.docker_host,
            self.timeout,
            use_ssh_client=self.use_ssh_client,
            private_key_file=self.ssh_private_key_file,
            known_hosts_file=self.ssh_known_hosts_file,
        )
        client.api.mount("http+docker://ssh", adapter)
        client.api._custom_adapter = adapter
        self._ssh_adapter = adapter
        return client

    def _tcp_or_unix_client(self, tls_config):
        client = docker.DockerClient(
            base_url=self.docker_host, version=MINIMUM_DOCKER_API_VERSION, timeout=self.timeout, tls=tls_config or False
        )
        if tls_config and self.ca_path:
            # requests prefers REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from the environment to the
            # session's CA: the given ca_path must be the one the engine is checked against.
            client.api.trust_env = False
        return client

    def _unreachable(self, exc):
        """The message for an engine that did not answer, with what to check."""
        hint = "check docker_host and that dockerd runs"
        reason = _reason(exc)
        if isinstance(exc, SSHLoginError):
            hint = exc.hint
        elif self.over_ssh:
            remote = self._ssh_adapter.remote_error() if self._ssh_adapter else ""
            if remote:
                reason = "{0} (the remote side said: {1})".format(reason, remote)
            hint = _ssh_hint(remote)
        elif self.tls and ("ssl" in reason.lower() or "certificate" in reason.lower()):
            hint = "check ca_path (the CA that signed the engine's certificate), client_cert and client_key"
        return "Cannot reach the Docker engine at {0}: {1}; {2}".format(self.docker_host, reason, hint)

    def connect(self):
        """Connect and ping; a clear error when the engine does not answer."""
        if self.client is not None:
            return self.client
        tls_config = self._tls_config()
        self._check_ssh_options()
        try:
            if self.over_ssh:
                client = self._ssh_client()
            else:
                client = self._tcp_or_unix_client(tls_config)
            # Both clients were made with the oldest API version, so that nothing was called
            # before they were set up: now the engine's own (what version="auto" does).
            client.api._version = client.api.version(api_version=False)["ApiVersion"]
            client.ping()
        except Exception as exc:
            raise WADockerError(self._unreachable(exc)) from None
        self.client = client
        return client

    # -- selection --------------------------------------------------------------------------

    def _list(self, label_filters):
        try:
            return self.client.containers.list(all=True, filters={"label": list(label_filters)})
        except APIError as exc:
            raise WADockerError(
                "Listing containers on {0} failed: {1}".format(self.docker_host, _reason(exc))
            ) from None

    def by_names(self, names):
        """The named containers, in the given order (duplicates dropped); every missing name is reported."""
        found, missing, seen = [], [], set()
        for name in names:
            if name in seen:
                continue
            seen.add(name)
            try:
                found.append(self.client.containers.get(name))
            except NotFound:
                missing.append(name)
            except APIError as exc:
                raise WADockerError(
                    "Inspecting container '{0}' on {1} failed: {2}".format(name, self.docker_host, _reason(exc))
                ) from None
        if missing:
            raise WADockerError(
                "No container named {0} on {1} (docker ps -a lists the containers there)".format(
                    ", ".join("'{0}'".format(n) for n in missing), self.docker_host
                )
            )
        return found

    def by_labels(self, selectors):
        """Containers matching every ``key=value`` (or ``key``) selector, by restart-order label, then name."""
        filters = []
        for selector in selectors:
            selector = (selector or "").strip()
            if not selector or selector.startswith("="):
                raise WADockerError("Label selector {0!r} is not key=value".format(selector))
            filters.append(selector)
        containers = self._list(filters)
        if not containers:
            raise WADockerError(
                "No container matches the labels {0} on {1}".format(", ".join(filters), self.docker_host)
            )
        return sorted(containers, key=_sort_key_by_order_label)

    def by_compose(self, project, services=None):
        """A Compose project's containers (one-off `compose run` ones left out), service by service."""
        project_filter = "{0}={1}".format(COMPOSE_PROJECT_LABEL, project)
        if not services:
            containers = [c for c in self._list([project_filter]) if not self._oneoff(c)]
            if not containers:
                raise WADockerError("No container of compose project '{0}' on {1}".format(project, self.docker_host))
            return sorted(containers, key=_sort_key_by_order_label)
        selected, missing, seen = [], [], set()
        for service in services:
            if service in seen:
                continue
            seen.add(service)
            containers = [
                c
                for c in self._list([project_filter, "{0}={1}".format(COMPOSE_SERVICE_LABEL, service)])
                if not self._oneoff(c)
            ]
            if not containers:
                missing.append(service)
            selected.extend(sorted(containers, key=lambda c: (_compose_number(c), _name(c))))
        if missing:
            raise WADockerError(
                "No container of compose service {0} in project '{1}' on {2}".format(
                    ", ".join("'{0}'".format(s) for s in missing), project, self.docker_host
                )
            )
        return selected

    @staticmethod
    def _oneoff(container):
        return str((container.labels or {}).get(COMPOSE_ONEOFF_LABEL, "")).lower() == "true"

    def select(self, containers=None, labels=None, compose_project=None, compose_services=None):
        """Exactly one way of selecting; empty values count as not given (roles pass [] and '')."""
        ways = [
            w for w, v in (("containers", containers), ("labels", labels), ("compose_project", compose_project)) if v
        ]
        if compose_services and not compose_project:
            raise WADockerError("compose_services needs compose_project")
        if len(ways) != 1:
            raise WADockerError(
                "Give exactly one of containers, labels or compose_project{0}".format(
                    " (got {0})".format(", ".join(ways)) if ways else ""
                )
            )
        if containers:
            return self.by_names(containers)
        if labels:
            return self.by_labels(labels)
        return self.by_compose(compose_project, compose_services)

    # -- actions ----------------------------------------------------------------------------

    def _reload(self, container, name):
        try:
            container.reload()
        except NotFound:
            raise WADockerError("Container '{0}' disappeared from {1}".format(name, self.docker_host)) from None
        except APIError as exc:
            raise WADockerError("Inspecting container '{0}' failed: {1}".format(name, _reason(exc))) from None
        return container.attrs.get("State") or {}

    def _wait_running(self, container, name):
        """Until the container has run for settle_time with the same start; fail when it exits or never runs."""
        deadline = time.monotonic() + self.wait_timeout
        run_seen = None  # (StartedAt, monotonic time it was first seen running)
        restarts = None
        while True:
            state = self._reload(container, name)
            status = state.get("Status") or container.status
            if state.get("Running") and not state.get("Restarting") and not state.get("Paused"):
                started = state.get("StartedAt")
                now = time.monotonic()
                if run_seen is None or run_seen[0] != started:
                    run_seen = (started, now)
                    restarts = container.attrs.get("RestartCount")
                if now - run_seen[1] >= self.settle_time and container.attrs.get("RestartCount") == restarts:
                    return status
            elif status in ("exited", "dead", "created", "removing"):
                what = "exited with code {0}".format(state.get("ExitCode"))
                if status != "exited":
                    what = "is {0} (exit code {1})".format(status, state.get("ExitCode"))
                raise WADockerError("Container '{0}' {1} after the start; see `docker logs {0}`".format(name, what))
            if time.monotonic() >= deadline:
                raise WADockerError(
                    "Container '{0}' is not running {1} s after the start (status {2}, exit code {3}, "
                    "restart count {4}); see `docker logs {0}`".format(
                        name, self.wait_timeout, status, state.get("ExitCode"), container.attrs.get("RestartCount")
                    )
                )
            time.sleep(POLL_INTERVAL)

    def _restart_one(self, container, name, status_before):
        try:
            if status_before == "paused":
                container.unpause()
            if status_before in ACTIVE_STATUSES:
                container.restart(timeout=self.stop_timeout)
            else:
                # created / exited (the client stops itself after a restore, no restart policy)
                container.start()
        except NotFound:
            raise WADockerError("Container '{0}' disappeared from {1}".format(name, self.docker_host)) from None
        except APIError as exc:
            raise WADockerError(
                "{0} container '{1}' failed: {2}; see `docker logs {1}`".format(
                    "Restarting" if status_before in ACTIVE_STATUSES else "Starting", name, _reason(exc)
                )
            ) from None

    def _stop_one(self, container, name, status_before):
        try:
            if status_before == "paused":
                container.unpause()
            container.stop(timeout=self.stop_timeout)
        except NotFound:
            raise WADockerError("Container '{0}' disappeared from {1}".format(name, self.docker_host)) from None
        except APIError as exc:
            raise WADockerError("Stopping container '{0}' failed: {1}".format(name, _reason(exc))) from None

    def run(self, state, selected, check_mode=False):
        """Apply state to the selected containers in order; returns (changed, results).

        On a failure part-way, the WADockerError carries what was done so far (``results``, the
        failing container last) and whether anything was changed, for the module to report.
        """
        results = []
        changed = False
        try:
            for container in selected:
                name = _name(container)
                status_before = self._reload(container, name).get("Status") or container.status
                entry = dict(name=name, id=container.id, status_before=status_before, status_after=status_before)
                results.append(entry)
                if state == "present" or (state == "stopped" and status_before not in ACTIVE_STATUSES):
                    continue
                changed = True
                if check_mode:
                    continue
                try:
                    if state == "stopped":
                        self._stop_one(container, name, status_before)
                    else:
                        self._restart_one(container, name, status_before)
                    if state == "restarted" and self.wait_running:
                        entry["status_after"] = self._wait_running(container, name)
                    else:
                        entry["status_after"] = self._reload(container, name).get("Status") or container.status
                except WADockerError:
                    entry["status_after"] = self._status_or_unknown(container, name)
                    raise
        except WADockerError as exc:
            raise WADockerError(str(exc), results=results, changed=changed and not check_mode) from None
        return changed, results

    def _status_or_unknown(self, container, name):
        try:
            return self._reload(container, name).get("Status") or container.status
        except WADockerError:
            return "unknown"
