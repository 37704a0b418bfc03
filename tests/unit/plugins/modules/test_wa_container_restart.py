# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of wa_container_restart and module_utils/wa_docker, with a fake docker SDK client.

The real engine is exercised by tests/integration/test_docker_restart.py.
"""

import builtins
import itertools
import json

import pytest
import requests
from ansible.module_utils.testing import patch_module_args
from docker.errors import APIError, DockerException, NotFound
from urllib3.exceptions import ProtocolError

from ansible_collections.wabiz.migration.plugins.module_utils import wa_docker
from ansible_collections.wabiz.migration.plugins.modules import wa_container_restart

_ids = itertools.count(1)


class FakeContainer:
    """Just enough of docker.models.containers.Container; `after_start` says what a start does."""

    def __init__(self, client, name, status="running", labels=None, after_start="running", exit_code=0):
        self.client = client
        self.name = name
        self.id = f"{next(_ids):064x}"
        self.labels = dict(labels or {})
        self.after_start = after_start
        self.exit_code = exit_code
        self.removed = False
        self.polls = 0
        self.attrs = {"State": {}, "RestartCount": 0}
        self._set(status)

    def _set(self, status, exit_code=0):
        self.attrs["State"] = {
            "Status": status,
            "Running": status in ("running", "restarting", "paused"),
            "Restarting": status == "restarting",
            "Paused": status == "paused",
            "ExitCode": exit_code,
            "StartedAt": self.attrs["State"].get("StartedAt", "0001-01-01T00:00:00Z"),
        }

    @property
    def status(self):
        return self.attrs["State"]["Status"]

    def reload(self):
        if self.removed:
            raise NotFound("gone")
        self.polls += 1
        if callable(self.after_start) and self.client.log and self.client.log[-1][1] == self.name:
            self.after_start(self)

    def _started(self):
        self.client.log.append(("start", self.name))
        self.attrs["State"]["StartedAt"] = f"2026-01-01T00:00:{len(self.client.log):02d}Z"
        if self.after_start == "exit":
            self._set("exited", self.exit_code)
        elif self.after_start == "error":
            raise APIError("500 Server Error", explanation="OCI runtime create failed")
        elif callable(self.after_start):
            self._set("running")
        else:
            self._set(self.after_start)

    def restart(self, timeout=10):
        self.client.log.append(("stop", self.name, timeout))
        self._started()

    def start(self):
        self._started()

    def stop(self, timeout=10):
        self.client.log.append(("stop", self.name, timeout))
        self._set("exited", 143)

    def unpause(self):
        self.client.log.append(("unpause", self.name))
        self._set("running")


class FakeManager:
    def __init__(self, client):
        self.client = client

    def get(self, name):
        for c in self.client.all:
            if name in (c.name, c.id):
                return c
        raise NotFound(f"No such container: {name}")

    def list(self, all=False, filters=None):  # the SDK names it `all`
        assert all is True
        self.client.list_filters.append(filters)

        def match(c, selector):
            key, sep, value = selector.partition("=")
            return key in c.labels and (not sep or c.labels[key] == value)

        selectors = (filters or {}).get("label", [])
        return [c for c in self.client.all if builtins.all(match(c, s) for s in selectors)]


class FakeAPI:
    """docker.APIClient's version negotiation and requests' trust_env."""

    def __init__(self):
        self._version = None
        self.trust_env = True

    def version(self, api_version=True):
        assert api_version is False  # the version call itself is not versioned
        return {"ApiVersion": "1.41"}


class FakeClient:
    def __init__(self):
        self.all = []
        self.log = []
        self.list_filters = []
        self.containers = FakeManager(self)
        self.api = FakeAPI()
        self.kwargs = None

    def add(self, name, **kwargs):
        c = FakeContainer(self, name, **kwargs)
        self.all.append(c)
        return c

    def ping(self):
        return True


class Clock:
    """time.monotonic/time.sleep for wa_docker: sleeping advances the clock, nothing waits."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def client(monkeypatch):
    fake = FakeClient()

    def factory(**kwargs):
        fake.kwargs = kwargs
        return fake

    monkeypatch.setattr(wa_docker.docker, "DockerClient", factory)
    clock = Clock()
    monkeypatch.setattr(wa_docker.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(wa_docker.time, "sleep", clock.sleep)
    return fake


def run(args, capsys, check_mode=False):
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        wa_container_restart.main()
    result = json.loads(capsys.readouterr().out)
    result["rc"] = exc.value.code
    return result


def starts(client):
    return [entry[1] for entry in client.log if entry[0] == "start"]


# -- names -------------------------------------------------------------------------------------


def test_names_in_given_order_exited_ones_started(client, capsys):
    client.add("wa-web")
    client.add("wa-master", status="exited", exit_code=0)
    client.add("wa-core", status="created")
    result = run({"containers": ["wa-master", "wa-core", "wa-web"], "settle_time": 0}, capsys)
    assert result["rc"] == 0, result
    assert result["changed"] is True
    assert starts(client) == ["wa-master", "wa-core", "wa-web"]
    # exited/created ones are started, running ones restarted (stop first, with stop_timeout)
    assert ("stop", "wa-master", 10) not in client.log
    assert ("stop", "wa-web", 10) in client.log
    assert [(c["name"], c["status_before"], c["status_after"]) for c in result["containers"]] == [
        ("wa-master", "exited", "running"),
        ("wa-core", "created", "running"),
        ("wa-web", "running", "running"),
    ]
    assert result["containers"][0]["id"] == client.all[1].id


def test_duplicate_names_restarted_once(client, capsys):
    client.add("a")
    result = run({"containers": ["a", "a"], "settle_time": 0, "stop_timeout": 3}, capsys)
    assert starts(client) == ["a"]
    assert client.log[0] == ("stop", "a", 3)
    assert len(result["containers"]) == 1


def test_missing_name_fails_before_any_restart(client, capsys):
    client.add("a")
    result = run({"containers": ["a", "nope", "gone"]}, capsys)
    assert result["rc"] == 1
    assert result["failed"] is True
    assert result["changed"] is False
    assert "No container named 'nope', 'gone' on unix:///var/run/docker.sock" in result["msg"]
    assert client.log == []


def test_present_checks_only(client, capsys):
    client.add("a", status="exited")
    client.add("b")
    result = run({"containers": ["a", "b"], "state": "present"}, capsys)
    assert result["rc"] == 0
    assert result["changed"] is False
    assert client.log == []
    assert [(c["status_before"], c["status_after"]) for c in result["containers"]] == [
        ("exited", "exited"),
        ("running", "running"),
    ]


def test_present_missing_container_fails(client, capsys):
    client.add("a")
    result = run({"containers": ["a", "b"], "state": "present"}, capsys)
    assert result["failed"] is True
    assert "No container named 'b'" in result["msg"]


def test_check_mode_changes_nothing(client, capsys):
    client.add("a", status="exited")
    client.add("b")
    result = run({"containers": ["a", "b"]}, capsys, check_mode=True)
    assert result["rc"] == 0
    assert result["changed"] is True
    assert client.log == []
    assert all(c["status_before"] == c["status_after"] for c in result["containers"])


def test_check_mode_present_is_not_changed(client, capsys):
    client.add("a")
    result = run({"containers": ["a"], "state": "present"}, capsys, check_mode=True)
    assert result["changed"] is False


# -- waiting -----------------------------------------------------------------------------------


def test_container_that_exits_fails_with_name_and_exit_code(client, capsys):
    client.add("first")
    client.add("wa-core", status="exited", after_start="exit", exit_code=3)
    client.add("never")
    result = run({"containers": ["first", "wa-core", "never"]}, capsys)
    assert result["rc"] == 1
    assert result["changed"] is True  # "first" was restarted
    assert result["msg"] == "Container 'wa-core' exited with code 3 after the start; see `docker logs wa-core`"
    assert [c["name"] for c in result["containers"]] == ["first", "wa-core"]
    assert result["containers"][1]["status_after"] == "exited"
    assert "never" not in starts(client)


def test_container_that_exits_after_a_moment_is_caught_by_settle_time(client, capsys):
    # poll 1: status before; poll 2: running after the start; poll 3: exited
    def exits_on_second_wait_poll(c):
        if c.polls >= 3:
            c._set("exited", 137)

    client.add("flaky", status="exited", after_start=exits_on_second_wait_poll)
    result = run({"containers": ["flaky"], "settle_time": 1.0}, capsys)
    assert result["failed"] is True
    assert "Container 'flaky' exited with code 137" in result["msg"]
    # without settle_time, the first running poll counts
    client.all.clear()
    client.add("flaky2", status="exited", after_start=exits_on_second_wait_poll)
    assert run({"containers": ["flaky2"], "settle_time": 0}, capsys)["rc"] == 0


def test_container_restarting_forever_times_out(client, capsys):
    client.add("loop", after_start="restarting")
    result = run({"containers": ["loop"], "wait_timeout": 5}, capsys)
    assert result["failed"] is True
    assert result["msg"].startswith("Container 'loop' is not running 5 s after the start (status restarting")
    assert "docker logs loop" in result["msg"]


def test_flapping_container_never_settles(client, capsys):
    def new_start_each_poll(c):
        c.attrs["State"]["StartedAt"] = f"2026-01-01T00:01:{c.polls:02d}Z"
        c.attrs["RestartCount"] = c.polls

    client.add("flap", after_start=new_start_each_poll)
    result = run({"containers": ["flap"], "wait_timeout": 3, "settle_time": 1}, capsys)
    assert result["failed"] is True
    assert "Container 'flap' is not running 3 s after the start" in result["msg"]


def test_no_wait(client, capsys):
    client.add("a", status="exited", after_start="exit", exit_code=1)
    result = run({"containers": ["a"], "wait_running": False}, capsys)
    assert result["rc"] == 0
    assert result["containers"][0]["status_after"] == "exited"


def test_start_error_is_reported(client, capsys):
    client.add("a", status="exited", after_start="error")
    result = run({"containers": ["a"]}, capsys)
    assert result["failed"] is True
    assert result["msg"] == "Starting container 'a' failed: OCI runtime create failed; see `docker logs a`"


def test_paused_container_is_unpaused_then_restarted(client, capsys):
    client.add("p", status="paused")
    result = run({"containers": ["p"], "settle_time": 0}, capsys)
    assert result["rc"] == 0
    assert client.log[0] == ("unpause", "p")
    assert starts(client) == ["p"]


def test_container_removed_meanwhile(client, capsys):
    c = client.add("a")

    def vanish(container):
        container.removed = True

    c.after_start = vanish
    result = run({"containers": ["a"]}, capsys)
    assert result["failed"] is True
    assert "Container 'a' disappeared" in result["msg"]


# -- labels and compose ------------------------------------------------------------------------


def test_labels_ordered_by_restart_order_then_name(client, capsys):
    sel = {"app": "wa"}
    client.add("z-no-order", labels=sel)
    client.add("b-second", labels={**sel, wa_docker.ORDER_LABEL: "2"})
    client.add("a-no-order", labels=sel)
    client.add("c-first", labels={**sel, wa_docker.ORDER_LABEL: "-1"})
    client.add("d-second", labels={**sel, wa_docker.ORDER_LABEL: " 2 "})
    client.add("other", labels={"app": "other"})
    result = run({"labels": ["app=wa"], "settle_time": 0}, capsys)
    assert result["rc"] == 0
    order = ["c-first", "b-second", "d-second", "a-no-order", "z-no-order"]
    assert starts(client) == order
    assert [c["name"] for c in result["containers"]] == order
    assert client.list_filters == [{"label": ["app=wa"]}]


def test_labels_key_only_and_all_must_match(client, capsys):
    client.add("a", labels={"app": "wa", "tier": "web"})
    client.add("b", labels={"app": "wa"})
    result = run({"labels": ["app=wa", "tier"], "settle_time": 0}, capsys)
    assert starts(client) == ["a"]
    assert result["rc"] == 0


def test_labels_matching_nothing(client, capsys):
    client.add("a", labels={"app": "wa"})
    result = run({"labels": ["app=other"]}, capsys)
    assert result["failed"] is True
    assert result["msg"] == "No container matches the labels app=other on unix:///var/run/docker.sock"


def test_bad_restart_order_label(client, capsys):
    client.add("a", labels={"app": "wa", wa_docker.ORDER_LABEL: "first"})
    result = run({"labels": ["app=wa"]}, capsys)
    assert result["failed"] is True
    assert "Container 'a' has the label wabiz.migration/restart-order='first', which is not an integer" in result["msg"]
    assert client.log == []


@pytest.mark.parametrize("selector", ["", "=x", "  "])
def test_bad_selector(client, capsys, selector):
    result = run({"labels": [selector]}, capsys)
    assert result["failed"] is True
    assert "is not key=value" in result["msg"]


def compose(project, service, number=1, oneoff=False):
    labels = {
        wa_docker.COMPOSE_PROJECT_LABEL: project,
        wa_docker.COMPOSE_SERVICE_LABEL: service,
        wa_docker.COMPOSE_NUMBER_LABEL: str(number),
    }
    if oneoff:
        labels[wa_docker.COMPOSE_ONEOFF_LABEL] = "True"
    return labels


def test_compose_services_in_listed_order(client, capsys):
    client.add("biz-waweb-1", labels=compose("biz", "waweb"))
    client.add("biz-coreapp-10", labels=compose("biz", "coreapp", 10))
    client.add("biz-coreapp-2", labels=compose("biz", "coreapp", 2))
    client.add("biz-master-1", labels=compose("biz", "master"), status="exited")
    client.add("biz-master-run-1", labels=compose("biz", "master", oneoff=True))
    client.add("other-master-1", labels=compose("other", "master"))
    result = run(
        {"compose_project": "biz", "compose_services": ["master", "coreapp", "waweb"], "settle_time": 0}, capsys
    )
    assert result["rc"] == 0, result
    assert starts(client) == ["biz-master-1", "biz-coreapp-2", "biz-coreapp-10", "biz-waweb-1"]


def test_compose_whole_project(client, capsys):
    client.add("biz-b-1", labels=compose("biz", "b"))
    client.add("biz-a-1", labels={**compose("biz", "a"), wa_docker.ORDER_LABEL: "5"})
    client.add("biz-a-run-1", labels=compose("biz", "a", oneoff=True))
    client.add("x-a-1", labels=compose("x", "a"))
    result = run({"compose_project": "biz", "compose_services": [], "settle_time": 0}, capsys)
    assert result["rc"] == 0
    assert starts(client) == ["biz-a-1", "biz-b-1"]


def test_compose_missing_service_fails_before_restart(client, capsys):
    client.add("biz-master-1", labels=compose("biz", "master"))
    client.add("biz-db-run-1", labels=compose("biz", "db", oneoff=True))
    result = run({"compose_project": "biz", "compose_services": ["master", "db", "web"]}, capsys)
    assert result["failed"] is True
    assert (
        result["msg"] == "No container of compose service 'db', 'web' in project 'biz' on unix:///var/run/docker.sock"
    )
    assert client.log == []


def test_compose_empty_project(client, capsys):
    result = run({"compose_project": "nothing"}, capsys)
    assert result["msg"] == "No container of compose project 'nothing' on unix:///var/run/docker.sock"


# -- option checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        ({}, "Give exactly one of containers, labels or compose_project"),
        ({"containers": [], "labels": [], "compose_project": ""}, "Give exactly one of containers, labels"),
        ({"containers": ["a"], "labels": ["x=y"]}, "(got containers, labels)"),
        ({"labels": ["x=y"], "compose_services": ["a"]}, "compose_services needs compose_project"),
    ],
)
def test_selection_options(client, capsys, args, msg):
    result = run(args, capsys)
    assert result["failed"] is True
    assert msg in result["msg"]


