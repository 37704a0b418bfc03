"""A 64 MiB backup through wa_backup and wa_restore: the peak memory of each module's process.

The source emulator pads its backups (``--backup-padding-bytes``) so that the file is 64 MiB;
a playbook backs it up with wa_backup and restores the file into an unregistered target with
wa_restore, run by ansible-playbook as users run them, with the interpreter wrapped by
maxrss_python.py, which records the largest RSS of each module process (getrusage of its
children, so the module's own process, not Ansible's controller). The same is done with an
unpadded backup first: the difference is what the data costs.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from migration import BACKUP_PASSWORD, write_private
from runner import Candidate, ansible_playbook

from wa_emulator.certs import make_certs
from wa_emulator.launcher import EmulatorProcess

HERE = Path(__file__).resolve().parent
TARGET_SIZE = 64 * 2**20
# base64 makes 4 characters of 3 bytes; a little is left for the document and the envelope.
PADDING = TARGET_SIZE * 3 // 4 - 4096


@dataclass
class ModuleMemory:
    label: str  # "checkout" or the candidate's label
    padding: int
    size: int  # bytes of the backup file
    backup_maxrss: int
    restore_maxrss: int


def measure_once(work: Path, padding: int, certs: dict, copy: Candidate | None = None) -> ModuleMemory:
    work.mkdir(parents=True)
    tls = ["--tls-cert", str(certs["server.pem"]), "--tls-key", str(certs["server.key"])]
    source_args = [*tls, "--state", "registered", "--backup-padding-bytes", str(padding)]
    log = work / "maxrss.jsonl"
    dest = work / "large.wabk"
    with (
        EmulatorProcess(work / "source", source_args, cafile=certs["ca.pem"]) as source,
        EmulatorProcess(work / "target", [*tls, "--state", "unregistered"], cafile=certs["ca.pem"]) as target,
    ):
        connection = {"password": source.admin_password, "ca_path": str(certs["ca.pem"]), "timeout": 300}
        play = [
            {
                "name": "A large backup, there and back",
                "hosts": "localhost",
                "gather_facts": False,
                "tasks": [
                    {
                        "name": "Back up",
                        "wabiz.migration.wa_backup": {
                            **connection,
                            "api_url": source.url,
                            "backup_password": BACKUP_PASSWORD,
                            "dest": str(dest),
                        },
                    },
                    {
                        "name": "Restore",
                        "wabiz.migration.wa_restore": {
                            **connection,
                            "api_url": target.url,
                            "backup_password": BACKUP_PASSWORD,
                            "src": str(dest),
                        },
                    },
                ],
            }
        ]
        playbook = write_private(work / "large.yml", play)
        interpreter = work / "python-maxrss"
        interpreter.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "maxrss_python.py"}" "$@"\n')
        interpreter.chmod(0o700)
        hosts = write_private(
            work / "localhost.yml",
            {
                "all": {
                    "hosts": {
                        "localhost": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": str(interpreter),
                        }
                    }
                }
            },
        )
        ansible_playbook(
            playbook,
            hosts,
            work / "large.log",
            collections=None if copy is None else copy.collections,
            extra_env={"BENCH_MAXRSS_LOG": str(log)},
            timeout=900,
        )
    records = {json.loads(line)["module"]: json.loads(line)["maxrss"] for line in log.read_text().splitlines()}
    size = dest.stat().st_size
    os.unlink(dest)  # 64 MiB of test data need not stay
    label = "checkout" if copy is None else copy.label
    return ModuleMemory(label, padding, size, records["AnsiballZ_wa_backup.py"], records["AnsiballZ_wa_restore.py"])


def run_large(work: Path, candidate: Candidate | None = None, say=print) -> list[ModuleMemory]:
    """The checkout's modules with an unpadded and a 64 MiB backup, then the candidate's with 64 MiB."""
    certs = make_certs(work / "tls", ["localhost"], ["127.0.0.1"])
    todo = [(0, None), (PADDING, None)] + ([(PADDING, candidate)] if candidate is not None else [])
    found = []
    for padding, copy in todo:
        memory = measure_once(work / f"{len(found)}-padding-{padding}", padding, certs, copy)
        found.append(memory)
        say(
            f"  {memory.label}, backup of {memory.size / 2**20:6.2f} MiB: wa_backup peak "
            f"{memory.backup_maxrss / 2**20:6.1f} MiB, wa_restore peak {memory.restore_maxrss / 2**20:6.1f} MiB"
        )
    return found
