"""Runs one timed process (ansible-playbook or the floor) the same way for every contender.

Output goes to files, never to the terminal: stdout to ``log`` (the JSON callback's document for
ansible-playbook), stderr beside it (``.err``); a failure shows their last lines (the playbooks
never print a secret). The wall time runs from the spawn to the exit. ``os.wait4`` gives the
exit status, the CPU time of the whole tree and the largest RSS of any single process in it
(Linux sums and maximizes over the waited-for descendants); with ``sample_memory`` a sampler adds the tree's peak sums.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from playbook_runner import BIN, ROOT, ansible_env
from tree_memory import TreeMemorySampler


class RunFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Candidate:
    """Another copy of the collection, run beside the checkout: a proposed change, or an earlier release."""

    label: str  # how its rows are named in the tables
    collections: Path  # holds ansible_collections/wabiz/migration

    @property
    def root(self) -> Path:
        return self.collections / "ansible_collections" / "wabiz" / "migration"


def failure_text(log: Path, errors: Path) -> str:
    """The failed tasks' messages (JSON callback), else the last lines of both outputs."""
    try:
        doc = json.loads(log.read_text())
        messages = [
            f"{task['task']['name']} ({host}): {result.get('msg')}"
            for play in doc["plays"]
            for task in play["tasks"]
            for host, result in task["hosts"].items()
            if result.get("failed") or result.get("unreachable")
        ]
    except (ValueError, KeyError, TypeError):
        messages = []
    messages = messages or [
        line for path in (log, errors) for line in path.read_text(errors="replace").splitlines()[-20:]
    ]
    return "\n".join([*messages, f"(see {log})"])


@dataclass
class Run:
    wall: float
    started_at: float  # wall clock of the spawn
    ended_at: float
    log: Path
    max_process_rss: int  # bytes
    cpu: float  # user + system seconds of the whole tree (its waited-for processes)
    peak_tree_rss: int | None = None  # bytes, sum over the tree
    peak_tree_pss: int | None = None
    peak_processes: int | None = None


def run_timed(cmd: list[str], log: Path, env: dict[str, str], sample_memory: bool = False, timeout: float = 600) -> Run:
    errors = log.with_name(log.name + ".err")
    with open(log, "wb") as out, open(errors, "wb") as err:
        started_at, start = time.time(), time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        sampler = TreeMemorySampler(proc.pid) if sample_memory else None
        if sampler:
            sampler.start()
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if sampler:
            sampler.stop()
    if proc.returncode != 0:
        raise RunFailed(
            f"{' '.join(map(str, cmd[:3]))} ... failed (rc {proc.returncode}):\n{failure_text(log, errors)}"
        )
    run = Run(wall, started_at, started_at + wall, log, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime)
    if sampler:
        run.peak_tree_rss, run.peak_tree_pss, run.peak_processes = (
            sampler.peak_rss,
            sampler.peak_pss,
            sampler.peak_processes,
        )
    return run


def ansible_playbook(
    playbook: Path,
    inventory: Path,
    log: Path,
    args: list[str] = (),
    collections: Path | None = None,
    extra_env: dict[str, str] | None = None,
    **kwargs,
) -> Run:
    """ansible-playbook from the venv, with the checkout's collection (or ``collections``, a candidate)."""
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", **(extra_env or {}))
    if collections is not None:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    return run_timed([str(BIN / "ansible-playbook"), str(playbook), "-i", str(inventory), *args], log, env, **kwargs)