def test_stopped_stops_running_only(client, capsys):
    client.add("a")
    client.add("b", status="exited")
    result = run({"containers": ["a", "b"], "state": "stopped", "stop_timeout": 2}, capsys)
    assert result["changed"] is True
    assert client.log == [("stop", "a", 2)]
    assert [c["status_after"] for c in result["containers"]] == ["exited", "exited"]
    again = run({"containers": ["a", "b"], "state": "stopped"}, capsys)
    assert again["changed"] is False


# -- connection --------------------------------------------------------------------------------


def test_engine_unreachable(monkeypatch, capsys):
    # what the SDK raises for a socket that is not there: the root cause is reported
    aborted = requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", FileNotFoundError(2, "No such file or directory"))
    )
    refused = DockerException(f"Error while fetching server API version: {aborted}")
    refused.__cause__ = aborted

    def refuse(**kwargs):
        raise refused

    monkeypatch.setattr(wa_docker.docker, "DockerClient", refuse)
    result = run({"containers": ["a"], "docker_host": "unix:///nope.sock"}, capsys)
    assert result["failed"] is True
    assert result["msg"] == (
        "Cannot reach the Docker engine at unix:///nope.sock: No such file or directory; "
        "check docker_host and that dockerd runs"
    )


def test_engine_unreachable_plain_message(monkeypatch, capsys):
    def refuse(**kwargs):
        raise DockerException("Error while fetching server API version: timed out")

    monkeypatch.setattr(wa_docker.docker, "DockerClient", refuse)
    result = run({"containers": ["a"], "docker_host": "tcp://10.0.0.1:2375"}, capsys)
    assert result["msg"] == (
        "Cannot reach the Docker engine at tcp://10.0.0.1:2375: timed out; check docker_host and that dockerd runs"
    )


