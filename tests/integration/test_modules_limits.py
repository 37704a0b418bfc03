# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Limits, through ansible-playbook against real processes: deadlines, answer sizes, URLs, options, a full disk.

- A server that drips its answer (one byte every 0.5 s) is cut at the deadline: of the call
  (``timeout``) and of a wait (``wait_timeout``); the module process's wall time is measured.
- A 400 MB answer to ``GET /v1/health`` is refused at the limit, the module's peak memory measured.
- An api_url with user information is refused before any request reaches the emulator, and the
  password in it is nowhere in the output, even at -vvv.
- Every bad option fails before anything is sent (the emulator's request log proves it).
- A full disk (a real tmpfs) fails a backup without leaving any file, and never costs the earlier one.
"""

from __future__ import annotations

import errno
import json
import os
import socket

import pytest
from limits_fixtures import MisbehavingServer, Probe, TinyDisks, backup_is_whole, drip, huge

BACKUP_PASSWORD = "L1mits-Backup-Pa55!"
SECRET_IN_URL = "Url-S3cret-Pa55"
PADDING = 3 * 2**20  # the source's backups are about 4 MiB


@pytest.fixture
def drip_server():
    server = MisbehavingServer(drip)
    yield server
    server.close()


@pytest.fixture
def huge_server():
    server = MisbehavingServer(huge)
    yield server
    server.close()


@pytest.fixture
def probed(tmp_path):
    return Probe(tmp_path / "probed")


@pytest.fixture
def tiny_disk(tmp_path):
    disks = TinyDisks(tmp_path)
    yield disks
    disks.unmount_all()


def health_task(server, **args):
    """wa_info against a misbehaving server, with a token (no login) and no retry."""
    options = {"api_url": server.url, "token": "not-checked-by-this-server", "retries": 0, **args}
    return {"name": "Read health", "wabiz.migration.wa_info": options, "ignore_errors": True}


# -- deadlines -------------------------------------------------------------------------------------


def test_a_dripping_answer_is_cut_at_the_call_deadline(drip_server, probed):
    run, (module,) = probed([health_task(drip_server, timeout=2)])

    result = run.result("Read health")
    assert result["failed"]
    assert result["msg"].startswith(f"GET /v1/health to {drip_server.url} did not complete within 2s")
    assert result["error"]["kind"] == "timeout"
    # The module's whole process (interpreter start and imports included, up to 2-3 s on a loaded machine):
    # the deadline and that, where the per-read timeout let the 50 s answer run to its end.
    print(f"call: module process {module['elapsed']:.2f} s")
    assert 2 <= module["elapsed"] < 7, module
    assert drip_server.requests == ["GET /v1/health HTTP/1.1"]


def test_a_wait_on_a_dripping_server_ends_at_its_wait_timeout(drip_server, probed):
    run, (module,) = probed([health_task(drip_server, timeout=2, wait_for="ready", wait_timeout=5)])

    result = run.result("Read health")
    assert result["failed"]
    assert result["msg"].startswith(f"Timed out after 5s waiting for the client at {drip_server.url} to be ready.")
    assert "did not complete within" in result["msg"]  # the last error
    assert 5 <= result["waited"] < 6, result["waited"]  # the calls made while waiting end by then too
    print(f"wait: waited {result['waited']} s, module process {module['elapsed']:.2f} s")
    assert 5 <= module["elapsed"] < 10, module


# -- the answer's size -----------------------------------------------------------------------------


def test_a_huge_health_answer_is_refused_at_the_limit_with_bounded_memory(huge_server, drip_server, probed):
    # The same module on an answer it never finishes reading: the memory of a module that reads no body.
    _run, (baseline,) = probed([health_task(drip_server, timeout=1)])
    run, (module,) = probed([health_task(huge_server, timeout=30)])

    result = run.result("Read health")
    assert result["failed"]
    assert result["error"]["kind"] == "too_large"
    assert result["msg"] == (
        f"GET /v1/health: the answer from {huge_server.url} is larger than 8388608 bytes, the most read of an "
        "answer that is not a backup: it is not the API's answer, and was not read further. A proxy or another "
        "service may answer at api_url: check it."
    )
    grown = module["maxrss"] - baseline["maxrss"]
    assert grown < 40 * 2**20, (module, baseline)  # the 8 MiB limit and its copy, never the 400 MB
    assert module["elapsed"] < 10, module
    print(f"huge answer: maxrss {module['maxrss'] / 2**20:.1f} MiB, baseline {baseline['maxrss'] / 2**20:.1f} MiB")


# -- user information in api_url -------------------------------------------------------------------


def test_an_api_url_with_user_information_is_refused_before_any_request(target, play, tmp_path):
    """As people see it, at -vvv with the default callback; the URLs come from a variables file, like a vault's."""
    variables = tmp_path / "urls.yml"
    with_scheme = target.url.replace("://", f"://admin:{SECRET_IN_URL}@")
    without_scheme = target.url.replace("http://", f"admin:{SECRET_IN_URL}@")
    variables.write_text(json.dumps({"url_with_scheme": with_scheme, "url_without_scheme": without_scheme}))
    before = target.snapshot()

    run = play(
        [
            target.task(name, "wa_info", keywords={"ignore_errors": True}, api_url="{{ " + variable + " }}")
            for name, variable in (("With a scheme", "url_with_scheme"), ("Without one", "url_without_scheme"))
        ],
        verbosity=3,
        json_output=False,
        args=["--extra-vars", f"@{variables}"],
    )

    assert run.rc == 0, run.output
    assert "ESTABLISH LOCAL CONNECTION FOR USER" in run.output  # -vvv took effect
    assert run.output.count("api_url holds user information (a name or password before '@')") == 2
    assert target.api_requests_since(before) == []
    assert SECRET_IN_URL not in run.output  # not in the message, nor in the echo of the arguments at -vvv


# -- every option checked before anything is sent --------------------------------------------------


def test_bad_options_fail_before_anything_is_sent(source, play, tmp_path, source_backup):
    fifo = tmp_path / "backup.fifo"
    os.mkfifo(fifo)
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(tmp_path / "backup.sock"))
    existing = tmp_path / "old.wabk"
    existing.write_text("an earlier backup")
    os.mkdir(tmp_path / "old.wabk.manifest.json")
    backup = {"backup_password": BACKUP_PASSWORD}
    restore = {"backup_password": source_backup.password, "checksum": "0" * 64}
    cases = {
        "[timeout nan]": ("wa_info", {"timeout": "nan"}, "timeout must be a finite number (got nan)"),
        "[timeout inf]": ("wa_info", {"timeout": "inf"}, "timeout must be a finite number (got inf)"),
        "[wait_interval tiny]": (
            "wa_info",
            {"wait_for": "ready", "wait_interval": 1e-6},
            "wait_interval must be at least 0.05 s: polling faster only loads the client (got 1e-06)",
        ),
        "[wait_timeout nan]": (
            "wa_info",
            {"wait_for": "ready", "wait_timeout": "nan"},
            "wait_timeout must be a finite",
        ),
        "[username not Latin-1]": ("wa_info", {"username": "admin€"}, "username has characters outside Latin-1"),
        "[password not Latin-1]": ("wa_info", {"password": "пароль-€"}, "password has characters outside Latin-1"),
        "[dest with NUL]": ("wa_backup", {**backup, "dest": f"{tmp_path}/a\x00b.wabk"}, "dest holds a NUL character"),
        "[dest too long]": (
            "wa_backup",
            {**backup, "dest": str(tmp_path / ("n" * 300))},
            "dest has a name of 300 bytes",
        ),
        "[dest name too long for its manifest]": (
            "wa_backup",
            {**backup, "dest": str(tmp_path / ("n" * 240))},
            "use a name of at most 227 bytes",
        ),
        "[dest a device with force]": (
            "wa_backup",
            {**backup, "dest": "/dev/null", "force": True},
            "dest /dev/null is a character device",
        ),
        "[dest a FIFO with force]": ("wa_backup", {**backup, "dest": str(fifo), "force": True}, "is a FIFO"),
        "[dest a directory]": ("wa_backup", {**backup, "dest": str(tmp_path), "force": True}, "is a directory"),
        "[manifest path a directory with force]": (
            "wa_backup",
            {**backup, "dest": str(existing), "force": True},
            "The manifest path of dest,",
        ),
        "[src /dev/zero]": ("wa_restore", {**restore, "src": "/dev/zero"}, "src /dev/zero is a character device"),
        "[src a FIFO]": ("wa_restore", {**restore, "src": str(fifo)}, "is a FIFO (named pipe), not a regular file"),
        "[src a socket]": ("wa_restore", {**restore, "src": str(tmp_path / "backup.sock")}, "is a socket"),
        "[src a directory]": ("wa_restore", {**restore, "src": str(tmp_path)}, "is a directory, not a regular file"),
    }
    before = source.snapshot()
    try:
        run = play(
            [
                source.task(name, module, keywords={"ignore_errors": True}, **args)
                for name, (module, args, _message) in cases.items()
            ],
            timeout=300,
        )
    finally:
        unix.close()

    for name, (_module, _args, message) in cases.items():
        result = run.result(name)
        assert result.get("failed"), (name, result)
        assert message in result["msg"], (name, result["msg"])
        assert "Traceback" not in result.get("module_stderr", "") and "Error" not in result["msg"].split(":")[0]
    assert source.api_requests_since(before) == []  # not one request for any of them
    assert existing.read_text() == "an earlier backup" and (tmp_path / "old.wabk.manifest.json").is_dir()
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


