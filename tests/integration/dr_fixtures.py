# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the disaster-recovery tests (test_dr_*.py): inventories, planted backups, Docker views.

- ``process_inventory``: an inventory whose environments are emulator processes (conftest's
  ``emulators``), for backup.yml and restore.yml runs without Docker.
- ``plant_backup``: a backup file with its manifest, dated ``age_days`` ago, written the way
  wa_backup writes them; ``damage``: change a backup's bytes behind its manifest's back.
- ``drill_resources``: every container, network and volume carrying a label, the way a drill's
  clean-up is proven; ``remove_labelled``: the tests' own safety net for them.
- ``IsolationWatch``: watches, from outside the playbook, the containers a drill starts, and
  records what networks and published ports each one had while it existed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from playbook_runner import ROOT

try:
    import ansible_collections.wabiz.migration  # noqa: F401 pylint: disable=unused-import
except ImportError:  # run from the checkout: the collection is linked by scripts/setup-venv.sh
    sys.path.insert(0, str(ROOT / ".collections"))

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import write_backup
from ansible_collections.wabiz.migration.plugins.module_utils.wa_retention import DAY, iso_utc

TEST_LABEL = "wabiz.migration/test"


def process_inventory(path: Path, environments: dict, groups: dict | None = None, **all_vars) -> Path:
    """An inventory of emulator-process environments.

    ``environments`` maps a host to its WAProcess (connection variables are derived) or to a dict of
    variables (an environment that needs no process); ``groups`` maps a group to its hosts' extra
    variables; ``all_vars`` go to every host (wa_backup_password, wa_backup_root, ...).
    """
    hosts = {}
    for name, emulator in environments.items():
        if isinstance(emulator, dict):
            hosts[name] = emulator
            continue
        hosts[name] = {"wa_api_url": emulator.url, "wa_api_password": emulator.admin_password}
        if emulator.ca_path:
            hosts[name]["wa_api_ca_path"] = emulator.ca_path
    children = {"wa_environments": {"hosts": hosts}}
    children.update({group: {"hosts": members} for group, members in (groups or {}).items()})
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
            | all_vars,
            "children": children,
        }
    }
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


def plant_backup(directory: Path, name: str, age_days: float, data: str | None = None) -> Path:
    """A good backup (file and manifest, 0600) made ``age_days`` ago, by its manifest and its mtime."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / name
    made = time.time() - age_days * DAY
    write_backup(str(path), data or f"planted-{name}", manifest_fields={"created_at": iso_utc(made), "shards": 1})
    os.utime(path, (made, made))
    return path


def damage(path: Path) -> None:
    """Silent corruption: other bytes, same size and mtime; only the checksum can tell."""
    info = path.stat()
    path.write_bytes(b"x" * info.st_size)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def backup_names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("*.wabk"))


def mode(path: Path) -> str:
    return oct(os.stat(path).st_mode & 0o777)


def drill_resources(client, label: str) -> dict[str, list[str]]:
    """Names of every container (running or not), network and volume labelled ``label`` (key=value)."""
    filters = {"label": label}
    return {
        "containers": sorted(c.name for c in client.containers.list(all=True, filters=filters)),
        "networks": sorted(n.name for n in client.networks.list(filters=filters)),
        "volumes": sorted(v.name for v in client.volumes.list(filters=filters)),
    }


def remove_labelled(client, label: str) -> None:
    """Remove what a failed test may have left (containers first: networks and volumes are in use)."""
    for container in client.containers.list(all=True, filters={"label": label}):
        with contextlib.suppress(Exception):
            container.remove(force=True, v=True)
    for network in client.networks.list(filters={"label": label}):
        with contextlib.suppress(Exception):
            network.remove()
    for volume in client.volumes.list(filters={"label": label}):
        with contextlib.suppress(Exception):
            volume.remove(force=True)


@dataclass
class Sighting:
    """A drill container as the Docker engine described it, once."""

    name: str
    networks: list[str]
    internal: dict[str, bool]
    port_bindings: dict
    publish_all: bool
    running: bool


@dataclass
class IsolationWatch:
    """Polls the engine (bounded: every ``interval`` s until stopped) for containers labelled ``label``."""

    client: object
    label: str
    interval: float = 0.5
    sightings: list[Sighting] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> IsolationWatch:
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(Exception):  # a container may vanish between list and inspect
                for container in self.client.containers.list(all=True, filters={"label": self.label}):
                    self.sightings.append(self._sight(container.attrs))

    def _sight(self, attrs: dict) -> Sighting:
        networks = sorted(attrs["NetworkSettings"]["Networks"])
        internal = {name: self.client.api.inspect_network(name)["Internal"] for name in networks}
        return Sighting(
            name=attrs["Name"].lstrip("/"),
            networks=networks,
            internal=internal,
            port_bindings=attrs["HostConfig"].get("PortBindings") or {},
            publish_all=bool(attrs["HostConfig"].get("PublishAllPorts")),
            running=bool(attrs["State"]["Running"]),
        )

    def of(self, suffix: str) -> list[Sighting]:
        return [s for s in self.sightings if s.name.endswith(suffix)]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())
