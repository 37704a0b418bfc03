"""Peak memory of a process tree, sampled from /proc while it runs.

Summing RSS over an Ansible run counts the pages its forks share with the controller once per
fork, so the sampler records both the sum of RSS (an upper bound) and the sum of PSS (each
shared page divided among the processes that map it: the memory the tree really holds). Linux
only; sampling every 0.2 s costs a few ms of CPU a sample.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
PROC = Path("/proc")


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (through /proc/PID/task/TID/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in (PROC / str(current) / "task").iterdir():
                with contextlib.suppress(OSError):
                    todo.extend(int(child) for child in (task / "children").read_text().split())
    return found


def rss_and_pss(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; (0, 0) when it is gone."""
    try:
        text = (PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return 0, 0
    fields = {}
    for line in text.splitlines()[1:]:
        name, _colon, rest = line.partition(":")
        value = rest.split()
        if value and value[0].isdigit():
            fields[name] = int(value[0]) * 1024
    return fields.get("Rss", 0), fields.get("Pss", 0)


class TreeMemorySampler(threading.Thread):
    """Samples the tree of ``pid`` until stopped; ``peak_rss`` and ``peak_pss`` are sums, in bytes."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_processes = 0
        self._halt = threading.Event()

    def sample(self) -> None:
        pids = tree(self.pid)
        sizes = [rss_and_pss(pid) for pid in pids]
        self.peak_rss = max(self.peak_rss, sum(s[0] for s in sizes))
        self.peak_pss = max(self.peak_pss, sum(s[1] for s in sizes))
        self.peak_processes = max(self.peak_processes, len(pids))

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
