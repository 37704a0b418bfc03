# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults injected for real into a migration (the role through playbooks/migrate.yml, in containers).

One source and one fresh target per test that changes one, made once for the module; faults come
from the emulator (``/v1/_emulator/faults``), stopped containers, a missing certificate, closed
ports and sockets, and an emulator process with a short token lifetime. Each test proves that
the failure is clear, that nothing was lost (the source's state, earlier backups) and that both
environments can be brought back, usually by doing what the report says next.
"""

import itertools
import secrets
import shutil
import socket
from datetime import datetime

import pytest
import yaml
from role_fixtures import docker_client, running_environments, source_and_targets

from wa_emulator.launcher import EmulatorProcess

pytestmark = pytest.mark.docker

PORTS = 20000  # this module's host ports: 20000-20019 on 127.0.0.1
TARGETS = ["transient", "after_commit", "before_commit", "no_start", "token", "stop_source", "spare"]
BACKUP = ("POST", "/v1/settings/backup")
RESTORE = ("POST", "/v1/settings/restore")
# Short waits: the emulated clients answer at once.
FAST = {"migrate_ready_timeout": 30, "migrate_connected_timeout": 60, "migrate_api_retry_backoff": 0.2}


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    with source_and_targets(tmp_path_factory, "faults", PORTS, TARGETS) as made:
        yield made


@pytest.fixture(autouse=True)
def source_up(envs):
    """Every test starts with the source running and without faults, whatever the last one did to it."""
    if envs.status("source") != "running":
        envs.start("source")
    envs.set_faults("source", {})


def sent(envs, host, since=0):
    """(method, path, status) of the API requests ``host`` logged after the first ``since``."""
    return [
        (r["method"], r["path"], r["status"])
        for r in envs.requests(host)[since:]
        if not r["path"].startswith("/v1/_emulator/")
    ]


def calls(requests, call):
    return [r for r in requests if r[:2] == call]


def seconds(stamp):
    return datetime.fromisoformat(stamp).timestamp()


def test_transient_errors_on_safe_calls_are_retried_with_backoff(envs):
    # The backup: a reset connection, then two 503s, then it answers. Retries 3, backoff 0.2 s.
    source_log = len(envs.requests("source"))
    envs.set_faults("source", {"drop_next": 1, "fail_next": 2, "paths": ["/v1/settings/backup"]})

    run = envs.migration("transient", migrate_api_retries=3, **FAST)

    assert run.rc == 0, run.output
    assert run.report()["result"] == "migrated"
    backups = [r for r in envs.requests("source")[source_log:] if (r["method"], r["path"]) == BACKUP]
    assert [(r["status"], r.get("fault")) for r in backups] == [
        (None, "drop_next"),
        (503, "fail_next"),
        (503, "fail_next"),
        (200, None),
    ]
    # Exponential backoff: 0.2, 0.4 then 0.8 s at least between the attempts.
    gaps = [seconds(b["ts"]) - seconds(a["ts"]) for a, b in itertools.pairwise(backups)]
    assert all(gap >= wait for gap, wait in zip(gaps, (0.2, 0.4, 0.8), strict=True)), gaps
    assert envs.emulator("transient", "state")["phone_number"] == envs.emulator("source", "state")["phone_number"]


def test_retries_are_bounded_and_then_the_run_stops_before_anything_is_sent(envs):
    source_log, target_log = len(envs.requests("source")), len(envs.requests("spare"))
    envs.set_faults("source", {"fail_next": 50, "paths": ["/v1/health"]})

    run = envs.migration("spare", migrate_api_retries=2, **FAST)

    assert run.rc != 0
    failure = run.failure()
    assert "GET /v1/health failed: HTTP 503" in failure and "Nothing was imported" in failure
    assert run.report()["failed_task"] == "Preflight | Read the source"
    assert len(calls(sent(envs, "source", source_log), ("GET", "/v1/health"))) == 3  # 1 + migrate_api_retries
    assert not calls(sent(envs, "source", source_log), BACKUP)
    assert sent(envs, "spare", target_log) == []


def test_source_dies_in_the_middle_of_a_backup(envs, tmp_path):
    # An earlier backup in the same directory, which the failed run must leave as it was.
    backups = tmp_path / "backups"
    backups.mkdir(mode=0o700)
    earlier = {"spare-source-20250101T000000Z.wabk": b"earlier backup data", "x.manifest.json": b"{}"}
    for name, content in earlier.items():
        (backups / name).write_bytes(content)
    source_before = envs.state_file("source")
    target_before = envs.emulator("spare", "state")
    target_log = len(envs.requests("spare"))
    envs.set_faults("source", {"backup_exit_midway": 1})

    run = envs.migration("spare", migrate_backup_dir=str(backups), **FAST)

    assert run.rc != 0
    report = run.report()
    assert report["failed_task"] == "Backup | Export the source"
    assert "/v1/settings/backup" in report["error"] and envs.url("source") in report["error"]
    assert report["restore_outcome"] == "no import was sent"
    assert report["next_step"].startswith("Nothing was imported")
    assert {p.name: p.read_bytes() for p in backups.iterdir()} == earlier  # no partial file, nothing touched
    assert not calls(sent(envs, "spare", target_log), RESTORE)
    assert envs.emulator("spare", "state") == target_before
    # The source stopped (its process exited half-way through the answer); started again, it is
    # as it was: nothing is lost.
    assert envs.status("source") == "exited"
    envs.start("source")
    after = envs.state_file("source")
    for key in ("registered", "cc", "phone_number", "shards", "generation", "identity_key_id", "settings"):
        assert after[key] == source_before[key], key


def test_connection_closed_after_the_import_was_sent_is_verified_not_retried(envs):
    envs.set_faults("after_commit", {"restore_crash": "after_commit"})

    run = envs.migration("after_commit", **FAST)

    assert run.rc == 0, run.output
    assert run.result("Restore | Import the backup")["restore_status"] == "unconfirmed"
    assert len(envs.restores("after_commit")) == 1  # sent once, never again
    seen = run.result("Verify | Read the restarted target after an unconfirmed import")
    assert seen["registered"] is True
    report = run.report()
    assert report["result"] == "migrated"
    assert report["restore_status"] == "unconfirmed"
    phone = report["source"]["phone_number"]
    assert report["restore_outcome"].startswith("may have been applied (")
    applied = f"; after the restart the target is registered as {phone}: it was applied"
    assert report["restore_outcome"].endswith(applied)
    assert report["target"]["phone_number"] == phone and report["target"]["connected"] is True
    assert report["security_code_changed"] is True
    assert f"Import: {report['restore_outcome']}." in run.result("Report | Summary")["msg"]


def test_emulator_exits_in_the_middle_of_a_restore_then_a_rerun_with_the_backup_completes(envs):
    envs.set_faults("before_commit", {"restore_crash": "before_commit"})

    first = envs.migration("before_commit", **FAST)

    assert first.rc != 0
    report = first.report()
    backup = report["backup"]["path"]
    assert report["restore_status"] == "unconfirmed"
    assert report["restore_outcome"].endswith("after the restart the target is not registered: it was not applied")
    assert report["next_step"] == (
        "The import was not applied and the target is as it was: run the migration again with migrate_backup_file: "
        f"{backup} (this run's backup)."
    )
    assert "the import was not applied and the target is as it was" in first.failure()
    assert envs.emulator("before_commit", "state")["registered"] is False
    source_backups = len(calls(sent(envs, "source"), BACKUP))

    second = envs.migration("before_commit", migrate_backup_file=backup, **FAST)

    assert second.rc == 0, second.output
    assert second.report()["result"] == "migrated"
    assert second.report()["restore_status"] == "applied"
    assert len(calls(sent(envs, "source"), BACKUP)) == source_backups  # the same backup, not a new one
    assert [r["status"] for r in envs.restores("before_commit")] == [None, 200]
    state = envs.emulator("before_commit", "state")
    assert state["registered"] and state["phone_number"] == envs.emulator("source", "state")["phone_number"]


def test_missing_target_container_stops_the_run_before_anything_is_sent(envs):
    source_log, target_log = len(envs.requests("source")), len(envs.requests("spare"))
    missing = f"{envs.prefix}-gone"

    run = envs.migration("spare", migrate_restart_containers=[missing], **FAST)

    assert run.rc != 0
    assert f"'{missing}'" in run.failure() and "Nothing was imported" in run.failure()
    assert run.report()["failed_task"] == "Preflight | Check that the target's Docker engine and containers are there"
    assert not calls(sent(envs, "source", source_log), BACKUP)
    assert not calls(sent(envs, "spare", target_log), RESTORE)


def test_target_that_will_not_start_after_the_import_is_reported_with_the_next_step(envs):
    # The client reads its TLS key only when it starts: without it, the restarted container exits.
    key = envs.workdir / "tls" / "server.key"
    shutil.move(key, key.with_suffix(".moved"))
    try:
        run = envs.migration("no_start", **FAST)
    finally:
        shutil.move(key.with_suffix(".moved"), key)

    assert run.rc != 0
    container = envs.container("no_start")
    failure = run.failure()
    assert f"Container '{container}' exited with code 1 after the start" in failure
    assert "The import was applied (the target answered it): do not import again." in failure
    assert f"docker start {container}" in failure
    report = run.report()
    assert report["failed_task"] == "Restart | Restart the target's containers through the Docker Engine API"
    assert report["restore_status"] == "applied"
    assert report["next_step"] in failure
    assert "## Next step" in run.markdown()
    # Doing what the report says: start it, run the migration again; it only verifies.
    envs.start("no_start")
    again = envs.migration("no_start", **FAST)
    assert again.rc == 0, again.output
    assert again.report()["result"] == "unchanged"
    assert len(envs.restores("no_start")) == 1


def test_source_that_could_not_be_stopped_afterwards_is_refused_before_anything_is_sent(envs):
    # migrate_source_after: stop needs the source's Docker engine: the preflight checks it, so a
    # migration that could not end by stopping the source does not start.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    sent_before = len(envs.requests("stop_source"))

    run = envs.migration("stop_source", migrate_source_after="stop", migrate_source_docker_host=closed, **FAST)

    assert run.rc != 0
    report = run.report()
    assert report["failed_task"] == "Preflight | Check that the source's containers are there to be stopped afterwards"
    assert closed in report["error"]
    assert report["next_step"].startswith("Nothing was imported")
    assert report["next_step"] in run.failure()
    assert report["restore_status"] is None
    assert RESTORE not in {(r["method"], r["path"]) for r in envs.requests("stop_source")[sent_before:]}
    assert envs.status("source") == "running"


@pytest.fixture(scope="module")
def multiconnect(tmp_path_factory):
    """A two-shard source and target: a master container and two Coreapp containers each."""
    hosts = {"source": {"state": "registered", "shards": 2}, "target": {"shards": 2}}
    prefix = f"wa-t4-multi-{secrets.token_hex(2)}"
    migrations = {"target": {"wa_migrate_from": "source"}}
    with running_environments(tmp_path_factory.mktemp("multi"), prefix, PORTS + 10, hosts, migrations) as made:
        yield made


def test_target_that_never_becomes_healthy_times_out_with_the_last_health_seen(multiconnect):
    # The restart names the master only: its Coreapps, which exit after an import, stay down.
    master = multiconnect.container("target")

    run = multiconnect.migration("target", migrate_restart_containers=[master], migrate_connected_timeout=6)

    assert run.rc != 0
    failure = run.failure()
    assert (
        f"Timed out after 6s waiting for the client at {multiconnect.url('target')} to be connected with 2" in failure
    )
    assert "Last health seen: gateway_status" in failure and "connected coreapps 0" in failure
    report = run.report()
    assert report["failed_task"] == "Verify | Wait until the target is connected with every shard"
    assert report["restore_status"] == "applied"
    assert report["next_step"].startswith("The import was applied (the target answered it): do not import again.")
    # Recoverable: the master holds the number; the Coreapps only need to be started.
    assert multiconnect.emulator("target", "state")["registered"] is True
    assert len(multiconnect.restores("target")) == 1
    with docker_client() as client:
        assert [client.containers.get(f"{master}-core-{i}").status for i in (1, 2)] == ["exited", "exited"]


@pytest.mark.parametrize("docker_host", ["unix-socket", "tcp-port"])
def test_unreachable_docker_host_stops_the_run_before_anything_is_sent(envs, tmp_path, docker_host):
    if docker_host == "unix-socket":
        url = f"unix://{tmp_path}/docker.sock"  # nothing listens: the socket file does not exist
    else:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            url = f"tcp://127.0.0.1:{sock.getsockname()[1]}"  # closed once the with block ends
    source_log, target_log = len(envs.requests("source")), len(envs.requests("spare"))

    run = envs.migration("spare", migrate_restart_docker_host=url, **FAST)

    assert run.rc != 0
    assert url in run.failure() and "Nothing was imported" in run.failure()
    assert run.report()["failed_task"] == "Preflight | Check that the target's Docker engine and containers are there"
    assert not calls(sent(envs, "source", source_log), BACKUP)
    assert not calls(sent(envs, "spare", target_log), RESTORE)


def test_token_that_expires_during_a_long_step_is_renewed(envs, tmp_path):
    # A source whose tokens live 2 s, and a backup that takes longer (three 503s waited out with a
    # 0.5 s backoff): the client logs in again on the 401 and the migration goes on.
    tls = envs.workdir / "tls"
    args = [
        "--state",
        "registered",
        "--token-ttl",
        "2",
        "--tls-cert",
        tls / "server.pem",
        "--tls-key",
        tls / "server.key",
    ]
    with EmulatorProcess(tmp_path / "source", args, cafile=tls / "ca.pem") as source:
        source.set_faults({"fail_next": 3, "paths": ["/v1/settings/backup"]})
        run = envs.migration(
            "token",
            migrate_source_api_url=source.url,
            migrate_source_password=source.admin_password,
            migrate_api_retries=3,
            migrate_api_retry_backoff=0.5,
            migrate_ready_timeout=30,
        )
        log = [(r["method"], r["path"], r["status"]) for r in source.request_log()]

    assert run.rc == 0, run.output
    assert run.report()["result"] == "migrated"
    backup = log.index((*BACKUP, 401))  # the token had expired ...
    assert log[backup + 1 : backup + 3] == [("POST", "/v1/users/login", 200), (*BACKUP, 200)]  # ... renewed once
    assert envs.emulator("token", "state")["registered"] is True


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"migrate_restart_strategy": "dockr"},
            "value of migrate_restart_strategy must be one of: docker, compose, command, none, got: dockr",
        ),
        ({"migrate_api_retries": "a few"}, "migrate_api_retries"),
        ({"migrate_target_api_url": ""}, "Missing input: set migrate_target_api_url"),
        ({"migrate_restart_containers": []}, "migrate_restart_containers or migrate_restart_labels for docker"),
    ],
    ids=["unknown-strategy", "wrong-type", "empty-target-url", "docker-without-containers"],
)
def test_bad_input_is_refused_before_anything_is_read_or_sent(envs, bad, message):
    logs = {host: len(envs.requests(host)) for host in ("source", "spare")}

    run = envs.migration("spare", **bad, **FAST)

    assert run.rc != 0
    assert message in run.output
    for host, length in logs.items():
        assert envs.requests(host)[length:] == [], host


def test_missing_required_variable_is_refused_by_the_role_before_anything(envs, tmp_path):
    # Everything but migrate_backup_password.
    role = {
        "role": "wabiz.migration.migrate",
        "vars": {
            "migrate_source_api_url": "{{ hostvars.source.wa_api_url }}",
            "migrate_target_api_url": "{{ wa_api_url }}",
        },
    }
    playbook = tmp_path / "role.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "spare", "gather_facts": False, "roles": [role]}]))
    logs = {host: len(envs.requests(host)) for host in ("source", "spare")}

    run = envs.run(playbook, extra_vars={"migrate_report_dir": str(tmp_path / "reports")})

    assert run.rc != 0
    assert "missing required arguments: migrate_backup_password" in run.output
    assert not (tmp_path / "reports").exists()
    for host, length in logs.items():
        assert envs.requests(host)[length:] == [], host
