# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the process tier: emulator processes on 127.0.0.1 and ansible-playbook runs against them.

- ``emulators``: starts ``python -m wa_emulator serve`` processes (``WAProcess``, an
  ``EmulatorProcess`` that also builds module tasks and proves that nothing changed), each with
  its data directory in the test's tmp_path; all of them are stopped after the test, however it ends.
- ``source``: registered, with its own number, application settings and about text (none of them
  the defaults, so a restore that brings them over shows); ``target``: unregistered.
- ``private_ca``: a CA and a server certificate for 127.0.0.1 and localhost, once per session;
  ``tls_source``, ``tls_target``: the same two over HTTPS with it (their tasks get ``ca_path``).
- ``play``: runs a list of tasks through ansible-playbook on localhost (playbook_runner), returns
  the PlaybookRun (``result(task_name)``, ``results``, ``stats``, ``output``).
- ``source_backup``: a backup of a source made by wa_backup once per session (read it, never change
  it); ``backup_file``: a copy of it, with its manifest, in the test's tmp_path, free to damage.

A task for an emulator, and the proof that a refused one changed nothing::

    before = target.snapshot()
    run = play([target.task("Restore", "wa_restore", backup_password=PASSWORD, src=str(backup_file))])
    assert run.result("Restore")["failed"]
    target.assert_unchanged(before)              # running, no restore accepted, same state
    assert target.api_requests_since(before) == []

``task(name, module, keywords=None, **args)`` fills in the connection options (``api_url``,
``password``, ``ca_path``); ``args`` override them, ``None`` leaves one out. ``emulators.start(name,
*args, tls=CertSet | "self-signed")`` starts any other kind of client.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from playbook_runner import PlaybookRun, localhost_inventory, run_playbook, write_playbook
from source_settings import SOURCE_ABOUT, SOURCE_APPLICATION, SOURCE_CC, SOURCE_PHONE

from wa_emulator.certs import make_certs
from wa_emulator.launcher import EmulatorProcess

COLLECTION = "wabiz.migration"
RESTORE = ("POST", "/v1/settings/restore")

SESSION_BACKUP_PASSWORD = "Sess10n-Backup-Pa55!"


@dataclass(frozen=True)
class CertSet:
    """A private CA (``ca``) and a server certificate it signed (``cert``, ``key``)."""

    ca: Path
    cert: Path
    key: Path


@dataclass(frozen=True)
class Snapshot:
    """An emulator's state and how long its request log was, at one moment."""

    state: dict
    log_length: int


class WAProcess(EmulatorProcess):
    """An emulator process that knows how modules reach it and what a test must prove about it."""

    @property
    def ca_path(self) -> str | None:
        """The CA file a module needs to trust this emulator (None over plain HTTP)."""
        if self.cafile:
            return str(self.cafile)
        if "--tls-self-signed" in self.args:
            return str(self.data_dir / "tls" / "self-signed.pem")
        return None

    def module_options(self, **overrides) -> dict:
        """The connection options of a module task against this emulator, as admin."""
        options = {"api_url": self.url, "password": self.admin_password}
        if self.ca_path:
            options["ca_path"] = self.ca_path
        options.update(overrides)
        return {key: value for key, value in options.items() if value is not None}

    def task(self, name: str, module: str, keywords: dict | None = None, **args) -> dict:
        """A task running ``wabiz.migration.<module>`` against this emulator; ``args`` override the connection.

        ``keywords`` are task keywords (register, no_log, ignore_errors, check_mode, environment...);
        an argument given as None is left out (e.g. ``password=None`` to use a token only).
        """
        return {"name": name, f"{COLLECTION}.{module}": self.module_options(**args), **(keywords or {})}

    def add_user(self, username: str, password: str) -> None:
        """A non-admin API user."""
        status, body = self.api(
            "POST", "/v1/users", {"username": username, "password": password}, token=self.admin_token()
        )
        assert status == 201, body

    def snapshot(self) -> Snapshot:
        state = self.state()  # first, so that the test's own login is not counted afterwards
        return Snapshot(state, len(self.request_log()))

    def api_requests_since(self, snapshot: Snapshot) -> list[dict]:
        """The requests of the API (not of the emulator's test endpoints) logged after ``snapshot``."""
        return [r for r in self.request_log()[snapshot.log_length :] if not r["path"].startswith("/v1/_emulator/")]

    def restore_requests(self, since: Snapshot | None = None) -> list[dict]:
        log = self.request_log()[since.log_length if since else 0 :]
        return [r for r in log if (r["method"], r["path"]) == RESTORE]

    def assert_unchanged(self, snapshot: Snapshot) -> None:
        """Still running, no restore accepted since ``snapshot``, and the same state."""
        assert self.running(), f"the emulator exited ({self.returncode}):\n{self.output()[-2000:]}"
        accepted = [r for r in self.restore_requests(snapshot) if r["status"] is None or r["status"] < 300]
        assert accepted == [], f"a restore was accepted: {accepted}"
        assert self.state() == snapshot.state


