"""One migration, several ways, in alternating rounds, each on a fresh pair.

Contenders: ``floor`` (floor.py: requests + Docker SDK, no Ansible), ``migrate.yml`` (the
collection's playbook, check mode off, report on), ``plain`` (plain_migrate.yml: uri, docker
restart, until-loop with a 5 s delay), the reference ``ansible-min`` (ansible_minimum.yml: the
start-up and one module, the least any playbook costs; it migrates nothing) and, with
``--candidate``, the candidate (migrate.yml of another copy of the collection, named by
``--candidate-label``: a proposed change, or an earlier release, measured against the current one
in the same rounds).

Each round runs every contender once, in an order that rotates from round to round, so that
the load of other work on the machine falls on all of them alike: the ratios of one run are
the figures to trust, more than absolute times.

Unavailability is measured from outside and the same way for every contender: from the moment
the target's emulator logged the successful ``POST /v1/settings/restore`` (its requests.log,
on the host's clock) to the first moment the probe (health every 50 ms) saw the restarted
process (its start is in lifecycle.log) answer ``connected``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pairs import Pair, Pairs
from playbook_runner import ROOT, localhost_inventory
from probe import HealthProbe
from runner import Candidate, Run, ansible_playbook, run_timed
from task_profile import Profile, profile

HERE = Path(__file__).resolve().parent
BACKUP_PASSWORD = "Bench-Backup-Pa55!"


@dataclass
class Outcome:
    contender: str
    round: int
    wall: float
    cpu: float  # user + system seconds of the contender's process tree
    unavailable: float | None  # None for the reference that migrates nothing
    profile: Profile | None = None  # ansible-playbook runs only


def write_private(path: Path, payload: dict) -> Path:
    """A JSON (and so YAML) file readable by its owner only: it holds passwords."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle)
    return path


def environments_inventory(path: Path, admin_password: str, ca_path: Path, groups: dict) -> Path:
    """The environments as users describe them (see playbooks/inventory/example): ``groups`` holds
    wa_environments (and wa_migrations); the secrets every environment shares; owner-only file."""
    return write_private(
        path,
        {
            "all": {
                "vars": {
                    "ansible_connection": "local",
                    "ansible_python_interpreter": sys.executable,
                    "wa_backup_password": BACKUP_PASSWORD,
                    "wa_api_password": admin_password,
                    "wa_api_ca_path": str(ca_path),
                },
                "children": groups,
            }
        },
    )


def inventory(pair: Pair, path: Path) -> Path:
    """A migration of the pair's source to its target."""
    return environments_inventory(
        path,
        pair.admin_password,
        pair.ca_path,
        {
            "wa_environments": {
                "hosts": {
                    "source": {"wa_api_url": pair.source.url},
                    "target": {"wa_api_url": pair.target.url, "wa_containers": [pair.target.name]},
                }
            },
            # The bench's source keeps running (the floor and the plain playbook leave it too).
            "wa_migrations": {"hosts": {"target": {"wa_migrate_from": "source", "wa_allow_running_source": True}}},
        },
    )


def migration_job(pair: Pair, backup_dest: Path) -> dict:
    """What the floor and the plain playbook are given: the pair, its secrets, where to save the backup."""
    return {
        "source_url": pair.source.url,
        "target_url": pair.target.url,
        "ca_path": str(pair.ca_path),
        "admin_password": pair.admin_password,
        "backup_password": BACKUP_PASSWORD,
        "backup_dest": str(backup_dest),
        "target_container": pair.target.name,
    }


