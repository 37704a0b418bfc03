"""The benchmark's figures as Markdown tables, and their place in docs/benchmark.md.

Each section of the doc lives between ``<!-- bench:NAME:begin -->`` and
``<!-- bench:NAME:end -->``; a run replaces only the sections it measured, so the prose around
them (the analysis, written by hand) stays.
"""

from __future__ import annotations

import re
from pathlib import Path
from statistics import median

MiB = 2**20
TARGET_RATIO_FLOOR = 1.5
TARGET_RATIO_PLAIN = 3.0
TARGET_UNAVAILABLE_GAP = 1.0
TARGET_FLEET_SECONDS = 15.0
TARGET_MEMORY_FACTOR = 4.0


def _median_of(outcomes, name, attribute):
    values = [getattr(o, attribute) for o in outcomes if o.contender == name and getattr(o, attribute) is not None]
    return median(values) if values else None


def _profile_median(outcomes, name, attribute):
    values = [getattr(o.profile, attribute) for o in outcomes if o.contender == name and o.profile]
    return median(values) if values else None


def _fmt(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def migration_summary(outcomes) -> dict:
    names = list(dict.fromkeys(o.contender for o in outcomes))
    wall = {n: _median_of(outcomes, n, "wall") for n in names}
    unavailable = {n: _median_of(outcomes, n, "unavailable") for n in names}
    rounds = sorted({o.round for o in outcomes})

    def per_round(top, bottom):
        found = []
        for r in rounds:
            by = {o.contender: o.wall for o in outcomes if o.round == r}
            if top in by and bottom in by:
                found.append(by[top] / by[bottom])
        return found

    return {
        "names": names,
        "wall": wall,
        "unavailable": unavailable,
        "rounds": len(rounds),
        "migrate_vs_floor": wall["migrate.yml"] / wall["floor"],
        "plain_vs_migrate": wall["plain"] / wall["migrate.yml"],
        "migrate_vs_floor_rounds": per_round("migrate.yml", "floor"),
        "plain_vs_migrate_rounds": per_round("plain", "migrate.yml"),
        "unavailable_gap": unavailable["migrate.yml"] - unavailable["floor"],
    }


def migration_table(outcomes) -> str:
    s = migration_summary(outcomes)
    floor = s["wall"]["floor"]
    lines = [
        f"Medians of {s['rounds']} alternating round(s); every migration on a fresh pair of containers.",
        "",
        "| Contender | Wall time (s) | x floor | CPU (s) | Unavailable (s) | Ansible start-up (s) "
        "| Module tasks (n: s) | Controller-only tasks (n: s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in s["names"]:
        tasks = [
            (
                _profile_median(outcomes, name, f"{kind}_tasks"),
                _profile_median(outcomes, name, f"{kind}_seconds"),
            )
            for kind in ("module", "controller")
        ]
        cells = ["-" if n is None else f"{n:.0f}: {sec:.2f}" for n, sec in tasks]
        lines.append(
            f"| {name} | {s['wall'][name]:.2f} | {s['wall'][name] / floor:.1f}x "
            f"| {_median_of(outcomes, name, 'cpu'):.2f} | {_fmt(s['unavailable'][name])} "
            f"| {_fmt(_profile_median(outcomes, name, 'startup'))} | {cells[0]} | {cells[1]} |"
        )
    lines += [
        "",
        f"- migrate.yml / floor (2/1): **{s['migrate_vs_floor']:.2f}** "
        f"(per round {min(s['migrate_vs_floor_rounds']):.2f}-{max(s['migrate_vs_floor_rounds']):.2f})",
        f"- plain / migrate.yml (3/2): **{s['plain_vs_migrate']:.2f}** "
        f"(per round {min(s['plain_vs_migrate_rounds']):.2f}-{max(s['plain_vs_migrate_rounds']):.2f})",
        f"- unavailable, migrate.yml - floor: **{s['unavailable_gap']:+.2f} s**",
    ]
    return "\n".join(lines)


def task_table(outcomes, name="migrate.yml", top=10) -> str:
    per_task: dict[str, list[float]] = {}
    for o in outcomes:
        if o.contender == name and o.profile:
            for task, seconds in o.profile.tasks.items():
                per_task.setdefault(task.split(" : ")[-1], []).append(seconds)
    ranked = sorted(per_task.items(), key=lambda kv: -median(kv[1]))
    lines = [
        f"The {top} slowest of {name}'s {len(ranked)} tasks (median seconds; a module task includes its module's "
        "waits):",
        "",
        "| Task | Seconds |",
        "|---|---:|",
    ]
    lines += [f"| {task.replace('|', '/')} | {median(values):.2f} |" for task, values in ranked[:top]]
    return "\n".join(lines)


def fleet_table(runs) -> str:
    lines = [
        "| backup.yml | Environments | Forks | Wall time (s) | Backups/s | CPU (s) | CPU per backup (s) "
        "| Peak tree PSS (MiB) | Peak tree RSS sum (MiB) | Largest process (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.label} | {r.size} | {r.forks} | {r.wall:.2f} | {r.backups_per_second:.2f} | {r.cpu:.1f} "
            f"| {r.cpu / r.size:.2f} "
            f"| {r.peak_tree_pss / MiB:.0f} | {r.peak_tree_rss / MiB:.0f} | {r.max_process_rss / MiB:.0f} |"
        )
    return "\n".join(lines)


def large_table(found) -> str:
    lines = [
        "| Modules | Backup file (MiB) | wa_backup peak RSS (MiB) | x file | wa_restore peak RSS (MiB) | x file |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for m in found:
        size = m.size / MiB
        ratios = [f"{v / m.size:.2f}x" if m.size >= MiB else "-" for v in (m.backup_maxrss, m.restore_maxrss)]
        lines.append(
            f"| {m.label} | {size:.2f} | {m.backup_maxrss / MiB:.1f} | {ratios[0]} "
            f"| {m.restore_maxrss / MiB:.1f} | {ratios[1]} |"
        )
    return "\n".join(lines)


def migration_targets(outcomes) -> list[tuple[str, str, bool]]:
    s = migration_summary(outcomes)
    return [
        (
            f"migrate.yml <= {TARGET_RATIO_FLOOR}x the floor",
            f"{s['migrate_vs_floor']:.2f}x",
            s["migrate_vs_floor"] <= TARGET_RATIO_FLOOR,
        ),
        (
            f"migrate.yml >= {TARGET_RATIO_PLAIN}x faster than the plain playbook",
            f"{s['plain_vs_migrate']:.2f}x",
            s["plain_vs_migrate"] >= TARGET_RATIO_PLAIN,
        ),
        (
            f"unavailable within {TARGET_UNAVAILABLE_GAP:.0f} s of the floor's",
            f"{s['unavailable_gap']:+.2f} s",
            s["unavailable_gap"] <= TARGET_UNAVAILABLE_GAP,
        ),
    ]


def fleet_targets(runs) -> list[tuple[str, str, bool]]:
    return [
        (f"50 backups, forks 25, under {TARGET_FLEET_SECONDS:.0f} s", f"{r.wall:.1f} s", r.wall < TARGET_FLEET_SECONDS)
        for r in runs
        if r.size == 50 and r.forks == 25 and r.label == "checkout"
    ]


def large_targets(found) -> list[tuple[str, str, bool]]:
    m = max((x for x in found if x.label == "checkout"), key=lambda x: x.size)
    worst = max(m.backup_maxrss, m.restore_maxrss)
    return [
        (
            f"peak memory of a {m.size / MiB:.0f} MiB backup under {TARGET_MEMORY_FACTOR:.0f}x its size",
            f"{worst / m.size:.2f}x",
            worst < TARGET_MEMORY_FACTOR * m.size,
        )
    ]


def targets_lines(rows) -> str:
    return "\n".join(f"- Target: {what}: {value}, {_verdict(ok)}." for what, value, ok in rows)


def replace_section(doc: Path, name: str, body: str) -> None:
    """Put ``body`` between the section's markers (which must be there)."""
    text = doc.read_text()
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{doc} has no {begin} ... {end} markers")
    doc.write_text(pattern.sub(lambda _m: f"{begin}\n{body.strip()}\n{end}", text, count=1))
