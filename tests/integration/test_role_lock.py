# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One migration at a time per target: real, concurrent ansible-playbook runs against containers.

The API has no lock; the role takes one on the controller (wabiz.migration.wa_lock) before it
reads or sends anything. These tests run playbooks/migrate.yml twice at once, and kill a run that
holds the lock to prove that the lock it leaves behind does not block the next run.
"""

import json
import os
import signal
import time

import pytest
from role_fixtures import source_and_targets

pytestmark = pytest.mark.docker

PORTS = 20100  # this module's host ports: 20100-20109 on 127.0.0.1
FAST = {"migrate_ready_timeout": 30, "migrate_connected_timeout": 60, "migrate_api_retry_backoff": 0.2}
BACKUP = ("POST", "/v1/settings/backup")


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    with source_and_targets(tmp_path_factory, "lock", PORTS, ["contested", "orphaned"]) as made:
        yield made


def backups_sent(envs):
    return [r for r in envs.requests("source") if (r["method"], r["path"]) == BACKUP]


def test_two_runs_at_once_exactly_one_proceeds(envs):
    backups_before = len(backups_sent(envs))

    runs = envs.migrations_at_once("contested", 2, **FAST)

    winners = [run for run in runs if run.rc == 0]
    losers = [run for run in runs if run.rc != 0]
    assert len(winners) == 1 and len(losers) == 1, [run.output for run in runs]
    winner, loser = winners[0].report(), losers[0].report()
    assert winner["result"] == "migrated"
    assert loser["failed_task"] == "Preflight | Take the target's lock"
    assert f"Another run is migrating this target: run {winner['run_id']}" in losers[0].failure()
    assert "Nothing was imported" in losers[0].failure()
    # The loser stopped before it read or sent anything: none of its API tasks ran.
    assert losers[0].run.results("Preflight | Read the") == []
    assert len(envs.restores("contested")) == 1
    assert len(backups_sent(envs)) == backups_before + 1
    assert list(envs.lock_dir.iterdir()) == []  # the winner released its lock


def test_lock_of_a_killed_run_is_replaced_by_the_next_run(envs):
    # A run whose reads of the source are slow holds the lock when it is killed (SIGKILL, the whole run).
    envs.set_faults("source", {"delay_ms": 5000})
    proc, _migration = envs.start_migration("orphaned", **FAST)
    try:
        deadline = time.monotonic() + 120
        while not list(envs.lock_dir.glob("*.lock")) and time.monotonic() < deadline:
            time.sleep(0.1)
        (lock,) = envs.lock_dir.glob("*.lock")
        holder = json.loads(lock.read_text())
        assert holder["pid"] == proc.pid  # the ansible-playbook process, not the module's
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        envs.set_faults("source", {})
    assert not envs.restores("orphaned")

    run = envs.migration("orphaned", **FAST)

    assert run.rc == 0, run.output
    taken = run.result("Preflight | Take the target's lock")
    assert taken["replaced"]["owner"] == holder["owner"]
    assert f"its process (PID {proc.pid} on " in taken["replaced"]["stale_because"]
    assert run.report()["result"] == "migrated"
    assert len(envs.restores("orphaned")) == 1
    assert list(envs.lock_dir.iterdir()) == []
