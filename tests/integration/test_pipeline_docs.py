# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pipelines of docs/pipelines.md, run as a CI runner runs them, against emulator processes.

The command lines are read from the page (the GitLab CI file's ``script`` lines, the GitHub
Actions workflow's ``run`` steps), so that the page and the test cannot drift apart, and run as
written with ``bash``: no TTY (stdin is /dev/null), ``CI=true``, the vault password in a file
(GitLab's File variable; the workflow's own step writes it from the secret), the inventory of the
page with its secrets in an encrypted vault file. Checked: every job's exit status (and that the
plan fails, naming the environment, while a live source would be left running), the JUnit files
the artifacts name, the cutover and the promotion on the emulators, and that no secret is in any
job's log or report.

The one change to the page's inventory: an emulator process cannot be stopped through Docker, so
``wa_source_after: stop`` becomes ``wa_allow_running_source: true`` (with restart strategy
``none``: the target restarts by itself) once the refusal has been seen.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from playbook_runner import BIN, ROOT
from source_settings import SOURCE_APPLICATION

PAGE = ROOT / "docs" / "pipelines.md"
VAULT_PASSWORD = "Vault-pipeline-pa55!"
BACKUP_PASSWORD = "Backup-pipeline-pa55!"
STAGING_ABOUT = "Promoted from staging"
STAGING_PROFILE = {"email": "hello@shop.example", "websites": ["https://shop.example"]}


def page_block(first_line: str) -> dict:
    """The YAML code block of docs/pipelines.md whose first line is ``first_line``."""
    found = re.findall(rf"```yaml\n({re.escape(first_line)}\n.*?)```", PAGE.read_text(), re.DOTALL)
    assert len(found) == 1, f"docs/pipelines.md must have one yaml block starting with {first_line!r}"
    return yaml.safe_load(found[0])


def gitlab_jobs() -> tuple[dict, list[tuple[str, list[str], dict]]]:
    """The variables and the jobs (name, script lines, job) in the order a pipeline runs them."""
    ci = page_block("# .gitlab-ci.yml")
    jobs = {name: job for name, job in ci.items() if isinstance(job, dict) and "script" in job}
    assert set(jobs) == {"plan-cutover", "cutover", "plan-promotion", "promote-settings"}
    for apply, plan in (("cutover", "plan-cutover"), ("promote-settings", "plan-promotion")):
        assert jobs[apply]["when"] == "manual" and jobs[apply]["needs"] == [plan]  # the approval gate
        assert jobs[apply]["allow_failure"] is False and jobs[apply]["environment"] == {"name": "production"}
        assert jobs[apply]["artifacts"]["reports"]["junit"] == "reports/*.xml"
    order = ["plan-cutover", "plan-promotion", "cutover", "promote-settings"]
    return ci["variables"], [(name, jobs[name]["script"], jobs[name]) for name in order]


