# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A move to the Cloud API as real processes: an on-prem emulator (the source) and a Graph
emulator linked to it, so that a register call shuts the source down as the vendor's does.

    pytest_plugins = ["cloud_fixtures"]

    def test_x(cloud, play):
        move = cloud()                          # source registered with 2 shards, Graph with PIN set
        run = play([move.backup_task(), move.task("Register", "wa_cloud_register", **move.register_args())])
        move.source.wait_exit(10)               # the vendor's shutdown of the on-prem client
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from wa_emulator.graph.launcher import GraphProcess

COLLECTION = "wabiz.migration"
ACCESS_TOKEN = "EAAGm0ck-Cl0ud-T0ken-5e1f0a9b"
READ_ONLY_TOKEN = "EAAGr3ad-0nly-T0ken-77aa01"
PIN = "739146"
WRONG_PIN = "111222"
BACKUP_PASSWORD = "Cl0ud-Backup-Pa55!"
VERIFY_TOKEN = "v3rify-T0ken-c4llback-91"
PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
SECRETS = (ACCESS_TOKEN, PIN, BACKUP_PASSWORD, VERIFY_TOKEN)


@dataclass
class CloudMove:
    """A source (on-prem emulator), the Graph emulator that knows it, and where the backup goes."""

    source: object
    graph: GraphProcess
    backup: Path

    @property
    def callback_url(self) -> str:
        return f"{self.graph.url}/_emulator/webhook"

    def graph_options(self, **overrides) -> dict:
        options = {
            "graph_url": self.graph.url,
            "graph_api_version": "v23.0",
            "access_token": ACCESS_TOKEN,
            "ca_path": self.graph.ca_path,
        }
        options.update(overrides)
        return {k: v for k, v in options.items() if v is not None}

    def task(self, name: str, module: str, keywords: dict | None = None, **args) -> dict:
        """A wa_cloud_* task against the Graph emulator; ``args`` override the Graph options."""
        options = self.graph_options(**{k: v for k, v in args.items() if k in ("access_token", "graph_url")})
        options.update({k: v for k, v in args.items() if k not in ("access_token", "graph_url")})
        return {"name": name, f"{COLLECTION}.{module}": options, **(keywords or {})}

    def backup_task(self) -> dict:
        return self.source.task(
            "Back up the source", "wa_backup", backup_password=BACKUP_PASSWORD, dest=str(self.backup)
        )

    def register_args(self, **overrides) -> dict:
        args = {
            "phone_number_id": PHONE_NUMBER_ID,
            "pin": PIN,
            "backup_password": BACKUP_PASSWORD,
            "src": str(self.backup),
        }
        args.update(overrides)
        return args

    def number(self) -> dict:
        return self.graph.graph_state()["numbers"][PHONE_NUMBER_ID]

    def shutdowns(self) -> list[dict]:
        return self.graph.graph_state()["onprem"]["shutdowns"]


@pytest.fixture
def cloud(emulators, tmp_path):
    """Builds a CloudMove: ``cloud(*graph_args, shards=2)``; every process stops after the test."""
    graphs: list[GraphProcess] = []

    def build(*graph_args: str, shards: int = 2, two_step_pin: str | None = PIN) -> CloudMove:
        source = emulators.source("--shards", str(shards), name=f"source-{len(graphs)}")
        args = [
            "--tls-self-signed",
            "--access-token",
            ACCESS_TOKEN,
            "--read-only-token",
            READ_ONLY_TOKEN,
            "--phone-number-id",
            PHONE_NUMBER_ID,
            "--waba-id",
            WABA_ID,
            "--display-phone-number",
            source.state_file()["cc"] + source.state_file()["phone_number"],
            "--onprem-url",
            source.url,
            "--onprem-password",
            source.admin_password,
            "--callback-verify-token",
            VERIFY_TOKEN,
            *(["--two-step-pin", two_step_pin] if two_step_pin else []),
            *graph_args,
        ]
        graph = GraphProcess(tmp_path / f"graph-{len(graphs)}", args)
        graphs.append(graph)
        backups = tmp_path / "backups"
        backups.mkdir(mode=0o700, exist_ok=True)
        return CloudMove(source=source, graph=graph, backup=backups / f"source-{len(graphs)}.backup")

    try:
        yield build
    finally:
        for graph in graphs:
            graph.stop()
