"""Emulated client environments in containers, described as an inventory, for role-level tests.

An environment is an inventory host (as users describe theirs) whose client runs in the
``wabiz-emulator`` image, started by ``molecule/shared/create.yml`` and removed by
``destroy.yml``: the same playbooks the molecule scenarios and the demo use.

    def test_something(environments):
        envs = environments("wa-it-x", port_base=20010,
                            hosts={"source": {"state": "registered"}, "target": {}},
                            migrations={"target": {"wa_migrate_from": "source"}})
        run = envs.migrate()
        assert run.rc == 0

Use it in a test module with ``pytest_plugins = ["role_fixtures"]``.

Environments shared by a test module (a source and one fresh target per test that changes
one) come from ``running_environments``, the context manager behind the fixture::

    @pytest.fixture(scope="module")
    def envs(tmp_path_factory):
        hosts = {"source": {"state": "registered"}, "crash": {}, "spare": {}}
        with running_environments(tmp_path_factory.mktemp("envs"), "wa-t4-x", 20000, hosts) as envs:
            yield envs

    def test_something(envs):
        envs.set_faults("source", {"fail_next": 1, "paths": ["/v1/health"]})
        run = envs.migration("crash", migrate_api_retries=2)   # its own backup and report directories
        assert run.rc == 0, run.output
        assert run.report()["result"] == "migrated" and len(envs.restores("crash")) == 1
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import secrets
import subprocess
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from playbook_runner import BIN, PLAYBOOKS, ROOT, PlaybookRun, ansible_env, run_playbook

from wa_emulator.launcher import EmulatorError, EmulatorProcess

SHARED = ROOT / "molecule" / "shared"
ALLOW_RUNNING_SOURCE = {"wa_allow_running_source": True}


@contextlib.contextmanager
def docker_client():
    import docker

    client = docker.from_env()
    try:
        yield client
    finally:
        client.close()


def test_password() -> str:
    """A password that meets the client's rules (and is unique, so leaks are easy to find)."""
    return f"Wa-{secrets.token_urlsafe(12)}-1"


test_password.__test__ = False  # a helper, not a test


