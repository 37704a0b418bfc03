"""The benchmark (scripts/bench.sh): migration time against its floor and a hand-written
playbook, fleet backups, and the memory of a 64 MiB backup; the tables go into
docs/benchmark.md. Not part of the test suite.

    scripts/bench.sh [--rounds N] [--only migration,fleet,large] [--fleet-sizes 1,10,50]
                     [--forks 1,25] [--candidate COLLECTIONS_DIR [--candidate-label NAME]]
                     [--start-delay S] [--no-doc] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import results_doc as doc
from fleet import run_fleet
from large_backup import run_large
from migration import run_rounds
from playbook_runner import ROOT
from runner import Candidate

DOC = ROOT / "docs" / "benchmark.md"
SECTIONS = ("migration", "fleet", "large")


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench.sh", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating migration rounds (default 3)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections to run (default: all)")
    parser.add_argument("--fleet-sizes", type=_numbers, default=[1, 10, 50], help="fleet sizes (default 1,10,50)")
    parser.add_argument("--forks", type=_numbers, default=[1, 25], help="fork counts for each size (default 1,25)")
    parser.add_argument(
        "--candidate",
        type=Path,
        help="a collections directory holding another copy of wabiz.migration (ansible_collections/wabiz/"
        "migration) with a proposed change: its migrate.yml runs in the same rounds, its backup.yml after the "
        "checkout's at the largest size, its modules on the 64 MiB backup",
    )
    parser.add_argument(
        "--candidate-label",
        default="candidate",
        help="the candidate's name in the tables, for example the release it holds (default: candidate)",
    )
    parser.add_argument(
        "--start-delay",
        type=float,
        default=0,
        help="migration: seconds each target answers 503 'not ready' after every start (a slow client; default 0)",
    )
    parser.add_argument("--no-doc", action="store_true", help=f"do not write the tables into {DOC.relative_to(ROOT)}")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, inventories)")
    args = parser.parse_args(argv)
    args.only = [s for s in args.only.split(",") if s]
    args.candidate = Candidate(args.candidate_label, args.candidate.resolve()) if args.candidate else None
    unknown = set(args.only) - set(SECTIONS)
    if unknown or args.rounds < 1:
        parser.error(f"--only takes {', '.join(SECTIONS)}; --rounds at least 1")
    return args


def machine() -> str:
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True, check=False
    ).stdout.strip()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{stamp}, {os.cpu_count()} CPUs, load average {load}, checkout {commit or 'unknown'}"


def main(argv=None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="wa-bench-"))  # 0700: inventories there hold passwords
    started = time.monotonic()
    sections: dict[str, str] = {}
    verdicts = []
    try:
        if "migration" in args.only:
            delay = f", targets start in {args.start_delay:g} s" if args.start_delay else ""
            print(f"== Migration: {args.rounds} alternating round(s){delay} ({machine()})")
            outcomes = run_rounds(work / "migration", args.rounds, args.candidate, args.start_delay)
            verdicts += doc.migration_targets(outcomes)
            body = "\n\n".join(
                [
                    f"Run: {machine()}{delay}.",
                    doc.migration_table(outcomes),
                    doc.targets_lines(doc.migration_targets(outcomes)),
                    doc.task_table(outcomes),
                ]
            )
            # A run with slow-starting targets has its own tables: both are worth keeping.
            sections["migration-slow-start" if args.start_delay else "migration"] = body
            print(body)
        if "fleet" in args.only:
            print(f"\n== Fleet: playbooks/backup.yml over {args.fleet_sizes} environments, forks {args.forks}")
            runs = run_fleet(work / "fleet", args.fleet_sizes, args.forks, args.candidate)
            verdicts += doc.fleet_targets(runs)
            sections["fleet"] = "\n\n".join(
                [f"Run: {machine()}.", doc.fleet_table(runs), doc.targets_lines(doc.fleet_targets(runs))]
            )
            print(doc.fleet_table(runs))
        if "large" in args.only:
            print("\n== Large data: wa_backup and wa_restore of a 64 MiB backup")
            found = run_large(work / "large", args.candidate)
            verdicts += doc.large_targets(found)
            sections["large"] = "\n\n".join(
                [f"Run: {machine()}.", doc.large_table(found), doc.targets_lines(doc.large_targets(found))]
            )
            print(doc.large_table(found))
    finally:
        if args.keep:
            print(f"\nWork directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n== Targets ({time.monotonic() - started:.0f} s in all)")
    print(doc.targets_lines(verdicts))
    if not args.no_doc:
        for name, body in sections.items():
            doc.replace_section(DOC, name, body)
        print(f"Tables written into {DOC.relative_to(ROOT)}: {', '.join(sections)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