def github_jobs() -> tuple[dict, list[tuple[str, list[tuple[str, dict]], dict]]]:
    """The workflow's env and its jobs (name, [(run text, step env)], job), in the order they run."""
    workflow = page_block("# .github/workflows/whatsapp.yml")
    jobs = workflow["jobs"]
    assert list(jobs) == ["plan", "cutover", "promote-settings"]
    assert jobs["cutover"]["needs"] == "plan" and jobs["cutover"]["environment"] == "production"
    assert jobs["promote-settings"]["environment"] == "production"
    steps = {
        name: [(step["run"], step.get("env", {})) for step in job["steps"] if "run" in step]
        for name, job in jobs.items()
    }
    for job in ("cutover", "promote-settings"):
        uploads = [s for s in jobs[job]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
        assert [(u["if"], u["with"]["path"]) for u in uploads] == [("always()", "reports/")]
    return workflow["env"], [(name, steps[name], jobs[name]) for name in jobs]


def github_step_env(step_env: dict, secrets: dict) -> dict:
    """A step's env with ``${{ secrets.NAME }}`` filled in as the runner does; nothing else is expected."""
    out = {}
    for key, value in step_env.items():
        match = re.fullmatch(r"\$\{\{\s*secrets\.(\w+)\s*\}\}", str(value))
        assert match or "${{" not in str(value), f"unexpected expression in the page: {value}"
        out[key] = secrets[match.group(1)] if match else str(value)
    return out


class Workspace:
    """A CI job's checkout: the page's inventory with a vault, and the runner's environment."""

    def __init__(self, tmp_path: Path, emulators: dict):
        self.root = tmp_path / "workspace"
        self.home = tmp_path / "home"
        self.runner_temp = tmp_path / "runner-temp"
        self.backups = tmp_path / "runner-backups"
        for directory in (self.root, self.home, self.runner_temp):
            directory.mkdir(mode=0o700)
        self.secret_file = tmp_path / "gitlab-file-variable"
        self.secret_file.write_text(VAULT_PASSWORD + "\n")
        self.secret_file.chmod(0o600)
        self.emulators = emulators
        self.inventory_dir = self.root / "inventories" / "whatsapp"
        (self.inventory_dir / "group_vars" / "all").mkdir(parents=True)
        self.secrets = [VAULT_PASSWORD, BACKUP_PASSWORD] + [e.admin_password for e in emulators.values()]
        self.write_vault()

    def write_inventory(self, allow_running_source: bool) -> None:
        inventory = page_block("# inventories/whatsapp/hosts.yml")
        hosts = inventory["all"]["children"]["wa_environments"]["hosts"]
        assert set(hosts) == set(self.emulators)
        for name, emulator in self.emulators.items():
            hosts[name]["wa_api_url"] = emulator.url
            hosts[name].pop("wa_containers", None)
        hosts["prod-new"]["wa_restart_strategy"] = "none"
        migration = inventory["all"]["children"]["wa_migrations"]["hosts"]["prod-new"]
        assert migration == {"wa_migrate_from": "prod-old", "wa_source_after": "stop"}
        if allow_running_source:
            migration.pop("wa_source_after")
            migration["wa_allow_running_source"] = True
        else:
            migration["wa_source_after"] = "leave"
        (self.inventory_dir / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))

    def write_vault(self) -> None:
        names = set(re.findall(r"vault_\w+", page_block("# inventories/whatsapp/hosts.yml").__repr__()))
        values = {
            f"vault_wa_{name.replace('-', '_')}_admin_password": emulator.admin_password
            for name, emulator in self.emulators.items()
        }
        values["vault_wa_backup_password"] = BACKUP_PASSWORD
        assert names == set(values), f"the page's inventory uses {sorted(names)}"
        vault = self.inventory_dir / "group_vars" / "all" / "vault.yml"
        vault.write_text(yaml.safe_dump(values))
        subprocess.run(
            [str(BIN / "ansible-vault"), "encrypt", "--vault-password-file", str(self.secret_file), str(vault)],
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=self.env({}),
        )
        assert vault.read_text().startswith("$ANSIBLE_VAULT;")

    def env(self, extra: dict) -> dict:
        """A runner's environment: no ANSIBLE_* of the test's own, the collection as the job image has it."""
        env = {
            "PATH": f"{BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "CI": "true",
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        }
        env.update(extra)
        return env

    def run(self, text: str, env: dict) -> subprocess.CompletedProcess:
        """One script line or run step, as the runner runs it: bash, no TTY, in the checkout."""
        return subprocess.run(
            ["bash", "-eo", "pipefail", "-c", text],
            cwd=self.root,
            env=self.env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def assert_no_secret(self, log: str) -> None:
        for secret in self.secrets:
            assert secret not in log
        for path in (self.root / "reports").rglob("*"):
            if path.is_file():
                text = path.read_text()
                assert not any(secret in text for secret in self.secrets), path


@pytest.fixture
def workspace(emulators, tmp_path):
    prod_old = emulators.source(name="prod-old")
    prod_new = emulators.target("--after-restore", "continue", name="prod-new")
    staging = emulators.start("staging", "--state", "registered", "--phone", "15550100777")
    token = staging.admin_token()
    for method, path, body in (
        ("PATCH", "/v1/settings/profile/about", {"text": STAGING_ABOUT}),
        ("POST", "/v1/settings/business/profile", STAGING_PROFILE),
    ):
        status, answer = staging.api(method, path, body, token=token)
        assert status == 200, answer
    return Workspace(tmp_path, {"prod-old": prod_old, "prod-new": prod_new, "staging": staging})


def junit_files(workspace: Workspace, pattern: str) -> list[ET.Element]:
    return [ET.parse(path).getroot() for path in sorted(glob.glob(str(workspace.root / pattern)))]


def check_outcome(workspace: Workspace, junit_pattern: str) -> None:
    """The cutover and the promotion happened, and the JUnit files say so."""
    prod_old, prod_new = workspace.emulators["prod-old"], workspace.emulators["prod-new"]
    state = prod_new.state()
    assert state["registered"] and state["phone_number"] == prod_old.state()["phone_number"]
    # The cutover brought prod-old's settings (SOURCE_APPLICATION's media, for one); the promotion then
    # made them staging's, with prod's own webhook (never staging's).
    staging = workspace.emulators["staging"].state()["settings"]["application"]
    assert prod_old.state()["settings"]["application"]["media"] == SOURCE_APPLICATION["media"] != staging["media"]
    prod_webhook = "https://example.com/whatsapp/webhook"
    assert state["settings"]["application"] == {**staging, "webhooks": {**staging["webhooks"], "url": prod_webhook}}
    assert state["settings"]["profile"]["about"]["text"] == STAGING_ABOUT
    suites = {suite.get("name"): suite for root in junit_files(workspace, junit_pattern) for suite in root}
    assert set(suites) == {"migration.prod-new", "promotion.prod-new"}
    assert [(s.get("tests"), s.get("failures")) for s in suites.values()] == [("6", "0"), ("2", "0")]


def test_gitlab_pipeline(workspace):
    variables, jobs = gitlab_jobs()
    env = {
        **{key: str(value) for key, value in variables.items()},
        "WABIZ_BACKUP_DIR": str(workspace.backups),  # the runner's kept directory
        "GITLAB_CI": "true",
        "CI_PROJECT_DIR": str(workspace.root),
        "WABIZ_VAULT_PASS": str(workspace.secret_file),
    }
    (plan_name, plan_lines, _job) = jobs[0]
    assert plan_name == "plan-cutover"

    # The plan stops a cutover that would leave the live source running.
    workspace.write_inventory(allow_running_source=False)
    (refused,) = [workspace.run(line, env) for line in plan_lines]
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "1 of 1 migration(s) failed: prod-new" in refused.stdout
    assert "would be left running" in refused.stdout
    workspace.assert_no_secret(refused.stdout + refused.stderr)

    workspace.write_inventory(allow_running_source=True)
    for name, lines, _job in jobs:
        for line in lines:
            done = workspace.run(line, env)
            log = done.stdout + done.stderr
            assert done.returncode == 0, f"{name}: {line}\n{log}"
            workspace.assert_no_secret(log)
        if name == "cutover":
            assert "prod-new: migrated in " in done.stdout
    check_outcome(workspace, "reports/*.xml")
    assert list(workspace.backups.glob("prod-new-source-*.wabk"))  # kept on the runner, not in reports/


def test_github_actions_workflow(workspace):
    workflow_env, jobs = github_jobs()
    env = {
        **{key: str(value) for key, value in workflow_env.items()},
        "WABIZ_BACKUP_DIR": str(workspace.backups),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace.root),
        "RUNNER_TEMP": str(workspace.runner_temp),
    }
    secrets = {"WABIZ_VAULT_PASSWORD": VAULT_PASSWORD}
    workspace.write_inventory(allow_running_source=True)
    for name, steps, _job in jobs:
        for text, step_env in steps:
            done = workspace.run(text, {**env, **github_step_env(step_env, secrets)})
            log = done.stdout + done.stderr
            assert done.returncode == 0, f"{name}: {text}\n{log}"
            workspace.assert_no_secret(log)
        assert (workspace.runner_temp / "vault-pass").stat().st_mode & 0o077 == 0
    check_outcome(workspace, "reports/*.xml")