def run_floor(pair: Pair, work: Path) -> Run:
    job = write_private(work / "floor-job.json", migration_job(pair, work / "floor.wabk"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    return run_timed([sys.executable, str(HERE / "floor.py"), str(job)], work / "floor.log", env)


def run_migrate(pair: Pair, work: Path, collection_root: Path = ROOT, collections: Path | None = None) -> Run:
    args = ["-e", f"migrate_backup_dir={work / 'backups'}", "-e", f"migrate_report_dir={work / 'reports'}"]
    return ansible_playbook(
        collection_root / "playbooks" / "migrate.yml",
        inventory(pair, work / "inventory.yml"),
        work / "migrate.log",
        args,
        collections=collections,
    )


def run_ansible_minimum(pair: Pair, work: Path) -> Run:
    """The least any playbook costs: ansible-playbook's start-up and one module (ping), no pair needed."""
    local = localhost_inventory(work / "localhost.yml")
    return ansible_playbook(HERE / "ansible_minimum.yml", local, work / "minimum.log")


def run_plain(pair: Pair, work: Path) -> Run:
    job = migration_job(pair, work / "plain.wabk")
    extra = write_private(work / "plain-vars.json", {f"bench_{key}": value for key, value in job.items()})
    local = localhost_inventory(work / "localhost.yml")
    return ansible_playbook(HERE / "plain_migrate.yml", local, work / "plain.log", ["-e", f"@{extra}"])


def restore_time(pair: Pair) -> float:
    """When the target's emulator logged the successful restore (wall clock, seconds)."""
    for line in pair.target.requests_log.read_text().splitlines():
        entry = json.loads(line)
        if entry["path"] == "/v1/settings/restore" and entry["status"] == 200:
            return datetime.fromisoformat(entry["ts"]).timestamp()
    raise AssertionError(f"{pair.target.name}: no successful restore in its requests.log")


def restarted_time(pair: Pair) -> float:
    """When the target's new process started, after it stopped once after the import (by itself, or
    by the restart if that came first), with the source's registration."""
    events = [json.loads(line) for line in (pair.target.data_dir / "lifecycle.log").read_text().splitlines()]
    starts = [e for e in events if e["event"] == "start"]
    exits = [e for e in events if e["event"] == "exit"]
    if len(starts) != 2 or not starts[1]["registered"] or len(exits) != 1:
        raise AssertionError(f"{pair.target.name}: unexpected life cycle {events}")
    source, target = (json.loads((c.data_dir / "state.json").read_text()) for c in (pair.source, pair.target))
    if not source["phone_number"] or target["phone_number"] != source["phone_number"]:
        raise AssertionError(f"{pair.target.name}: the target does not hold the source's number")
    return datetime.fromisoformat(starts[1]["ts"]).timestamp()


@dataclass
class Contender:
    name: str
    run: object  # (pair or None, work dir) -> Run
    migrates: bool = True


def contenders(candidate: Candidate | None) -> list[Contender]:
    found = [
        Contender("floor", run_floor),
        Contender("migrate.yml", run_migrate),
        Contender("plain", run_plain),
        Contender("ansible-min", run_ansible_minimum, migrates=False),
    ]
    if candidate is not None:
        found.append(
            Contender(
                candidate.label, lambda pair, work: run_migrate(pair, work, candidate.root, candidate.collections)
            )
        )
    return found


def measure(pairs: Pairs, contender: Contender, round_no: int, work: Path) -> Outcome:
    work.mkdir(parents=True)
    if not contender.migrates:
        run = contender.run(None, work)
        return Outcome(
            contender.name, round_no, run.wall, run.cpu, None, profile(run.log, run.started_at, run.ended_at)
        )
    pair = pairs.make(f"r{round_no}-{contender.name.split('.')[0]}")
    probe = HealthProbe(pair.target.url, pair.ca_path, pair.admin_password)
    probe.start()
    try:
        run = contender.run(pair, work)
        restored = restore_time(pair)
        # Between its commit and its exit the old process may still say connected: only the new
        # process's answers count.
        connected = probe.wait_for("connected", restarted_time(pair), timeout=60)
        if connected is None:
            raise AssertionError(f"{pair.target.name}: never seen connected after the restart")
    finally:
        probe.stop()
        pairs.discard(pair)
    timing = None if contender.name == "floor" else profile(run.log, run.started_at, run.ended_at)
    return Outcome(contender.name, round_no, run.wall, run.cpu, connected - restored, timing)


def run_rounds(
    work: Path, rounds: int, candidate: Candidate | None = None, target_start_delay: float = 0, say=print
) -> list[Outcome]:
    outcomes = []
    todo = contenders(candidate)
    with Pairs(work, target_start_delay) as pairs:
        for round_no in range(rounds):
            shift = round_no % len(todo)
            for contender in todo[shift:] + todo[:shift]:
                started = time.monotonic()
                folder = work / f"round-{round_no}" / contender.name.split(".")[0]
                outcome = measure(pairs, contender, round_no, folder)
                outcomes.append(outcome)
                unavailable = "" if outcome.unavailable is None else f", unavailable {outcome.unavailable:5.2f} s"
                say(
                    f"  round {round_no + 1}/{rounds} {contender.name:12} wall {outcome.wall:6.2f} s{unavailable} "
                    f"({time.monotonic() - started:.0f} s in all)"
                )
    return outcomes
