# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventories that docs/remote-docker.md and the example inventory show work as written.

Each is read by the real ``ansible-inventory``; every Docker setting an environment has must be
one the playbooks read (a misspelt variable would silently fall back to the local socket), each
topology must have what it needs (TLS for tcp://, known hosts for ssh://), and wa_container_host
must name an inventory host that is not itself an environment. The topologies themselves run for
real in test_remote_docker.py, with these same variables.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from playbook_runner import BIN, PLAYBOOKS, ROOT, ansible_env

DOC = ROOT / "docs" / "remote-docker.md"
# The wa_* variables the playbooks read for an environment (as a target, and as a source).
READ = set(re.findall(r"\b(wa_\w+) \| default", (PLAYBOOKS / "vars" / "migrate_target.yml").read_text())) | set(
    re.findall(r"wa_source\.(wa_\w+)", (PLAYBOOKS / "migrate.yml").read_text())
)


def doc_inventories() -> dict[str, str]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.DOTALL)
    found = [block for block in blocks if re.search(r"^all:", block, re.MULTILINE)]
    assert len(found) == 3, "docs/remote-docker.md shows one inventory per topology"
    return dict(zip(("ssh", "tls", "own host"), found, strict=True))


def inventory(path) -> dict:
    proc = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(path), "--list"],
        capture_output=True,
        text=True,
        env=ansible_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def check(listed: dict) -> set[str]:
    """Check every environment's Docker settings; returns the topologies seen."""
    hostvars = listed["_meta"]["hostvars"]
    environments = listed["wa_environments"]["hosts"]
    seen = set()
    for name in environments:
        variables = hostvars[name]
        docker = {key for key in variables if key.startswith("wa_docker_") or key == "wa_container_host"}
        assert docker <= READ, f"{name}: {sorted(docker - READ)} are read by no playbook"
        url = variables.get("wa_docker_host", "unix:///var/run/docker.sock")
        if "wa_container_host" in variables:
            runs_on = variables["wa_container_host"]
            assert runs_on in hostvars and runs_on not in environments, f"{name}: {runs_on} is not a Docker host"
            assert hostvars[runs_on]["ansible_connection"] == "ssh"
            assert hostvars[runs_on].get("ansible_host_key_checking") is True
            seen.add("own host")
        elif url.startswith("ssh://"):
            assert variables.get("wa_docker_ssh_known_hosts_file"), f"{name}: no known hosts for {url}"
            seen.add("ssh")
        elif url.startswith("tcp://"):
            assert variables.get("wa_docker_tls") is True, f"{name}: {url} without TLS"
            assert variables.get("wa_docker_client_cert") and variables.get("wa_docker_client_key")
            seen.add("tls")
        else:
            assert url.startswith("unix://"), url
    for name in listed["wa_migrations"]["hosts"]:
        assert hostvars[name]["wa_migrate_from"] in environments
    return seen


@pytest.mark.parametrize("topology", ["ssh", "tls", "own host"])
def test_each_documented_inventory_works_as_written(tmp_path, topology):
    path = tmp_path / "hosts.yml"
    path.write_text(doc_inventories()[topology])

    assert check(inventory(path)) == {topology}


def test_the_example_inventory_reaches_its_remote_engine_over_ssh_not_plain_tcp():
    assert "ssh" in check(inventory(PLAYBOOKS / "inventory" / "example"))
