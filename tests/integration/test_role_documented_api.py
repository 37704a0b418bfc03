# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role against clients that answer only what the vendor documents (issue 11's five cases).

Every environment runs the emulator with ``--documented-only``: ``GET /v1/account`` answers 404,
so no number can be read. Faults on the import's answer come from a real relay between the
collection and the client (tests/integration/fault_relay.py). Each test runs playbooks/migrate.yml
as a user would and checks what the client saw, the report and the migration record.
"""

import json
import os
import secrets
import signal
import stat
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fault_relay import FaultRelay
from role_fixtures import running_environments

pytestmark = pytest.mark.docker

PORTS = 24610  # this module's host ports: 24610-24639 on 127.0.0.1
FAST = {"migrate_ready_timeout": 30, "migrate_connected_timeout": 60, "migrate_api_retry_backoff": 0.2}
STAGING = {"webhooks": {"url": "https://staging.example.com/webhook"}}
TARGETS = ["again", "restart", "r500", "rcut", "r401", "refused", "ident", "spare", "interrupt"]
WRITES = {"POST", "PATCH", "DELETE", "PUT"}


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    hosts = {"source": {"state": "registered", "documented": True}}
    hosts.update({target: {"documented": True} for target in TARGETS})
    migrations = {target: {"wa_migrate_from": "source"} for target in TARGETS}
    prefix = f"wa-t11-{secrets.token_hex(2)}"
    with running_environments(tmp_path_factory.mktemp("documented"), prefix, PORTS, hosts, migrations) as made:
        yield made


def record_of(envs, target):
    return envs.workdir / "records" / f"{target}.json"


def migrate(envs, target, **role_vars):
    """A run with this target's migration record at a fixed place (as an AWX job would give it)."""
    return envs.migration(target, migrate_record_file=str(record_of(envs, target)), **{**FAST, **role_vars})


def record(envs, target):
    path = record_of(envs, target)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return json.loads(path.read_text())


def webhook(envs, host):
    return envs.emulator(host, "state")["settings"]["application"]["webhooks"]["url"]


def writes(envs, host, since=0):
    return [
        (r["method"], r["path"])
        for r in envs.requests(host)[since:]
        if r["method"] in WRITES and not r["path"].startswith("/v1/_emulator/") and r["path"] != "/v1/users/login"
    ]


def test_the_account_extension_is_not_there(envs):
    api = envs.api("source")
    assert api.api("GET", "/v1/account", token=api.admin_token())[0] == 404


def test_second_run_only_verifies_and_applies_settings(envs):
    first = migrate(envs, "again", migrate_target_settings=STAGING)

    assert first.rc == 0, first.output
    report = first.report()
    assert report["result"] == "migrated"
    assert report["source"]["phone_number"] is None  # not readable from the documented API
    assert "None" not in report["restore_outcome"] and "as None" not in first.output
    assert webhook(envs, "again") == STAGING["webhooks"]["url"]
    kept = record(envs, "again")
    assert kept["result"] == "verified"
    assert kept["target"]["endpoint"] == f"127.0.0.1:{envs.hosts['again']['wa_test_port']}"
    assert kept["backup"]["sha256"] == report["backup"]["checksum"] and kept["backup"]["manifest"]["sha256"]
    assert kept["verified"]["connected"] is True and kept["verified"]["shards"] == 1

    second = migrate(envs, "again", migrate_target_settings=STAGING)

    assert second.rc == 0, second.output
    assert second.report()["result"] == "unchanged"
    assert second.run.stats("again")["changed"] == 0
    assert second.backups() == [] and len(envs.restores("again")) == 1
    assert webhook(envs, "again") == STAGING["webhooks"]["url"]

    # Without its record, a registered target is refused as before.
    third = envs.migration("again", migrate_record_file=str(envs.workdir / "records" / "none.json"), **FAST)
    assert third.rc != 0
    assert third.report()["failed_task"] == "Preflight | Refuse a registered target"
    assert len(envs.restores("again")) == 1