class Emulators:
    """Starts emulator processes with their data under ``directory``; ``stop_all`` ends every one."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.started: list[WAProcess] = []

    def start(self, name: str, *args: str, tls: CertSet | str | None = None, **kwargs) -> WAProcess:
        """One process; ``tls`` is a CertSet (private CA) or ``"self-signed"``; kwargs go to EmulatorProcess."""
        if any(emulator.data_dir.name == name for emulator in self.started):
            raise ValueError(f"an emulator named {name!r} was already started in this test: give another name")
        args = list(args)
        if isinstance(tls, CertSet):
            args += ["--tls-cert", str(tls.cert), "--tls-key", str(tls.key)]
            kwargs.setdefault("cafile", tls.ca)
        elif tls == "self-signed":
            args.append("--tls-self-signed")
        elif tls is not None:
            raise ValueError(f"tls must be a CertSet or 'self-signed', not {tls!r}")
        emulator = WAProcess(self.directory / name, args, start=False, **kwargs)
        self.started.append(emulator)
        return emulator.start()

    def source(self, *args: str, name: str = "source", **kwargs) -> WAProcess:
        """A registered client with SOURCE_PHONE, SOURCE_APPLICATION and SOURCE_ABOUT."""
        emulator = self.start(
            name, "--state", "registered", "--cc", SOURCE_CC, "--phone", SOURCE_PHONE, *args, **kwargs
        )
        token = emulator.admin_token()
        for path, body in (("application", SOURCE_APPLICATION), ("profile/about", {"text": SOURCE_ABOUT})):
            status, answer = emulator.api("PATCH", f"/v1/settings/{path}", body, token=token)
            assert status == 200, answer
        return emulator

    def target(self, *args: str, name: str = "target", **kwargs) -> WAProcess:
        """An unregistered client, ready for a restore."""
        return self.start(name, "--state", "unregistered", *args, **kwargs)

    def stop_all(self) -> None:
        for emulator in self.started:
            emulator.stop()


class Playbooks:
    """Runs task lists through ansible-playbook on localhost; the playbooks stay in ``directory``."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.inventory = localhost_inventory(directory / "inventory.yml")
        self._numbers = itertools.count(1)

    def __call__(self, tasks: list[dict], **kwargs) -> PlaybookRun:
        """kwargs go to run_playbook: check, verbosity, json_output, env, args."""
        playbook = write_playbook(self.directory / f"play-{next(self._numbers)}.yml", tasks)
        return run_playbook(playbook, inventory=self.inventory, **kwargs)


@pytest.fixture
def emulators(tmp_path):
    started = Emulators(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def source(emulators):
    return emulators.source()


@pytest.fixture
def target(emulators):
    return emulators.target()


@pytest.fixture(scope="session")
def private_ca(tmp_path_factory) -> CertSet:
    paths = make_certs(tmp_path_factory.mktemp("private-ca"), ["localhost"], ["127.0.0.1"])
    return CertSet(ca=paths["ca.pem"], cert=paths["server.pem"], key=paths["server.key"])


@pytest.fixture
def tls_source(emulators, private_ca):
    return emulators.source(name="tls-source", tls=private_ca)


@pytest.fixture
def tls_target(emulators, private_ca):
    return emulators.target(name="tls-target", tls=private_ca)


@pytest.fixture
def play(tmp_path):
    return Playbooks(tmp_path / "ansible")


@dataclass(frozen=True)
class SourceBackup:
    """A backup file and its manifest, and what the source held when it was taken."""

    file: Path
    password: str
    source_state: dict

    @property
    def manifest(self) -> Path:
        return Path(f"{self.file}.manifest.json")


@pytest.fixture(scope="session")
def source_backup(tmp_path_factory) -> SourceBackup:
    work = tmp_path_factory.mktemp("source-backup")
    started = Emulators(work)
    try:
        source = started.source()
        dest = work / "source.backup"
        run = Playbooks(work / "ansible")(
            [source.task("Back up the source", "wa_backup", backup_password=SESSION_BACKUP_PASSWORD, dest=str(dest))]
        )
        assert run.rc == 0, run.output
        return SourceBackup(file=dest, password=SESSION_BACKUP_PASSWORD, source_state=source.state())
    finally:
        started.stop_all()


@pytest.fixture
def backup_file(tmp_path, source_backup) -> Path:
    """A copy of the session's source backup (and its manifest) in this test's tmp_path."""
    copy = tmp_path / "backups" / source_backup.file.name
    copy.parent.mkdir(mode=0o700, exist_ok=True)
    shutil.copy2(source_backup.file, copy)
    shutil.copy2(source_backup.manifest, f"{copy}.manifest.json")
    return copy
