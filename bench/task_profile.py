"""Where an ansible-playbook run spends its time, from the JSON callback's per-task durations.

A task runs a module in a new Python process on the host (here: local) unless its action is
one the controller does by itself; those are cheap. The start-up is everything before the first
task (interpreter, Ansible, the collection, the inventory, parsing the playbook), the wrap-up
everything after the last one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

# Actions (by short name) that run on the controller only, without a module process.
CONTROLLER_ACTIONS = frozenset(
    ("set_fact", "assert", "debug", "fail", "meta", "validate_argument_spec", "include_tasks", "import_tasks")
)


@dataclass
class Profile:
    startup: float
    wrapup: float
    module_tasks: int = 0
    module_seconds: float = 0.0
    controller_tasks: int = 0
    controller_seconds: float = 0.0
    skipped_tasks: int = 0
    skipped_seconds: float = 0.0
    tasks: dict[str, float] = field(default_factory=dict)  # name -> seconds (summed over hosts' task)


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text.rstrip("Z")).replace(tzinfo=UTC).timestamp()


def profile(callback_output: Path, started: float, ended: float) -> Profile:
    """``started``/``ended``: wall times of the process's spawn and exit."""
    doc = json.loads(callback_output.read_text())
    tasks = [task for play in doc["plays"] for task in play["tasks"]]
    first = min(_stamp(t["task"]["duration"]["start"]) for t in tasks)
    last = max(_stamp(t["task"]["duration"]["end"]) for t in tasks)
    out = Profile(startup=first - started, wrapup=ended - last)
    for task in tasks:
        seconds = _stamp(task["task"]["duration"]["end"]) - _stamp(task["task"]["duration"]["start"])
        results = list(task["hosts"].values())
        name = task["task"]["name"]
        out.tasks[name] = out.tasks.get(name, 0.0) + seconds
        if all(r.get("skipped") for r in results):
            out.skipped_tasks += 1
            out.skipped_seconds += seconds
        elif all(str(r.get("action")).rsplit(".", maxsplit=1)[-1] in CONTROLLER_ACTIONS for r in results):
            out.controller_tasks += 1
            out.controller_seconds += seconds
        else:
            out.module_tasks += 1
            out.module_seconds += seconds
    return out