def test_failed_restart_then_the_same_run_again_finishes_without_importing(envs):
    inputs = {
        "migrate_restart_strategy": "command",
        "migrate_restart_command": ["false"],
        "migrate_target_settings": STAGING,
    }
    first = migrate(envs, "restart", **inputs)

    assert first.rc != 0
    report = first.report()
    assert report["failed_task"] == "Restart | Run the restart command"
    assert report["restore_outcome"].startswith("applied")
    assert "do not import again" in report["next_step"] and str(record_of(envs, "restart")) in report["next_step"]
    assert record(envs, "restart")["result"] == "imported"
    assert envs.status("restart") == "exited"

    envs.start("restart")  # what the report says to do
    second = migrate(envs, "restart", **inputs)

    assert second.rc == 0, second.output
    assert second.report()["result"] == "finished"
    assert len(envs.restores("restart")) == 1 and second.backups() == []
    assert webhook(envs, "restart") == STAGING["webhooks"]["url"]
    assert record(envs, "restart")["result"] == "verified"


@pytest.mark.parametrize(("target", "mode"), [("r500", "500"), ("rcut", "cut"), ("r401", "401")])
def test_unclean_answer_to_the_import_may_have_been_applied_and_is_never_resent(envs, target, mode):
    with FaultRelay(envs.hosts[target]["wa_test_port"], envs.workdir / "tls", mode) as relay:
        run = migrate(envs, target, migrate_target_api_url=relay.url)

    assert run.rc == 0, run.output
    restore = run.result("Restore | Import the backup into the target")
    assert restore["restore_status"] == "unconfirmed"
    assert any("it may have been applied" in w and "Do not send it again" in w for w in restore["warnings"])
    report = run.report()
    assert report["restore_outcome"].startswith("may have been applied (")
    assert report["restore_outcome"].endswith("after the restart the target is registered: it was applied")
    assert relay.imports == 1 and len(envs.restores(target)) == 1
    assert report["result"] == "migrated" and record(envs, target)["result"] == "verified"


def test_run_interrupted_while_the_import_is_answered_is_finished_by_the_next_run(envs):
    with FaultRelay(envs.hosts["interrupt"]["wa_test_port"], envs.workdir / "tls", "hold") as relay:
        proc, _run = envs.start_migration(
            "interrupt", migrate_target_api_url=relay.url, migrate_record_file=str(record_of(envs, "interrupt")), **FAST
        )
        deadline = time.monotonic() + 120
        while relay.imports == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert relay.imports == 1, "the import never reached the relay"
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C while the import's answer is awaited
        proc.wait(60)
    assert record(envs, "interrupt")["result"] == "importing"
    deadline = time.monotonic() + 60
    while envs.status("interrupt") == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert envs.status("interrupt") == "exited"  # the client applied the import and shut down

    # The same command again: the same target URL (the relay, now passing everything through).
    with FaultRelay(envs.hosts["interrupt"]["wa_test_port"], envs.workdir / "tls", port=relay.port) as same:
        again = migrate(envs, "interrupt", migrate_target_api_url=same.url)

    assert again.rc == 0, again.output
    assert again.report()["result"] == "finished"
    assert len(envs.restores("interrupt")) == 1 and again.backups() == []
    assert envs.emulator("interrupt", "state")["registered"] is True
    assert record(envs, "interrupt")["result"] == "verified"


def test_clean_refusal_with_the_envelope_is_not_applied(envs):
    with FaultRelay(envs.hosts["refused"]["wa_test_port"], envs.workdir / "tls", "refuse500") as relay:
        run = migrate(envs, "refused", migrate_target_api_url=relay.url)

    assert run.rc != 0
    assert run.result("Restore | Import the backup into the target")["restore_status"] == "refused"
    report = run.report()
    assert report["restore_outcome"] == "refused by the target, which said why: it was not applied"
    assert report["next_step"].startswith("The target refused the import and is as it was")
    assert envs.restores("refused") == [] and envs.emulator("refused", "state")["registered"] is False
    assert record(envs, "refused")["result"] == "not_applied"