@dataclass
class Environments:
    """Running environments and the inventory that describes them."""

    prefix: str
    inventory: Path
    workdir: Path
    hosts: dict[str, dict]
    backup_password: str
    created: PlaybookRun | None = None
    secrets: list[str] = field(default_factory=list)
    _runs: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)

    def url(self, host: str) -> str:
        return self.hosts[host]["wa_api_url"]

    def container(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    @property
    def backup_dir(self) -> Path:
        return self.workdir / "backups"

    @property
    def report_dir(self) -> Path:
        return self.workdir / "reports"

    def api(self, host: str) -> ContainerAPI:
        """The emulator's HTTP helpers (login, faults, test endpoints) for ``host``."""
        scratch = self.workdir / "scratch"
        return ContainerAPI(
            self.hosts[host]["wa_test_port"],
            self.workdir / "tls" / "ca.pem",
            self.hosts[host]["wa_api_password"],
            scratch,
        )

    def emulator(self, host: str, what: str) -> dict | list:
        """A test-only view of the emulated client: ``state``, ``requests`` or ``lifecycle``."""
        return self.api(host)._admin("GET", f"/v1/_emulator/{what}")[what]

    def set_faults(self, host: str, faults: dict) -> dict:
        """Replace the faults of ``host`` (see wa_emulator.faults); they last until its process ends."""
        return self.api(host).set_faults(faults)

    def read_file(self, host: str, name: str) -> bytes:
        """A file of the client's data volume, through the Docker API (works while the client is stopped)."""
        with docker_client() as client:
            stream, _stat = client.containers.get(self.container(host)).get_archive(f"/data/{name}")
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
                return tar.extractfile(name).read()

    def requests(self, host: str) -> list[dict]:
        """Every request the client logged, oldest first (from its volume: works while it is stopped)."""
        log = self.read_file(host, "requests.log").decode()
        return [json.loads(line) for line in log.splitlines() if line.strip()]

    def restores(self, host: str) -> list[dict]:
        return [r for r in self.requests(host) if (r["method"], r["path"]) == ("POST", "/v1/settings/restore")]

    def state_file(self, host: str) -> dict:
        """``state.json`` as on disk (token hashes included), from the client's volume."""
        return json.loads(self.read_file(host, "state.json"))

    def status(self, host: str) -> str:
        """The Docker status of the client's (main) container: running, exited, ..."""
        with docker_client() as client:
            return client.containers.get(self.container(host)).status

    def start(self, host: str, timeout: float = 60) -> None:
        """Start the client's containers again and wait (bounded) until it answers its health."""
        with docker_client() as client:
            for name in self.hosts[host]["wa_containers"]:
                client.containers.get(name).start()
        api = self.api(host)
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError, EmulatorError):
                if api.api("GET", "/v1/health", token=api.admin_token())[0] == 200:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.container(host)} does not answer {timeout} s after its start")
            time.sleep(0.2)

    def run(self, playbook: str | Path, **kwargs) -> PlaybookRun:
        return run_playbook(playbook, inventory=self.inventory, **kwargs)

    def migrate(self, extra_vars: dict | None = None, **kwargs) -> PlaybookRun:
        """playbooks/migrate.yml, with backups and reports kept in this test's work directory."""
        variables = {"migrate_backup_dir": str(self.backup_dir), "migrate_report_dir": str(self.report_dir)}
        variables.update(extra_vars or {})
        return self.run(PLAYBOOKS / "migrate.yml", extra_vars=variables, **kwargs)

    def destroy(self) -> PlaybookRun:
        return self.run(SHARED / "destroy.yml", json_output=False)

    # -- one migration a run, each with its own backup and report directories ---------------

    @property
    def lock_dir(self) -> Path:
        return self.workdir / "locks"

    def _migration_args(self, target: str, **role_vars) -> tuple[list[str], Path]:
        run_dir = self.workdir / "runs" / str(next(self._runs))
        extra = {
            "wa_migration_hosts": target,
            "migrate_backup_dir": str(run_dir / "backups"),
            "migrate_report_dir": str(run_dir / "reports"),
            "migrate_lock_dir": str(self.lock_dir),
            "migrate_wait_interval": 0.2,
            **role_vars,
        }
        return [str(PLAYBOOKS / "migrate.yml"), "-i", str(self.inventory), "--extra-vars", json.dumps(extra)], run_dir

    def migration(
        self,
        target: str,
        *,
        check: bool = False,
        verbosity: int = 0,
        json_output: bool = True,
        env: dict | None = None,
        **role_vars,
    ) -> Migration:
        """playbooks/migrate.yml for ``target`` alone; ``role_vars`` are extra vars (migrate_*)."""
        (playbook, *args), run_dir = self._migration_args(target, **role_vars)
        run = run_playbook(playbook, args=args, check=check, verbosity=verbosity, json_output=json_output, env=env)
        return Migration(run, target, run_dir)

    def migrations_at_once(self, target: str, count: int, **role_vars) -> list[Migration]:
        """``count`` runs for the same target, started together."""
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(lambda _: self.migration(target, **role_vars), range(count)))

    def start_migration(self, target: str, **role_vars) -> tuple[subprocess.Popen, Migration]:
        """A run in the background, in its own session, so that a test can kill the whole run."""
        args, run_dir = self._migration_args(target, **role_vars)
        cmd = [str(BIN / "ansible-playbook"), *args]
        proc = subprocess.Popen(
            cmd,
            env=ansible_env(),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return proc, Migration(PlaybookRun(cmd, -1, "", ""), target, run_dir)


class ContainerAPI(EmulatorProcess):
    """EmulatorProcess's HTTP helpers for an emulator that runs in a container (no process of its own)."""

    def __init__(self, port: int, cafile: Path, admin_password: str, scratch: Path):
        super().__init__(scratch, admin_password=admin_password, port=port, cafile=cafile, start=False)

    @property
    def tls(self) -> bool:
        return True


@dataclass
class Migration:
    """One run of playbooks/migrate.yml for one target, and the files it left."""

    run: PlaybookRun
    target: str
    run_dir: Path

    @property
    def rc(self) -> int:
        return self.run.rc

    @property
    def output(self) -> str:
        return self.run.output

    @property
    def backup_dir(self) -> Path:
        return self.run_dir / "backups"

    @property
    def report_dir(self) -> Path:
        return self.run_dir / "reports"

    def result(self, task_name: str) -> dict:
        return self.run.result(task_name, self.target)

    def failure(self) -> str:
        """The message the role stopped with."""
        return self.result("Stop this migration")["msg"]

    def report(self) -> dict:
        reports = sorted(self.report_dir.glob("*-migration-*.json"))
        assert len(reports) == 1, f"expected one report in {self.report_dir}, got {reports}:\n{self.output}"
        return json.loads(reports[0].read_text())

    def markdown(self) -> str:
        (path,) = self.report_dir.glob("*-migration-*.md")
        return path.read_text()

    def backups(self) -> list[Path]:
        return sorted(self.backup_dir.glob("*.wabk"))


def write_inventory(path: Path, prefix: str, port_base: int, hosts: dict, migrations: dict, workdir: Path) -> dict:
    """The inventory file of these environments; returns the host variables it holds."""
    host_vars = {}
    for offset, (name, spec) in enumerate(hosts.items()):
        port = port_base + offset
        spec = dict(spec)
        host_vars[name] = {
            "wa_api_url": f"https://127.0.0.1:{port}",
            "wa_api_password": spec.pop("password", None) or test_password(),
            "wa_containers": [f"{prefix}-{name}"],
            "wa_test_port": port,
            "wa_test_state": spec.pop("state", "unregistered"),
            "wa_test_shards": spec.pop("shards", 1),
            **{f"wa_test_{key}": value for key, value in spec.items() if not key.startswith("wa_")},
            **{key: value for key, value in spec.items() if key.startswith("wa_")},
        }
    # These tests leave their emulated sources running on purpose (they judge the target), so a
    # migration that says nothing about its source allows it explicitly; the guard against a live
    # source left running is tested in test_pipeline_guard.py, and a migration given
    # wa_source_after or wa_allow_running_source gets exactly what it says.
    migrations = {
        name: spec if {"wa_source_after", "wa_allow_running_source"} & set(spec) else spec | ALLOW_RUNNING_SOURCE
        for name, spec in migrations.items()
    }
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "wa_test_prefix": prefix,
                "wa_test_tls_dir": str(workdir / "tls"),
                "wa_test_workdir": str(workdir),
                "wa_api_ca_path": str(workdir / "tls" / "ca.pem"),
                "wa_backup_password": test_password(),
            },
            "children": {
                "wa_environments": {"hosts": host_vars},
                "wa_migrations": {"hosts": migrations},
            },
        }
    }
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return inventory


