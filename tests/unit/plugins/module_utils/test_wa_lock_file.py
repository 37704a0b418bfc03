# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/wa_lock: real files, real processes (for PID liveness), no patching of the lock itself."""

import json
import multiprocessing
import os
import socket
import stat
import subprocess
import sys
import time

import pytest

from ansible_collections.wabiz.migration.plugins.module_utils import wa_lock

TARGET = "https://admin:Secret-1@WA.example.com:8443/v1"


def lock_path(tmp_path, resource=TARGET):
    return tmp_path / "locks" / wa_lock.lock_file_name(resource)


def write_lock(path, **record):
    path.parent.mkdir(mode=0o700, exist_ok=True)
    base = {"owner": "other", "host": socket.gethostname(), "created": time.time(), "pid": os.getpid()}
    base["pid_start"] = wa_lock.process_start(os.getpid())
    base.update(record)
    path.write_text(json.dumps(base))
    return base


def ended_pid():
    """The PID of a process that has ended and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize(
    ("resource", "name"),
    [
        (TARGET, "wa.example.com_8443.lock"),
        ("https://wa.example.com", "wa.example.com_443.lock"),
        ("http://10.0.0.5/", "10.0.0.5_80.lock"),
        ("https://[::1]:9090", "127.0.0.1_9090.lock"),  # any loopback address is 127.0.0.1
        ("target / prod", "target_prod.lock"),
    ],
)
def test_lock_file_name_is_host_and_port_without_credentials(resource, name):
    assert wa_lock.lock_file_name(resource) == name


@pytest.mark.parametrize(
    "spelling",
    ["https://127.0.0.1:8443", "https://localhost:8443/", "https://LOCALHOST:8443", "https://admin:x@127.0.0.1:8443"],
)
def test_two_spellings_of_one_target_take_one_lock(spelling):
    assert wa_lock.lock_file_name(spelling) == "127.0.0.1_8443.lock"


def test_lock_file_name_refuses_empty():
    with pytest.raises(wa_lock.LockError, match="empty"):
        wa_lock.lock_file_name("  ")


def test_acquire_creates_private_dir_and_file_with_the_record(tmp_path):
    changed, path, holder, replaced = wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-1", 3600, {"env": "prod"})
    assert changed and replaced is None
    assert path == str(lock_path(tmp_path))
    assert stat.S_IMODE(os.stat(tmp_path / "locks").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    on_disk = json.loads(open(path).read())
    assert on_disk == holder
    assert holder["owner"] == "run-1" and holder["labels"] == {"env": "prod"}
    assert holder["host"] == socket.gethostname()
    assert holder["resource"] == "https://WA.example.com:8443/v1"  # no credentials
    assert "Secret-1" not in open(path).read()
    assert sorted(os.listdir(tmp_path / "locks")) == [os.path.basename(path)]  # no temporary file left


def test_same_owner_again_changes_nothing(tmp_path):
    wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-1", 3600)
    changed, _path, holder, _replaced = wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-1", 3600)
    assert not changed and holder["owner"] == "run-1"


def test_live_holder_makes_it_busy_and_is_left_alone(tmp_path):
    path = lock_path(tmp_path)
    record = write_lock(path, labels={"environment": "staging"})
    with pytest.raises(wa_lock.LockBusy) as exc:
        wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-2", 3600)
    assert exc.value.holder == record
    assert "run other" in str(exc.value) and "environment staging" in str(exc.value) and str(path) in str(exc.value)
    assert json.loads(path.read_text()) == record


def test_ended_process_makes_it_stale_and_it_is_replaced(tmp_path):
    path = lock_path(tmp_path)
    write_lock(path, pid=ended_pid(), pid_start="1")
    changed, _path, holder, replaced = wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-2", 3600)
    assert changed and holder["owner"] == "run-2"
    assert replaced["owner"] == "other" and "has ended" in replaced["stale_because"]
    assert json.loads(path.read_text())["owner"] == "run-2"


def test_reused_pid_counts_as_ended(tmp_path):
    path = lock_path(tmp_path)
    write_lock(path, pid_start="1")  # this process, but another start time: the PID was reused
    _changed, _path, _holder, replaced = wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-2", 3600)
    assert replaced and "has ended" in replaced["stale_because"]


def test_zombie_counts_as_ended():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while wa_lock._proc_stat(proc.pid)[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        assert not wa_lock.process_alive(proc.pid, wa_lock.process_start(proc.pid))
    finally:
        proc.wait()


def test_age_makes_it_stale_even_when_its_process_runs(tmp_path):
    path = lock_path(tmp_path)
    write_lock(path, created=time.time() - 7200)
    _changed, _path, _holder, replaced = wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-2", 3600)
    assert "older than max_age" in replaced["stale_because"]


def test_lock_of_another_host_is_judged_by_age_only(tmp_path):
    path = lock_path(tmp_path)
    write_lock(path, host="another-controller", pid=ended_pid())
    with pytest.raises(wa_lock.LockBusy):
        wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-2", 3600)


def test_check_mode_writes_nothing(tmp_path):
    changed, _path, holder, _replaced = wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-1", 3600, check_mode=True)
    assert changed and holder["owner"] == "run-1"
    assert not (tmp_path / "locks").exists()
    write_lock(lock_path(tmp_path), pid=ended_pid())
    changed, _path, _holder, replaced = wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-1", 3600, check_mode=True)
    assert changed and replaced["owner"] == "other"
    assert json.loads(lock_path(tmp_path).read_text())["owner"] == "other"


def test_foreign_file_is_an_error_not_a_takeover(tmp_path):
    path = lock_path(tmp_path)
    path.parent.mkdir()
    path.write_text("not json")
    with pytest.raises(wa_lock.LockError, match="not a lock written by wa_lock"):
        wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-1", 3600)
    assert path.read_text() == "not json"


def test_release_removes_only_the_owners_lock(tmp_path):
    wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-1", 3600)
    assert wa_lock.release(str(tmp_path / "locks"), TARGET, "run-2")[0] is False
    assert lock_path(tmp_path).exists()
    assert wa_lock.release(str(tmp_path / "locks"), TARGET, "run-1", check_mode=True)[0] is True
    assert lock_path(tmp_path).exists()
    assert wa_lock.release(str(tmp_path / "locks"), TARGET, "run-1") == (True, str(lock_path(tmp_path)), None)
    assert not lock_path(tmp_path).exists()
    assert wa_lock.release(str(tmp_path / "locks"), TARGET, "run-1") == (False, str(lock_path(tmp_path)), None)


def test_leftover_break_file_is_cleared_after_its_age(tmp_path):
    path = lock_path(tmp_path)
    write_lock(path, pid=ended_pid())
    breaker = str(path) + wa_lock.BREAK_SUFFIX
    open(breaker, "w").close()
    with pytest.raises(wa_lock.LockBusy, match="at the same time"):
        wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-2", 3600)  # a fresh .break: someone is at it
    old = time.time() - wa_lock.BREAK_MAX_AGE - 5
    os.utime(breaker, (old, old))
    changed, _path, holder, _replaced = wa_lock.acquire(str(tmp_path / "locks"), TARGET, "run-2", 3600)
    assert changed and holder["owner"] == "run-2" and not os.path.exists(breaker)


def _contend(lock_dir, owner, start, results):
    start.wait()
    try:
        wa_lock.acquire(lock_dir, TARGET, owner, 3600)
        results.put((owner, "won"))
    except wa_lock.LockBusy:
        results.put((owner, "busy"))


@pytest.mark.parametrize("stale_first", [False, True])
def test_exactly_one_of_many_concurrent_runs_wins(tmp_path, stale_first):
    if stale_first:
        write_lock(lock_path(tmp_path), pid=ended_pid())
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_contend, args=(str(tmp_path / "locks"), f"run-{i}", start, results)) for i in range(8)]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(30)
    outcomes = dict(results.get(timeout=5) for _proc in procs)
    winners = [owner for owner, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1, outcomes
    assert json.loads(lock_path(tmp_path).read_text())["owner"] == winners[0]


def test_run_pid_is_the_topmost_ansible_process(tmp_path):
    # ansible-fake -> python -c (the "module"): the run is ansible-fake, whatever runs above it.
    script = tmp_path / "ansible-fake"
    script.write_text(
        "import subprocess, sys\n"
        "code = 'from ansible_collections.wabiz.migration.plugins.module_utils import wa_lock; "
        "print(wa_lock.run_pid())'\n"
        "subprocess.run([sys.executable, '-c', code], check=True)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    out, _err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert int(out.strip()) == proc.pid
