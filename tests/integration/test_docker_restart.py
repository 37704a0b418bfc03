# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""wa_container_restart against a real Docker engine, through ansible-playbook.

Throwaway containers from wabiz-base:bookworm (no network, labelled with this run), removed after
each test even when it fails. StartedAt (nanoseconds) proves what was (re)started and in which order.
"""

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
pytest.register_assert_rewrite("docker_fixtures")

from docker_fixtures import SLEEPER, started_ns  # noqa: E402

# The fixtures (docker_client, containers, ansible_run, ...) come from docker_fixtures.
pytest_plugins = ["docker_fixtures"]

pytestmark = pytest.mark.docker

MODULE = "wabiz.migration.wa_container_restart"
ORDER = "wabiz.migration/restart-order"
# Fast restarts: the test containers come up at once.
FAST = {"settle_time": 0.3, "stop_timeout": 5, "wait_timeout": 30}


def task(**args):
    return {MODULE: args}


def state_of(container):
    container.reload()
    return container.status


def test_exited_container_runs_again(containers, ansible_run):
    web = containers("web")
    before = started_ns(web)
    web.stop(timeout=5)
    assert state_of(web) == "exited"

    run = ansible_run([task(containers=[web.name], **FAST)])

    result = run[0]
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["containers"] == [
        {"name": web.name, "id": web.id, "status_before": "exited", "status_after": "running"}
    ]
    assert state_of(web) == "running"
    assert started_ns(web) > before


def test_names_restarted_in_given_order(containers, ansible_run):
    a, b, c = containers("a"), containers("b"), containers("c")
    before = {x.name: started_ns(x) for x in (a, b, c)}

    result = ansible_run([task(containers=[c.name, a.name, b.name], **FAST)])[0]

    assert not result.get("failed"), result
    assert [r["name"] for r in result["containers"]] == [c.name, a.name, b.name]
    after = {x.name: started_ns(x) for x in (a, b, c)}
    assert all(after[name] > before[name] for name in after)
    assert after[c.name] < after[a.name] < after[b.name]
    assert all(state_of(x) == "running" for x in (a, b, c))


def test_labels_ordered_by_restart_order_label_then_name(containers, ansible_run):
    wa = {"com.example.app": "wa"}
    b_plain = containers("b-plain", labels=wa)
    x_two = containers("x-two", labels={**wa, ORDER: "2"})
    a_plain = containers("a-plain", labels=wa, start=False)  # created, never started
    y_one = containers("y-one", labels={**wa, ORDER: "1"})
    outsider = containers("outsider")
    outsider_before = started_ns(outsider)

    result = ansible_run([task(labels=[containers.selector, "com.example.app=wa"], **FAST)])[0]

    assert not result.get("failed"), result
    expected = [y_one, x_two, a_plain, b_plain]
    assert [r["name"] for r in result["containers"]] == [x.name for x in expected]
    times = [started_ns(x) for x in expected]
    assert times == sorted(times)
    assert result["containers"][2]["status_before"] == "created"
    assert all(state_of(x) == "running" for x in expected)
    assert started_ns(outsider) == outsider_before


def test_compose_services_by_labels(containers, ansible_run):
    project = f"p{containers.test_id}"

    def compose(service, number=1, oneoff=False):
        labels = {
            "com.docker.compose.project": project,
            "com.docker.compose.service": service,
            "com.docker.compose.container-number": str(number),
        }
        if oneoff:
            labels["com.docker.compose.oneoff"] = "True"
        return labels

    web = containers("waweb-1", labels=compose("waweb"))
    core2 = containers("coreapp-2", labels=compose("coreapp", 2))
    core1 = containers("coreapp-1", labels=compose("coreapp", 1))
    master = containers("master-1", labels=compose("master"))
    master.stop(timeout=5)  # as after a restore: the client stopped itself
    oneoff = containers("master-run-1", labels=compose("master", oneoff=True))
    other = containers("other-master-1", labels={**compose("master"), "com.docker.compose.project": project + "x"})
    untouched = {x.name: started_ns(x) for x in (oneoff, other)}

    result = ansible_run([task(compose_project=project, compose_services=["master", "coreapp", "waweb"], **FAST)])[0]

    assert not result.get("failed"), result
    expected = [master, core1, core2, web]
    assert [r["name"] for r in result["containers"]] == [x.name for x in expected]
    assert result["containers"][0]["status_before"] == "exited"
    times = [started_ns(x) for x in expected]
    assert times == sorted(times)
    assert all(state_of(x) == "running" for x in expected)
    assert {x.name: started_ns(x) for x in (oneoff, other)} == untouched


def test_missing_container_fails_before_anything_is_restarted(containers, ansible_run):
    core = containers("core")
    core_before = started_ns(core)
    web = containers("web")
    web.stop(timeout=5)
    missing = containers.name("missing")

    run = ansible_run(
        [
            task(containers=[core.name, missing], state="present"),
            task(containers=[core.name, web.name, missing], **FAST),
            task(containers=[core.name, web.name], state="present"),
        ]
    )

    present, restarted, ok = run.results
    for result in (present, restarted):
        assert result["failed"] is True
        assert f"No container named '{missing}' on " in result["msg"]
        assert result["changed"] is False
    assert ok.get("failed") is not True, ok
    assert ok["changed"] is False
    assert [(r["name"], r["status_before"], r["status_after"]) for r in ok["containers"]] == [
        (core.name, "running", "running"),
        (web.name, "exited", "exited"),
    ]
    assert started_ns(core) == core_before
    assert state_of(web) == "exited"


def test_check_mode_changes_nothing(containers, ansible_run):
    running = containers("running")
    stopped = containers("stopped")
    stopped.stop(timeout=5)
    before = {x.name: started_ns(x) for x in (running, stopped)}

    run = ansible_run([task(containers=[stopped.name, running.name], **FAST)], check=True)

    result = run[0]
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert [(r["status_before"], r["status_after"]) for r in result["containers"]] == [
        ("exited", "exited"),
        ("running", "running"),
    ]
    assert {x.name: started_ns(x) for x in (running, stopped)} == before
    assert state_of(stopped) == "exited"


def test_container_that_exits_at_once_fails_with_its_name(containers, ansible_run):
    first = containers("first")
    first_before = started_ns(first)
    crasher = containers(
        "crasher",
        command=["python3", "-c", "import sys; print('SECRET-LOG-LINE', flush=True); sys.exit(3)"],
        start=False,
    )
    after = containers("after", start=False)

    run = ansible_run([task(containers=[first.name, crasher.name, after.name], stop_timeout=5)])

    result = run[0]
    assert result["failed"] is True
    assert result["msg"] == (
        f"Container '{crasher.name}' exited with code 3 after the start; see `docker logs {crasher.name}`"
    )
    assert result["changed"] is True
    assert [r["name"] for r in result["containers"]] == [first.name, crasher.name]
    assert result["containers"][1]["status_after"] == "exited"
    assert "SECRET-LOG-LINE" not in run.stdout + run.stderr
    assert started_ns(first) > first_before
    assert state_of(after) == "created"  # never reached


def test_stopped_state(containers, ansible_run):
    a = containers("a")
    b = containers("b", start=False)

    run = ansible_run(
        [
            task(containers=[a.name, b.name], state="stopped", stop_timeout=5),
            task(containers=[a.name, b.name], state="stopped", stop_timeout=5),
        ]
    )

    assert run[0]["changed"] is True
    assert [r["status_after"] for r in run[0]["containers"]] == ["exited", "created"]
    assert run[1]["changed"] is False
    assert state_of(a) == "exited"


def test_selectors_matching_nothing(containers, ansible_run):
    containers("lonely", command=SLEEPER)
    run = ansible_run(
        [
            task(labels=[containers.selector, "com.example.app=nothing"]),
            task(compose_project=f"none{containers.test_id}"),
        ]
    )
    assert run[0]["failed"] is True
    assert run[0]["msg"].startswith(
        f"No container matches the labels {containers.selector}, com.example.app=nothing on "
    )
    assert run[1]["msg"].startswith(f"No container of compose project 'none{containers.test_id}' on ")


def test_engine_unreachable(docker_client, ansible_run, tmp_path):
    sock = f"unix://{tmp_path}/no-docker.sock"
    result = ansible_run([task(containers=["x"], docker_host=sock, state="present")])[0]
    assert result["failed"] is True
    assert result["msg"].startswith(f"Cannot reach the Docker engine at {sock}: ")
    assert result["msg"].endswith("; check docker_host and that dockerd runs")


# -- the emulator image: the real story (restore, the client stops, the module starts it) ------

ADMIN_PASSWORD = "Dock3r!Tier"


def _https(port, method, path, token=None, basic=None, body=None):
    """One request to the emulator on 127.0.0.1:port (self-signed certificate); returns (status, json)."""
    import base64
    import json
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"https://127.0.0.1:{port}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _published_port(container):
    container.reload()
    return int(container.attrs["NetworkSettings"]["Ports"]["443/tcp"][0]["HostPort"])


def _login_when_up(container, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        try:
            port = _published_port(container)
            status, body = _https(port, "POST", "/v1/users/login", basic=f"admin:{ADMIN_PASSWORD}")
            if status == 200:
                return port, body["users"][0]["token"]
        except (OSError, KeyError, TypeError, IndexError):
            pass
        assert time.monotonic() < deadline, f"the emulator in {container.name} does not answer"
        time.sleep(0.2)


def test_emulator_started_again_after_restore(containers, emulator_image, ansible_run):
    webapp = containers(
        "webapp",
        image=emulator_image,
        command=[
            *("serve", "--host", "0.0.0.0", "--port", "443", "--data-dir", "/data", "--tls-self-signed"),
            *("--state", "registered", "--phone", "15550001111", "--admin-password", ADMIN_PASSWORD),
        ],
        ports={"443/tcp": ("127.0.0.1",)},  # a free port on 127.0.0.1 only
        network_mode="bridge",
    )
    port, token = _login_when_up(webapp)
    status, body = _https(port, "POST", "/v1/settings/backup", token=token, body={"password": "Backup!Pass1"})
    assert status == 200, body
    data = body["settings"]["data"]
    status, _body = _https(
        port, "POST", "/v1/settings/restore", token=token, body={"password": "Backup!Pass1", "data": data}
    )
    assert status == 200
    deadline = time.monotonic() + 15
    while state_of(webapp) != "exited":  # the client stops itself after the import
        assert time.monotonic() < deadline, "the emulator did not stop after the restore"
        time.sleep(0.2)

    result = ansible_run([task(containers=[webapp.name], stop_timeout=5)])[0]

    assert not result.get("failed"), result
    assert result["containers"][0]["status_before"] == "exited"
    assert result["containers"][0]["status_after"] == "running"
    port, token = _login_when_up(webapp)  # a published port may change with the restart
    status, body = _https(port, "GET", "/v1/health", token=token)
    assert status == 200, body
    assert body["health"]["gateway_status"] == "connected"
