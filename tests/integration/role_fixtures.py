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
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from playbook_runner import PLAYBOOKS, ROOT, PlaybookRun, run_playbook

SHARED = ROOT / "molecule" / "shared"


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

    def emulator(self, host: str, what: str) -> dict | list:
        """A test-only view of the emulated client: ``state``, ``requests`` or ``lifecycle``."""
        context = ssl.create_default_context(cafile=str(self.workdir / "tls" / "ca.pem"))
        credentials = base64.b64encode(f"admin:{self.hosts[host]['wa_api_password']}".encode()).decode()
        login = urllib.request.Request(
            self.url(host) + "/v1/users/login",
            data=b"{}",
            method="POST",
            headers={"Authorization": f"Basic {credentials}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, context=context, timeout=30) as answer:
            token = json.load(answer)["users"][0]["token"]
        view = urllib.request.Request(
            self.url(host) + f"/v1/_emulator/{what}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(view, context=context, timeout=30) as answer:
            return json.load(answer)[what]

    def run(self, playbook: str | Path, **kwargs) -> PlaybookRun:
        return run_playbook(playbook, inventory=self.inventory, **kwargs)

    def migrate(self, extra_vars: dict | None = None, **kwargs) -> PlaybookRun:
        """playbooks/migrate.yml, with backups and reports kept in this test's work directory."""
        variables = {"migrate_backup_dir": str(self.backup_dir), "migrate_report_dir": str(self.report_dir)}
        variables.update(extra_vars or {})
        return self.run(PLAYBOOKS / "migrate.yml", extra_vars=variables, **kwargs)

    def destroy(self) -> PlaybookRun:
        return self.run(SHARED / "destroy.yml", json_output=False)


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


@pytest.fixture
def environments(tmp_path):
    """environments(prefix, port_base, hosts, migrations=None) -> Environments, removed after the test.

    ``hosts`` maps an environment name to its description: ``state`` (registered|unregistered),
    ``shards``, ``phone``, ``version``, ``extra_labels``, ``restart_policy``, ``password``, and any
    ``wa_*`` inventory variable. Ports are ``port_base``, ``port_base + 1``, ... on 127.0.0.1.
    """
    made: list[Environments] = []

    def create(prefix: str, port_base: int, hosts: dict, migrations: dict | None = None) -> Environments:
        workdir = tmp_path / prefix
        workdir.mkdir()
        inventory = write_inventory(workdir / "inventory.yml", prefix, port_base, hosts, migrations or {}, workdir)
        host_vars = inventory["all"]["children"]["wa_environments"]["hosts"]
        envs = Environments(
            prefix=prefix,
            inventory=workdir / "inventory.yml",
            workdir=workdir,
            hosts=host_vars,
            backup_password=inventory["all"]["vars"]["wa_backup_password"],
            secrets=[inventory["all"]["vars"]["wa_backup_password"]]
            + [h["wa_api_password"] for h in host_vars.values()],
        )
        made.append(envs)
        envs.created = envs.run(SHARED / "create.yml", json_output=False)
        assert envs.created.rc == 0, f"could not create the environments:\n{envs.created.output}"
        return envs

    yield create
    for envs in made:
        outcome = envs.destroy()
        assert outcome.rc == 0, f"could not remove the environments:\n{outcome.output}"
