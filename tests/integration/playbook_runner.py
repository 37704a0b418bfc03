"""Run real ``ansible-playbook`` processes against the checkout's collection, for tests.

Every integration test goes through here, so that all of them run the collection the way users
do: the venv's ansible-playbook, the collection found through ``.collections``, and the JSON
callback, so that tests read task results instead of scraping text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLAYBOOKS = ROOT / "playbooks"


@dataclass
class PlaybookRun:
    """One finished ansible-playbook run."""

    args: list[str]
    rc: int
    stdout: str
    stderr: str
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def json(self) -> dict:
        """The JSON callback's document (only when the run used it)."""
        return json.loads(self.stdout)

    def results(self, task_name: str, host: str = "localhost") -> list[dict]:
        """The results of every task whose name contains ``task_name``, for ``host``, in order."""
        return [
            task["hosts"][host]
            for play in self.json["plays"]
            for task in play["tasks"]
            if task_name in task["task"]["name"] and host in task["hosts"]
        ]

    def result(self, task_name: str, host: str = "localhost") -> dict:
        found = self.results(task_name, host)
        assert len(found) == 1, f"expected one result of {task_name!r} for {host}, got {len(found)}:\n{self.output}"
        return found[0]

    def stats(self, host: str = "localhost") -> dict:
        return self.json["stats"][host]


def ansible_env(**extra: str) -> dict[str, str]:
    """The environment of a run: the venv first, the checkout's collection, no colour."""
    env = dict(os.environ)
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
    )
    env.update(extra)
    return env


def localhost_inventory(path: Path, **host_vars) -> Path:
    """An inventory with one local host, ``localhost``, running modules with this Python."""
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, **host_vars}
    path.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": host}}}))
    return path


def run_playbook(
    playbook: str | Path,
    *,
    inventory: str | Path | None = None,
    extra_vars: dict | None = None,
    check: bool = False,
    verbosity: int = 0,
    json_output: bool = True,
    env: dict[str, str] | None = None,
    args: list[str] | tuple[str, ...] = (),
    cwd: Path | None = None,
    timeout: float = 600,
) -> PlaybookRun:
    """Run ``ansible-playbook`` and return its outcome (never raises on a failed play)."""
    cmd = [str(BIN / "ansible-playbook"), str(playbook)]
    if inventory is not None:
        cmd += ["-i", str(inventory)]
    if extra_vars:
        cmd += ["--extra-vars", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    cmd += list(args)
    callback = {"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"} if json_output else {}
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env=ansible_env(**callback, **(env or {})),
        cwd=cwd or ROOT,
        timeout=timeout,
        check=False,
    )
    return PlaybookRun(cmd, proc.returncode, proc.stdout, proc.stderr)


def write_playbook(path: Path, tasks: list[dict], hosts: str = "localhost") -> Path:
    """A one-play playbook file made of ``tasks``."""
    play = {"name": "Test play", "hosts": hosts, "gather_facts": False, "tasks": tasks}
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return path