# -- a full disk -----------------------------------------------------------------------------------


def hidden(directory):
    return sorted(name for name in os.listdir(directory) if name.startswith("."))


def test_a_full_disk_leaves_no_file_and_keeps_the_earlier_backup(emulators, play, tiny_disk):
    small, large = emulators.source(name="small"), emulators.source("--backup-padding-bytes", str(PADDING))
    disk = tiny_disk(1024 * 1024)  # room for a small backup, not for a 4 MiB one
    dest = disk / "prod.wabk"

    run = play([small.task("Small backup", "wa_backup", backup_password=BACKUP_PASSWORD, dest=str(dest))])
    assert run.rc == 0, run.output
    earlier = dest.read_bytes(), (disk / "prod.wabk.manifest.json").read_bytes()

    tasks = [
        large.task(
            f"Large backup {n}",
            "wa_backup",
            keywords={"ignore_errors": True},
            backup_password=BACKUP_PASSWORD,
            dest=str(disk / f"prod-{n}.wabk"),
        )
        for n in (1, 2, 3)
    ]
    tasks.append(
        large.task(
            "Large backup over the earlier one",
            "wa_backup",
            keywords={"ignore_errors": True},
            backup_password=BACKUP_PASSWORD,
            dest=str(dest),
            force=True,
        )
    )
    run = play(tasks)

    for name in ("Large backup 1", "Large backup 2", "Large backup 3", "Large backup over the earlier one"):
        result = run.result(name)
        assert result["failed"], (name, result)
        assert "No space left on device" in result["msg"], result["msg"]
    assert sorted(os.listdir(disk)) == ["prod.wabk", "prod.wabk.manifest.json"]  # not one temporary file
    assert (dest.read_bytes(), (disk / "prod.wabk.manifest.json").read_bytes()) == earlier
    assert backup_is_whole(dest)


