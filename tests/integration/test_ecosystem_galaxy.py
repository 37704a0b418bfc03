# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ships is what is tested: the collection as ansible-galaxy builds and installs it.

``ansible-galaxy collection build`` from the checkout, then ``ansible-galaxy collection install``
of the tarball (offline, without dependencies: community.docker comes from the ansible package)
into this module's temporary directory. Every run after that sees only that copy and the venv's
site-packages collections: not the checkout's ``.collections`` link, not its ansible.cfg.
"""

import subprocess
import sysconfig
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from playbook_runner import BIN, ROOT, ansible_env, localhost_inventory, run_playbook, write_playbook

# Runtime content: what the tarball must hold, file for file as in the checkout.
RUNTIME_DIRS = ("plugins", "roles", "playbooks")
REQUIRED = (
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "CHANGELOG.rst",
    "changelogs/changelog.yaml",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
    "requirements.txt",
    "bindep.txt",
    "roles/migrate/meta/argument_specs.yml",
)
# Development, test and CI content that must stay out of it.
EXCLUDED = (
    ".venv/",
    ".collections/",
    ".git/",
    ".ci/",
    "build/",
    "scripts/",
    "molecule/",
    "tests/docker/",
    "tests/emulator/",
    "tests/integration/",
    "bench/",
    "ansible.cfg",
    "execution-environment.yml",
    "requirements-dev.txt",
    "pyproject.toml",
    ".pre-commit-config.yaml",
)


@dataclass(frozen=True)
class Installed:
    tarball: Path
    path: Path  # .../ansible_collections/wabiz/migration
    env: dict[str, str]  # what every ansible command of these tests runs with


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=300, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    work = tmp_path_factory.mktemp("galaxy")
    collections = work / "collections"
    (work / "ansible.cfg").write_text("[defaults]\n")
    site_packages = sysconfig.get_paths()["purelib"]  # holds ansible_collections/community/docker
    env = ansible_env(
        ANSIBLE_COLLECTIONS_PATH=f"{collections}:{site_packages}", ANSIBLE_CONFIG=str(work / "ansible.cfg")
    )

    built = run([str(BIN / "ansible-galaxy"), "collection", "build", str(ROOT), "--output-path", "dist"], env, work)
    assert built.returncode == 0, built.stdout + built.stderr
    (tarball,) = (work / "dist").glob("wabiz-migration-*.tar.gz")
    cmd = [str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "-p", str(collections)]
    done = run([*cmd, str(tarball)], env, work)
    assert done.returncode == 0, done.stdout + done.stderr
    return Installed(tarball, collections / "ansible_collections" / "wabiz" / "migration", env)


def checkout_files(top: str) -> set[str]:
    """The files under ``top`` that git would commit: tracked or untracked-not-ignored, not deleted."""

    def listed(*options: str) -> set[str]:
        out = subprocess.run(["git", "ls-files", "-z", *options, "--", top], cwd=ROOT, capture_output=True, check=True)
        return {name for name in out.stdout.decode().split("\0") if name}

    return listed("--cached", "--others", "--exclude-standard") - listed("--deleted")


def test_the_tarball_holds_the_runtime_content_and_nothing_of_development(installed):
    with tarfile.open(installed.tarball) as tar:
        names = {member.name for member in tar.getmembers() if member.isfile()}

    assert [name for name in REQUIRED if name not in names] == []
    assert sorted(n for n in names if n.startswith(EXCLUDED) or "__pycache__" in n or n.endswith(".pyc")) == []
    for top in RUNTIME_DIRS:
        assert {n for n in names if n.startswith(f"{top}/")} == checkout_files(top), top


def test_the_installed_files_are_the_checkouts(installed):
    for top in RUNTIME_DIRS:
        files = checkout_files(top)
        assert files, top
        installed_files = {
            str(p.relative_to(installed.path))
            for p in (installed.path / top).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert installed_files == files, top
        changed = [name for name in sorted(files) if (installed.path / name).read_bytes() != (ROOT / name).read_bytes()]
        assert changed == []


def test_ansible_doc_renders_the_installed_modules_and_role(installed, tmp_path):
    modules = sorted(p.stem for p in (installed.path / "plugins" / "modules").glob("*.py"))
    assert "wa_info" in modules
    doc = run([str(BIN / "ansible-doc"), *(f"wabiz.migration.{m}" for m in modules)], installed.env, tmp_path)
    assert doc.returncode == 0 and doc.stderr == "", doc.stderr
    for module in modules:
        assert f"> MODULE wabiz.migration.{module} ({installed.path}/plugins/modules/{module}.py)" in doc.stdout

    role = run([str(BIN / "ansible-doc"), "-t", "role", "wabiz.migration.migrate"], installed.env, tmp_path)
    assert role.returncode == 0 and role.stderr == "", role.stderr
    assert f"wabiz.migration.migrate* ({installed.path})" in role.stdout
    assert "migrate_backup_password" in role.stdout


def test_a_playbook_runs_the_installed_modules_and_role(installed, source, tmp_path):
    inventory = localhost_inventory(tmp_path / "inventory.yml")
    info = write_playbook(tmp_path / "info.yml", [source.task("Read the source", "wa_info")])
    outcome = run_playbook(info, inventory=inventory, env=installed.env, cwd=tmp_path)
    assert outcome.rc == 0, outcome.output
    result = outcome.result("Read the source")
    assert result["registered"] is True and result["connected"] is True

    # The role's argument spec (meta/argument_specs.yml) is checked before any of its tasks runs.
    role = tmp_path / "role.yml"
    role.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  roles:\n"
        "    - role: wabiz.migration.migrate\n"
        "      vars: {migrate_target_api_url: 'http://127.0.0.1:9', migrate_api_retries: many}\n"
    )
    refused = run_playbook(role, inventory=inventory, env=installed.env, cwd=tmp_path)
    assert refused.rc == 2, refused.output
    (validation,) = refused.results("Validating arguments against arg spec 'main'")
    assert validation["failed"] is True
    assert "migrate_api_retries" in validation["msg"]
    ran = [task["task"]["name"] for play in refused.json["plays"] for task in play["tasks"]]
    assert ran == [
        "wabiz.migration.migrate : Validating arguments against arg spec 'main'"
        " - Move a WhatsApp Business API client to another environment"
    ]