@contextlib.contextmanager
def running_environments(workdir: Path, prefix: str, port_base: int, hosts: dict, migrations: dict | None = None):
    """Create the environments (molecule/shared/create.yml), yield them, and always remove them.

    ``hosts`` maps an environment name to its description: ``state`` (registered|unregistered),
    ``shards``, ``phone``, ``version``, ``extra_labels``, ``restart_policy``, ``password``, and any
    ``wa_*`` inventory variable. Ports are ``port_base``, ``port_base + 1``, ... on 127.0.0.1.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    inventory = write_inventory(workdir / "inventory.yml", prefix, port_base, hosts, migrations or {}, workdir)
    host_vars = inventory["all"]["children"]["wa_environments"]["hosts"]
    envs = Environments(
        prefix=prefix,
        inventory=workdir / "inventory.yml",
        workdir=workdir,
        hosts=host_vars,
        backup_password=inventory["all"]["vars"]["wa_backup_password"],
        secrets=[inventory["all"]["vars"]["wa_backup_password"]] + [h["wa_api_password"] for h in host_vars.values()],
    )
    try:
        envs.created = envs.run(SHARED / "create.yml", json_output=False)
        assert envs.created.rc == 0, f"could not create the environments:\n{envs.created.output}"
        yield envs
    finally:
        outcome = envs.destroy()
        assert outcome.rc == 0, f"could not remove the environments:\n{outcome.output}"


@contextlib.contextmanager
def source_and_targets(tmp_path_factory, name: str, port_base: int, targets: list[str]):
    """One registered ``source`` and unregistered ``targets``, each migrating from it: the environments
    a test module shares (a fresh target per test), always removed."""
    hosts = {"source": {"state": "registered"}, **{target: {} for target in targets}}
    migrations = {target: {"wa_migrate_from": "source"} for target in targets}
    prefix = f"wa-t4-{name}-{secrets.token_hex(2)}"
    with running_environments(tmp_path_factory.mktemp(name), prefix, port_base, hosts, migrations) as made:
        yield made


@pytest.fixture
def environments(tmp_path):
    """environments(prefix, port_base, hosts, migrations=None) -> Environments, removed after the test.

    See running_environments for ``hosts``.
    """
    with contextlib.ExitStack() as made:

        def create(prefix: str, port_base: int, hosts: dict, migrations: dict | None = None) -> Environments:
            return made.enter_context(running_environments(tmp_path / prefix, prefix, port_base, hosts, migrations))

        yield create