def test_docker_host_from_environment(client, capsys, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    client.add("a")
    run({"containers": ["a"], "state": "present"}, capsys)
    assert client.kwargs["base_url"] == "tcp://127.0.0.1:2375"
    # Made with the oldest version (no call yet), then the engine's own, as version="auto" would.
    assert client.kwargs["version"] == "1.24"
    assert client.api._version == "1.41"
    assert client.kwargs["timeout"] == 60
    assert client.kwargs["tls"] is False
    assert client.api.trust_env is True


def test_tls_options(client, capsys, tmp_path):
    files = {}
    for name in ("ca.pem", "cert.pem", "key.pem"):
        files[name] = tmp_path / name
        files[name].write_text("x")
    client.add("a")
    result = run(
        {
            "containers": ["a"],
            "state": "present",
            "docker_host": "tcp://docker.example.com:2376",
            "tls": True,
            "ca_path": str(files["ca.pem"]),
            "client_cert": str(files["cert.pem"]),
            "client_key": str(files["key.pem"]),
            "timeout": 7,
        },
        capsys,
    )
    assert result["rc"] == 0, result
    tls = client.kwargs["tls"]
    assert tls.verify is True
    assert tls.ca_cert == str(files["ca.pem"])
    assert tls.cert == (str(files["cert.pem"]), str(files["key.pem"]))
    assert client.kwargs["timeout"] == 7
    # requests would take REQUESTS_CA_BUNDLE from the environment before the given CA.
    assert client.api.trust_env is False


def test_tls_without_verification(client, capsys):
    client.add("a")
    run(
        {"containers": ["a"], "state": "present", "docker_host": "tcp://h:2376", "tls": True, "validate_certs": False},
        capsys,
    )
    assert client.kwargs["tls"].verify is False


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        ({"ca_path": "/x.pem"}, "ca_path need tls=true"),
        ({"tls": True}, "tls=true needs a tcp:// docker_host"),
        (
            {"tls": True, "docker_host": "tcp://h:2376", "client_cert": "/c.pem"},
            "client_cert and client_key go together",
        ),
        ({"tls": True, "docker_host": "tcp://h:2376", "ca_path": "/missing/ca.pem"}, "ca_path /missing/ca.pem is not"),
    ],
)
def test_tls_option_errors(client, capsys, args, msg):
    result = run({"containers": ["a"], **args}, capsys)
    assert result["failed"] is True
    assert msg in result["msg"]


