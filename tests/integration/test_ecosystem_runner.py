# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/migrate.yml as an AWX job: through ansible-runner, with the credential of docs/awx.md.

A source and a target run in containers (molecule/shared/create.yml, through role_fixtures).
The job's inventory holds no secret: the passwords come as the extra variables of the custom
credential type in docs/awx.md, rendered from that page as AWX renders an injector. The job is
then judged as AWX judges it, from ansible-runner's artifacts: status, return code, stdout and
events; and no secret may be in any of them.
"""

import json
import os
import re
import uuid

import ansible_runner
import pytest
import yaml
from jinja2.sandbox import SandboxedEnvironment
from playbook_runner import BIN, ROOT

pytest_plugins = ["docker_fixtures", "role_fixtures"]

pytestmark = pytest.mark.docker

PORT_BASE = 20500  # this module's host ports: 20500-20599 on 127.0.0.1
CREDENTIAL_TYPE = "WhatsApp Business API migration"
PHASES = ("Preflight", "Backup", "Restore", "Restart", "Verify", "Report")
SOURCE_PHONE = "15550001111"  # molecule/shared/create.yml's default number


def credential_type(name: str) -> tuple[dict, dict]:
    """The input and injector configurations of a credential type, as docs/awx.md gives them."""
    text = (ROOT / "docs" / "awx.md").read_text()
    blocks = {}
    for kind in ("Input", "Injector"):
        found = re.findall(rf'```yaml\n(# {kind} configuration of "{re.escape(name)}"\n.*?)```', text, re.DOTALL)
        assert len(found) == 1, f'docs/awx.md must give one {kind} configuration of "{name}"'
        blocks[kind] = yaml.safe_load(found[0])
    return blocks["Input"], blocks["Injector"]


def inject(injectors: dict, inputs: dict) -> dict:
    """The extra variables AWX passes to the job for a credential with these inputs."""
    templates = SandboxedEnvironment()
    return {name: templates.from_string(value).render(**inputs) for name, value in injectors["extra_vars"].items()}


def without_secrets(inventory: dict) -> dict:
    """The inventory as it would be in AWX: the same hosts and settings, no password."""
    public = json.loads(json.dumps(inventory))
    public["all"]["vars"].pop("wa_backup_password")
    for host in public["all"]["children"]["wa_environments"]["hosts"].values():
        host.pop("wa_api_password")
    return public


@pytest.fixture
def pair(docker_client, emulator_image, environments):
    """A registered source and an unregistered target, removed after the test."""
    return environments(
        f"wa-eco-run-{uuid.uuid4().hex[:6]}",
        PORT_BASE,
        hosts={"source": {"state": "registered"}, "target": {}},
        migrations={"target": {"wa_migrate_from": "source"}},
    )


def test_migration_as_an_awx_job(pair, tmp_path):
    inputs, injectors = credential_type(CREDENTIAL_TYPE)
    secrets = {
        "source_password": pair.hosts["source"]["wa_api_password"],
        "target_password": pair.hosts["target"]["wa_api_password"],
        "backup_password": pair.backup_password,
    }
    assert sorted(inputs["required"]) == sorted(secrets)
    job_dir, files = tmp_path / "job", tmp_path / "files"
    (job_dir / "inventory").mkdir(parents=True)
    inventory = job_dir / "inventory" / "hosts.yml"
    inventory.write_text(yaml.safe_dump(without_secrets(yaml.safe_load(pair.inventory.read_text()))))
    assert not [name for name, value in secrets.items() if value in inventory.read_text()]

    run = ansible_runner.run(
        private_data_dir=str(job_dir),
        project_dir=str(ROOT),  # AWX runs a job in its project's checkout
        playbook="playbooks/migrate.yml",
        inventory=str(inventory),
        limit="target",
        extravars={
            **inject(injectors, secrets),
            "migrate_backup_dir": str(files / "backups"),
            "migrate_report_dir": str(files / "reports"),
            "migrate_lock_dir": str(files / "locks"),
        },
        # The venv's ansible-playbook, and the checkout's collection in place of the image's.
        envvars={
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
            "ANSIBLE_NOCOLOR": "1",
        },
        ident="migrate",
        quiet=True,
        timeout=900,
    )

    artifacts = job_dir / "artifacts" / "migrate"
    stdout = (artifacts / "stdout").read_text()
    assert (run.status, run.rc) == ("successful", 0), stdout[-4000:]
    assert (artifacts / "status").read_text() == "successful"
    assert (artifacts / "rc").read_text() == "0"
    assert "PLAY RECAP" in stdout
    assert run.stats["failures"] == {} and "target" in run.stats["changed"]

    events = list(run.events)
    assert len(list((artifacts / "job_events").glob("*.json"))) == len(events)
    role_tasks = [
        e["event_data"]["task"]
        for e in events
        if e["event"] == "runner_on_ok" and e["event_data"].get("role") == "migrate"
    ]
    assert [phase for phase in PHASES if not any(task.startswith(f"{phase} |") for task in role_tasks)] == []
    verified = [
        e["event_data"]["res"]
        for e in events
        if e["event"] == "runner_on_ok" and e["event_data"]["task"].startswith("Verify | Wait until the target is")
    ]
    assert [result["phone_number"] for result in verified] == [SOURCE_PHONE]
    reports = [json.loads(path.read_text()) for path in (files / "reports").rglob("*-migration-*.json")]
    assert [report["result"] for report in reports] == ["migrated"]

    backups = list((files / "backups").rglob("*.wabk"))
    assert len(backups) == 1
    backup_data = backups[0].read_text().strip()
    leaks = {name: value for name, value in {**secrets, "backup data": backup_data[:64]}.items() if len(value) >= 12}
    assert len(leaks) == 4
    for path in (p for p in artifacts.rglob("*") if p.is_file()):
        text = path.read_text(errors="replace")
        assert [name for name, value in leaks.items() if value in text] == [], path
