"""playbooks/backup.yml over a fleet of emulator processes: wall time, backups a second, memory.

The fleet is N ``python -m wa_emulator serve --state registered`` processes (HTTPS, one private
CA), started once for the largest size; a run of size n backs up the first n. Each run gets a
fresh backup root, so every run writes n new backups. Memory is that of the ansible-playbook
process tree only (the emulators are the benchmark's children, not its): the peak of the sum
of PSS (pages shared between the controller and its forks counted once) and of RSS (each fork
counted in full, an upper bound), sampled every 0.2 s, and the largest single process.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from migration import environments_inventory
from playbook_runner import ROOT
from runner import Candidate, ansible_playbook

from wa_emulator.certs import make_certs
from wa_emulator.launcher import EmulatorProcess


@dataclass
class FleetRun:
    label: str  # "checkout" or the candidate's label
    size: int
    forks: int
    wall: float
    cpu: float  # user + system seconds of the ansible-playbook tree
    peak_tree_pss: int
    peak_tree_rss: int
    max_process_rss: int
    peak_processes: int

    @property
    def backups_per_second(self) -> float:
        return self.size / self.wall


@contextlib.contextmanager
def fleet(work: Path, size: int):
    certs = make_certs(work / "tls", ["localhost"], ["127.0.0.1"])
    tls = ["--tls-cert", str(certs["server.pem"]), "--tls-key", str(certs["server.key"]), "--state", "registered"]
    emulators = [EmulatorProcess(work / f"env-{i:03d}", tls, cafile=certs["ca.pem"], start=False) for i in range(size)]
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda emu: emu.start(), emulators))
        yield emulators, certs["ca.pem"]
    finally:
        for emu in emulators:
            emu.stop()


def inventory(emulators: list, ca_path: Path, path: Path) -> Path:
    hosts = {f"env-{i:03d}": {"wa_api_url": emu.url} for i, emu in enumerate(emulators)}
    return environments_inventory(path, emulators[0].admin_password, ca_path, {"wa_environments": {"hosts": hosts}})


def run_fleet(
    work: Path, sizes: list[int], forks: list[int], candidate: Candidate | None = None, say=print
) -> list[FleetRun]:
    """Every size with every fork count (but forks beyond the size only once: they change nothing);
    then, with ``candidate``, its backup.yml at the largest size and fork count, right after the checkout's."""
    todo = []
    for size in sizes:
        effective = set()
        for fork_count in forks:
            if min(fork_count, size) not in effective:
                effective.add(min(fork_count, size))
                todo.append((size, fork_count, None))
    if candidate is not None:
        todo.append((max(sizes), max(forks), candidate))
    runs = []
    with fleet(work, max(sizes)) as (emulators, ca_path):
        for size, fork_count, copy in todo:
            hosts = inventory(emulators[:size], ca_path, work / f"inventory-{size}.yml")
            label = "checkout" if copy is None else copy.label
            name = f"{'checkout' if copy is None else 'candidate'}-{size}x-f{fork_count}"
            run = ansible_playbook(
                (ROOT if copy is None else copy.root) / "playbooks" / "backup.yml",
                hosts,
                work / f"backup-{name}.log",
                ["--forks", str(fork_count), "-e", f"wa_backup_root={work / ('backups-' + name)}"],
                collections=None if copy is None else copy.collections,
                sample_memory=True,
            )
            written = list((work / f"backups-{name}").glob("*/*.wabk"))
            if len(written) != size:
                raise AssertionError(f"backup.yml {name}: {len(written)} backups written, {size} expected")
            runs.append(
                FleetRun(
                    label,
                    size,
                    fork_count,
                    run.wall,
                    run.cpu,
                    run.peak_tree_pss,
                    run.peak_tree_rss,
                    run.max_process_rss,
                    run.peak_processes,
                )
            )
            say(
                f"  {label:9} {size:3d} environments, forks {fork_count:2d}: {run.wall:6.2f} s, "
                f"{size / run.wall:5.2f} backups/s, CPU {run.cpu:5.1f} s, "
                f"peak tree PSS {run.peak_tree_pss / 2**20:6.0f} MiB "
                f"(RSS sum {run.peak_tree_rss / 2**20:.0f} MiB, {run.peak_processes} processes)"
            )
    return runs