def test_missing_docker_sdk(monkeypatch, capsys):
    monkeypatch.setattr(wa_container_restart, "HAS_DOCKER", False)
    monkeypatch.setattr(wa_container_restart, "DOCKER_IMPORT_ERROR", "Traceback: No module named 'docker'")
    result = run({"containers": ["a"]}, capsys)
    assert result["failed"] is True
    assert "Failed to import the required Python library (docker)" in result["msg"]


def test_listing_error(client, capsys, monkeypatch):
    def broken(**kwargs):
        raise APIError("500", explanation="daemon is shutting down")

    monkeypatch.setattr(client.containers, "list", broken)
    result = run({"labels": ["a=b"]}, capsys)
    assert result["msg"] == "Listing containers on unix:///var/run/docker.sock failed: daemon is shutting down"


# -- ssh:// engines (the real SSH hop: tests/integration/test_remote_docker.py) ------------------


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (
            {"ssh_private_key_file": "/k"},
            "ssh_private_key_file need an ssh:// docker_host, not unix:///var/run/docker.sock",
        ),
        (
            {"docker_host": "tcp://h:2376", "use_ssh_client": True, "ssh_known_hosts_file": "/kh"},
            "ssh_known_hosts_file, use_ssh_client need an ssh:// docker_host, not tcp://h:2376",
        ),
        ({"docker_host": "ssh://u@h", "tls": True}, "tls=true needs a tcp:// docker_host, not ssh://u@h"),
        (
            {"docker_host": "ssh://u@h", "ssh_private_key_file": "/missing/id_ed25519"},
            "ssh_private_key_file /missing/id_ed25519 is not a readable file",
        ),
        (
            {"docker_host": "ssh://u@h", "ssh_known_hosts_file": "/missing/known_hosts"},
            "ssh_known_hosts_file /missing/known_hosts is not a readable file",
        ),
    ],
)
def test_ssh_option_errors_before_any_connection(client, capsys, args, msg):
    result = run({"containers": ["a"], **args}, capsys)
    assert result["failed"] is True
    assert result["msg"] == msg
    assert client.kwargs is None  # no client was made


def test_ssh_without_paramiko_says_what_to_install(client, capsys, monkeypatch):
    monkeypatch.setattr(wa_docker, "HAS_SSH", False)
    result = run({"containers": ["a"], "docker_host": "ssh://u@h"}, capsys)
    assert result["failed"] is True
    assert "needs the Python package paramiko" in result["msg"]
    assert result["msg"].endswith("pip install paramiko")


@pytest.mark.parametrize(
    ("remote", "hint"),
    [
        ("u@h: Permission denied (publickey).", "check ssh_private_key_file"),
        ("No ED25519 host key is known for [h]:22 and you have requested strict checking.", "key fingerprint"),
        ("failed to open the raw stream connection: dial unix /var/run/docker.sock", "docker system dial-stdio"),
        ("", "docker system dial-stdio"),
    ],
)
def test_ssh_failure_hint_follows_what_the_remote_side_said(remote, hint):
    assert hint in wa_docker._ssh_hint(remote)