def fill(disk):
    """Fill the disk to its last byte with one file (as another program would)."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"x" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)


def test_a_disk_already_full_leaves_nothing_attempt_after_attempt(source, play, tiny_disk):
    """A small backup (its data buffered, so the failure comes at the flush and again at the close)."""
    disk = tiny_disk(256 * 1024)
    fill(disk)

    run = play(
        [
            source.task(
                f"Backup {n}",
                "wa_backup",
                keywords={"ignore_errors": True},
                backup_password=BACKUP_PASSWORD,
                dest=str(disk / "prod.wabk"),
            )
            for n in (1, 2, 3)
        ]
    )

    for n in (1, 2, 3):
        result = run.result(f"Backup {n}")
        assert result["failed"] and "No space left on device" in result["msg"], result
    assert os.listdir(disk) == ["filler"]  # not one hidden .tmp file, attempt after attempt


def test_no_room_for_the_manifest_leaves_no_file_either(emulators, play, tmp_path, tiny_disk):
    source = emulators.source("--backup-padding-bytes", str(PADDING))
    probe = tmp_path / "probe.wabk"
    run = play([source.task("Probe", "wa_backup", backup_password=BACKUP_PASSWORD, dest=str(probe))])
    assert run.rc == 0, run.output
    size = probe.stat().st_size
    disk = tiny_disk(-(-size // 4096) * 4096)  # exactly the data's pages: its manifest does not fit

    run = play(
        [
            source.task(
                "Backup",
                "wa_backup",
                keywords={"ignore_errors": True},
                backup_password=BACKUP_PASSWORD,
                dest=str(disk / "prod.wabk"),
            )
        ]
    )

    result = run.result("Backup")
    assert result["failed"] and "No space left on device" in result["msg"], result
    assert os.listdir(disk) == []


# -- retention in a shared directory ---------------------------------------------------------------


def test_backup_prune_in_a_shared_directory_deletes_only_its_own_backups(source, play, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    run = play(
        [
            source.task(f"Backup {n}", "wa_backup", backup_password=BACKUP_PASSWORD, dest=str(shared / f"p-{n}.wabk"))
            for n in (1, 2)
        ]
    )
    assert run.rc == 0, run.output
    others = {"NOTES.txt": "notes", "id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----", "db.dump": "x" * 100}
    for name, text in others.items():
        (shared / name).write_text(text)
        os.utime(shared / name, (0, 0))
    (shared / "copied.wabk").write_bytes((shared / "p-1.wabk").read_bytes())  # an intact backup, without manifest

    run = play(
        [
            source.task(
                "Backup and prune",
                "wa_backup",
                backup_password=BACKUP_PASSWORD,
                dest=str(shared / "p-3.wabk"),
                prune={"keep_last": 1, "pattern": "*", "delete_damaged": True},
            ),
            {
                "name": "Prune again",
                "wabiz.migration.wa_backup_prune": {"path": str(shared), "keep_last": 1, "pattern": "*"},
            },
        ]
    )

    assert run.rc == 0, run.output
    pruned = run.result("Backup and prune")["pruned"]
    assert [os.path.basename(d["path"]) for d in pruned["deleted"]] == ["p-2.wabk", "p-1.wabk"]
    assert sorted(os.path.basename(n["path"]) for n in pruned["not_ours"]) == [
        "NOTES.txt",
        "copied.wabk",
        "db.dump",
        "id_ed25519",
    ]
    assert sorted(os.listdir(shared)) == sorted([*others, "copied.wabk", "p-3.wabk", "p-3.wabk.manifest.json"])
    again = run.result("Prune again")
    assert again["changed"] is False and again["deleted"] == []
    assert json.dumps(again["not_ours"]).count("not a backup written by this collection") == 4


# -- the role: no URL with credentials in its summary or reports -----------------------------------


def test_the_role_never_prints_or_writes_a_url_with_credentials(emulators, play, tmp_path):
    """Both URLs carry a password: the run stops before any request; its lock, report and summary show the URLs
    without it (at -vvv, as people see it; the variables come from a file, like a vault's)."""
    source, target = emulators.source(), emulators.target()
    reports = tmp_path / "reports"
    variables = tmp_path / "vars.yml"
    variables.write_text(
        json.dumps(
            {
                "migrate_source_api_url": source.url.replace("://", f"://admin:{SECRET_IN_URL}@"),
                "migrate_source_password": source.admin_password,
                "migrate_target_api_url": target.url.replace("://", f"://admin:{SECRET_IN_URL}@"),
                "migrate_target_password": target.admin_password,
                "migrate_backup_password": BACKUP_PASSWORD,
                "migrate_restart_strategy": "none",
                "migrate_backup_dir": str(tmp_path / "backups"),
                "migrate_report_dir": str(reports),
                "migrate_lock_dir": str(tmp_path / "locks"),
            }
        )
    )
    before_source, before_target = source.snapshot(), target.snapshot()

    run = play(
        [{"name": "Migrate", "ansible.builtin.include_role": {"name": "wabiz.migration.migrate"}}],
        verbosity=3,
        json_output=False,
        args=["--extra-vars", f"@{variables}"],
    )

    assert run.rc != 0
    assert "api_url holds user information" in run.output
    assert source.api_requests_since(before_source) == [] and target.api_requests_since(before_target) == []
    written = {path.name: path.read_text() for path in reports.iterdir()}
    assert sorted(name.rsplit(".", 1)[1] for name in written) == ["json", "md", "xml"]
    (report,) = [json.loads(text) for name, text in written.items() if name.endswith(".json")]
    assert report["source"]["api_url"] == source.url and report["target"]["api_url"] == target.url
    assert report["result"] == "failed"
    locks = {path.name: path.read_text() for path in (tmp_path / "locks").iterdir()}
    for where, text in [("output", run.output), *written.items(), *locks.items()]:
        assert SECRET_IN_URL not in text, where
