# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the tests that need a real Docker engine (marker ``docker``).

Import what a test file needs (``from docker_fixtures import docker_client, containers, ...``);
pytest picks fixtures up from the test module's namespace.

- The engine comes from the environment (DOCKER_HOST or the local socket), started by
  scripts/docker-engine.sh; images come from scripts/build-images.sh. Without them the tests skip
  locally and fail in CI (``CI`` set), where they must always run.
- Every container carries the label ``wabiz.migration.test-run=<id of this pytest session>``
  and ``wabiz.migration.test=<id of the test>``, has no network (``network_mode=none``) and is
  removed after its test, even when the test fails; a sweep at the end of the session removes
  anything left with the session's label.
- ``ansible_run`` runs tasks through ansible-playbook on localhost with the venv's Python as
  ``ansible_python_interpreter`` (interpreter discovery may find a broken shim) and returns each
  task's result.
"""

import os
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from playbook_runner import localhost_inventory, run_playbook, write_playbook

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = os.environ.get("WABIZ_BASE_IMAGE", "wabiz-base:bookworm")
EMULATOR_IMAGE = os.environ.get("WABIZ_EMULATOR_IMAGE", "wabiz-emulator:latest")
RUN_LABEL = "wabiz.migration.test-run"
TEST_LABEL = "wabiz.migration.test"

# A process that stops at once on SIGTERM (as PID 1 the default action would be ignored, and
# every restart would wait for the stop timeout).
SLEEPER = [
    "python3",
    "-c",
    "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); time.sleep(600)",
]


def unavailable(reason):
    """Skip locally, fail in CI: the Docker tier always runs there."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client():
    try:
        import docker
    except ImportError:
        unavailable("the docker SDK is not installed: run scripts/setup-venv.sh")
    try:
        client = docker.from_env(version="auto", timeout=120)
        client.ping()
    except Exception as exc:
        unavailable(f"no Docker engine answers ({exc}): run scripts/docker-engine.sh")
    yield client
    client.close()


@pytest.fixture(scope="session")
def docker_run_id(docker_client):
    """This session's id; at the end, anything still carrying it is removed."""
    run_id = uuid.uuid4().hex[:10]
    yield run_id
    for container in docker_client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"}):
        try:
            container.remove(force=True, v=True)
        except Exception as exc:
            print(f"could not remove test container {container.name}: {exc}", file=sys.stderr)


def _need_image(docker_client, image):
    import docker

    try:
        docker_client.images.get(image)
    except docker.errors.ImageNotFound:
        unavailable(f"the image {image} is missing: run scripts/build-images.sh")
    return image


@pytest.fixture(scope="session")
def base_image(docker_client):
    return _need_image(docker_client, BASE_IMAGE)


@pytest.fixture(scope="session")
def emulator_image(docker_client):
    return _need_image(docker_client, EMULATOR_IMAGE)


class ContainerFactory:
    """make(suffix, command=SLEEPER, labels=None, start=True, image=None, **create_kwargs)."""

    def __init__(self, client, image, run_id):
        self.client = client
        self.image = image
        self.run_id = run_id
        self.test_id = uuid.uuid4().hex[:8]
        self.made = []

    @property
    def selector(self):
        """A ``key=value`` label selector that matches this test's containers only."""
        return f"{TEST_LABEL}={self.test_id}"

    def name(self, suffix):
        return f"wabiz-t-{self.test_id}-{suffix}"

    def __call__(self, suffix, command=None, labels=None, start=True, image=None, **kwargs):
        all_labels = {RUN_LABEL: self.run_id, TEST_LABEL: self.test_id}
        all_labels.update(labels or {})
        kwargs.setdefault("network_mode", "none")
        container = self.client.containers.create(
            image or self.image,
            command=SLEEPER if command is None else command,
            name=self.name(suffix),
            labels=all_labels,
            **kwargs,
        )
        self.made.append(container)
        if start:
            container.start()
        container.reload()
        return container

    def cleanup(self):
        for container in reversed(self.made):
            try:
                container.remove(force=True, v=True)
            except Exception as exc:
                if "No such container" not in str(exc) and "404" not in str(exc):
                    print(f"could not remove test container {container.name}: {exc}", file=sys.stderr)


@pytest.fixture
def containers(docker_client, base_image, docker_run_id):
    """Makes throwaway containers (from the base image by default); all removed after the test."""
    factory = ContainerFactory(docker_client, base_image, docker_run_id)
    try:
        yield factory
    finally:
        factory.cleanup()


def started_ns(container):
    """State.StartedAt in nanoseconds since the epoch (RFC 3339 with up to 9 fraction digits)."""
    container.reload()
    stamp = container.attrs["State"]["StartedAt"].rstrip("Z")
    whole, _dot, fraction = stamp.partition(".")
    seconds = datetime.fromisoformat(whole + "+00:00").timestamp()
    return int(seconds) * 1_000_000_000 + int((fraction or "0")[:9].ljust(9, "0"))


class AnsibleRun:
    def __init__(self, results, stdout, stderr, rc):
        self.results = results
        self.stdout = stdout
        self.stderr = stderr
        self.rc = rc

    def __getitem__(self, index):
        return self.results[index]


@pytest.fixture
def ansible_run(tmp_path):
    """ansible_run(tasks, check=False, extra_env=None) -> AnsibleRun with one result per task.

    Each task is a dict (a task as in a playbook); ``ignore_errors`` is set so that every task
    runs and reports. Results come from the JSON stdout callback.
    """

    def run(tasks, check=False, extra_env=None):
        playbook = write_playbook(
            tmp_path / f"play-{uuid.uuid4().hex[:6]}.yml", [dict(task, ignore_errors=True) for task in tasks]
        )
        outcome = run_playbook(
            playbook, inventory=localhost_inventory(tmp_path / "inventory.yml"), check=check, env=extra_env
        )
        try:
            doc = outcome.json
        except ValueError:
            raise AssertionError(f"ansible-playbook said (rc {outcome.rc}):\n{outcome.output}") from None
        results = [task["hosts"]["localhost"] for task in doc["plays"][0]["tasks"]]
        assert len(results) == len(tasks), outcome.stdout
        return AnsibleRun(results, outcome.stdout, outcome.stderr, outcome.rc)

    return run