@pytest.mark.parametrize("check", [False, True])
def test_a_target_that_is_the_source_is_refused_before_anything(envs, check):
    port = envs.hosts["source"]["wa_test_port"]
    since = len(envs.requests("source"))
    source_password = envs.hosts["source"]["wa_api_password"]

    def run_at(url):
        return envs.migration("ident", check=check, migrate_target_api_url=url, migrate_target_password=source_password)

    same_address = run_at(f"https://localhost:{port}")
    with FaultRelay(port, envs.workdir / "tls") as relay:
        same_nodes = run_at(relay.url)

    for run in (same_address, same_nodes):
        assert run.rc != 0
        assert run.result("Preflight | Refuse a target that is the source")["failed"] is True, run.output
        assert "Nothing was changed" in run.failure()
    assert f"both URLs reach 127.0.0.1:{port}" in same_address.failure()
    assert "both answer with the same nodes" in same_nodes.failure()
    assert writes(envs, "source", since) == []  # nothing written to the source, not even a backup
    assert envs.emulator("source", "state")["settings"]["application"]["webhooks"]["url"] != STAGING["webhooks"]["url"]


def test_two_spellings_of_one_target_take_one_lock(envs):
    port = envs.hosts["spare"]["wa_test_port"]
    spellings = [f"https://127.0.0.1:{port}", f"https://localhost:{port}"]
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda url: migrate(envs, "spare", migrate_target_api_url=url), spellings))

    winners = [run for run in runs if run.rc == 0]
    losers = [run for run in runs if run.rc != 0]
    assert len(winners) == 1 and len(losers) == 1, [run.output for run in runs]
    assert losers[0].report()["failed_task"] == "Preflight | Take the target's lock"
    assert len(envs.restores("spare")) == 1
    lock = winners[0].result("Preflight | Take the target's lock")["path"]
    assert lock == str(envs.lock_dir / f"127.0.0.1_{port}.lock")


# -- the vendor's topology rule: HA + multiconnect (2 shards and 1 standby Coreapp) ------------


@pytest.fixture(scope="module")
def ha_envs(tmp_path_factory):
    prefix = f"wa-t11ha-{secrets.token_hex(2)}"

    def containers(name, count):
        return [f"{prefix}-{name}"] + [f"{prefix}-{name}-core-{i}" for i in range(1, count + 1)]

    hosts = {
        "ha_source": {"state": "registered", "shards": 2, "coreapps_running": 3, "documented": True},
        "ha_mirror": {"shards": 2, "coreapps_running": 3, "documented": True},
        "ha_small": {"shards": 2, "coreapps_running": 2, "documented": True},
    }
    for name in ("ha_mirror", "ha_small"):
        hosts[name]["wa_containers"] = containers(name, hosts[name]["coreapps_running"])
    migrations = {name: {"wa_migrate_from": "ha_source"} for name in ("ha_mirror", "ha_small")}
    with running_environments(tmp_path_factory.mktemp("ha"), prefix, PORTS + 20, hosts, migrations) as made:
        yield made


def test_a_mirror_of_an_ha_multiconnect_source_is_migrated(ha_envs):
    run = ha_envs.migration("ha_mirror", **FAST)

    assert run.rc == 0, run.output
    report = run.report()
    assert (report["source"]["shards"], report["source"]["masters"], report["source"]["coreapps"]) == (2, 1, 3)
    assert (report["target"]["masters_before"], report["target"]["coreapps_before"]) == (1, 3)
    assert report["target"]["shards_before"] is None  # not readable before registration
    assert (report["target"]["shards"], report["target"]["coreapps"]) == (2, 3)
    assert ha_envs.emulator("ha_mirror", "state")["shards"] == 2
    manifest = json.loads(next(run.backup_dir.glob("*.manifest.json")).read_text())
    assert (manifest["shards"], manifest["masters"], manifest["coreapps"]) == (2, 1, 3)


def test_a_target_with_other_coreapps_is_refused_saying_which_count_differs(ha_envs):
    run = ha_envs.migration("ha_small", **FAST)

    assert run.rc != 0
    assert run.report()["failed_task"] == "Preflight | Refuse a target that does not mirror the source"
    assert "the source runs 3 Coreapp(s) and the target 2" in run.failure()
    assert ha_envs.restores("ha_small") == []
