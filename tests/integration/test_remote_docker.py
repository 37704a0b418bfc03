# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remote Docker hosts: migrations whose container steps go over SSH, to a delegated host, or over TLS.

The engine is this machine's; the hops in front of it are real: Debian's sshd on 127.0.0.1
(ssh_fixtures: keys, host key and known hosts made by the test, ~/.ssh never read) and a TLS
front that requires client certificates (tls_relay: its own CA). The topologies come from
inventory variables (wa_docker_*, wa_container_host), as users write them, through a second
inventory file given with the test environments' own.

Refusals (wrong key, unknown host key, engine down behind a working SSH login, wrong CA, no client
certificate) must stop the run in the preflight's Docker check with a message that says what to
fix, before anything is backed up or imported: the source's and target's logs, the target's
state and containers, and the run's backup directory prove that nothing changed.
"""

from __future__ import annotations

import secrets

import pytest
import yaml
from playbook_runner import run_playbook
from role_fixtures import Migration, source_and_targets
from ssh_fixtures import ssh_server
from tls_relay import TLSRelay, make_pki

pytestmark = pytest.mark.docker

PORTS = 24140  # this module's host ports: 24140-24149 on 127.0.0.1
TARGETS = ["over_ssh", "delegated", "over_tls", "refused"]
BACKUP = ("POST", "/v1/settings/backup")
RESTORE = ("POST", "/v1/settings/restore")
PREFLIGHT_DOCKER = "Preflight | Check that the target's Docker engine and containers are there"
FAST = {"migrate_ready_timeout": 30, "migrate_connected_timeout": 60, "migrate_api_retry_backoff": 0.2}


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    with source_and_targets(tmp_path_factory, "remote", PORTS, TARGETS) as made:
        yield made


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    with ssh_server(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def relay(pki):
    with TLSRelay(pki) as running:
        yield running


@pytest.fixture(autouse=True)
def source_up(envs):
    """Every test starts with the source running, whatever the last one did to it."""
    if envs.status("source") != "running":
        envs.start("source")


def migration(envs, target: str, host_vars: dict, **role_vars) -> Migration:
    """playbooks/migrate.yml for ``target``, with ``host_vars`` added by a second inventory file."""
    extra = envs.workdir / f"remote-{secrets.token_hex(4)}.yml"
    extra.write_text(yaml.safe_dump({"all": {"hosts": host_vars}}))
    (playbook, *args), run_dir = envs._migration_args(target, **FAST, **role_vars)
    return Migration(run_playbook(playbook, args=[*args, "-i", str(extra)]), target, run_dir)


def over_ssh(sshd, key=None, known_hosts=None, **more) -> dict:
    """Inventory variables of an environment whose engine is reached as ssh://root@127.0.0.1:PORT."""
    return {
        "wa_docker_host": sshd.docker_host,
        "wa_docker_ssh_private_key_file": str(key or sshd.key),
        "wa_docker_ssh_known_hosts_file": str(known_hosts or sshd.known_hosts),
        **more,
    }


def over_tls(relay, pki, ca=None, client_cert=True) -> dict:
    tls = {"wa_docker_host": relay.docker_host, "wa_docker_tls": True, "wa_docker_ca_path": str(ca or pki.ca)}
    if client_cert:
        tls.update(wa_docker_client_cert=str(pki.client), wa_docker_client_key=str(pki.client_key))
    return tls


def api_calls(envs, host: str, since: int) -> set[tuple[str, str]]:
    return {(r["method"], r["path"]) for r in envs.requests(host)[since:]}


def test_restart_over_ssh_and_source_stopped_with_the_ssh_client(envs, sshd):
    # The target's engine over paramiko, the source's over the ssh client (use_ssh_client).
    logins = sshd.logins()
    host_vars = {
        "over_ssh": {**over_ssh(sshd), "wa_source_after": "stop"},
        "source": over_ssh(sshd, wa_docker_use_ssh_client=True),
    }

    run = migration(envs, "over_ssh", host_vars)

    assert run.rc == 0, run.output
    report = run.report()
    assert report["result"] == "migrated"
    assert report["source"]["after"] == "stop"
    assert envs.status("over_ssh") == "running" and envs.status("source") == "exited"
    assert envs.emulator("over_ssh", "state")["registered"] is True
    assert len(envs.restores("over_ssh")) == 1
    restarted = run.result("Restart | Restart the target's containers")["containers"]
    assert [(c["name"], c["status_after"]) for c in restarted] == [(envs.container("over_ssh"), "running")]
    # Four container steps, each its own SSH login: the two preflight checks, the restart, the stop.
    assert sshd.logins() - logins >= 4


def test_container_steps_delegated_to_the_host_that_runs_them(envs, sshd):
    # wa_container_host names an inventory host reached by Ansible's ssh connection; the
    # container steps run there against its local socket, the API steps on the controller.
    logins = sshd.logins()
    host_vars = {"delegated": {"wa_container_host": "docker_host"}, "docker_host": sshd.inventory_host()}

    run = migration(envs, "delegated", host_vars)

    assert run.rc == 0, run.output
    assert run.report()["result"] == "migrated"
    assert envs.status("delegated") == "running"
    assert len(envs.restores("delegated")) == 1
    restarted = run.result("Restart | Restart the target's containers")
    assert restarted["changed"] and restarted["containers"][0]["status_after"] == "running"
    assert sshd.logins() - logins >= 2  # the preflight check and the restart, at least one login each


def test_restart_over_tls_with_a_client_certificate(envs, relay, pki):
    verified = relay.verified

    run = migration(envs, "over_tls", {"over_tls": over_tls(relay, pki)})

    assert run.rc == 0, run.output
    assert run.report()["result"] == "migrated"
    assert envs.status("over_tls") == "running"
    assert len(envs.restores("over_tls")) == 1
    assert relay.verified - verified >= 2  # the preflight check and the restart, through the relay


REFUSALS = {
    "wrong key": (
        lambda sshd, relay, pki: over_ssh(sshd, key=sshd.stranger_key),
        "SSH authentication as root@127.0.0.1:{port} failed",
    ),
    "unknown host key": (
        lambda sshd, relay, pki: over_ssh(sshd, known_hosts=sshd.empty_known_hosts),
        "is not in {empty_known_hosts}, and an unknown host key is never accepted",
    ),
    "unknown host key, ssh client": (
        lambda sshd, relay, pki: over_ssh(sshd, known_hosts=sshd.empty_known_hosts, wa_docker_use_ssh_client=True),
        "Host key verification failed",
    ),
    "changed host key": (
        lambda sshd, relay, pki: over_ssh(sshd, known_hosts=sshd.other_known_hosts),
        "the host key of 127.0.0.1:{port} differs from the one in {other_known_hosts}",
    ),
    "engine down behind ssh": (
        lambda sshd, relay, pki: over_ssh(sshd, key=sshd.dead_engine_key),
        "no-engine.sock: connect: no such file or directory",
    ),
    "wrong CA": (
        lambda sshd, relay, pki: over_tls(relay, pki, ca=pki.other_ca),
        "certificate verify failed",
    ),
    "no client certificate": (
        lambda sshd, relay, pki: over_tls(relay, pki, client_cert=False),
        "check ca_path (the CA that signed the engine's certificate), client_cert and client_key",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_connection_stops_the_run_in_the_preflight_before_anything_changes(envs, sshd, relay, pki, case):
    make_vars, expected = REFUSALS[case]
    known_hosts = {path: path.read_bytes() for path in (sshd.empty_known_hosts, sshd.other_known_hosts)}
    source_log, target_log = len(envs.requests("source")), len(envs.requests("refused"))
    target_state = envs.emulator("refused", "state")

    run = migration(envs, "refused", {"refused": make_vars(sshd, relay, pki)})

    assert run.rc != 0
    report = run.report()
    assert report["failed_task"] == PREFLIGHT_DOCKER, run.output
    expected = expected.format(
        port=sshd.port, empty_known_hosts=sshd.empty_known_hosts, other_known_hosts=sshd.other_known_hosts
    )
    assert expected in report["error"], report["error"]
    assert "Nothing was imported" in run.failure()
    # Nothing changed: no backup asked of the source, no import into the target, its
    # state and container as they were, no backup file, no host key accepted.
    assert BACKUP not in api_calls(envs, "source", source_log)
    assert RESTORE not in api_calls(envs, "refused", target_log)
    assert envs.emulator("refused", "state") == target_state
    assert envs.status("refused") == "running" and envs.status("source") == "running"
    assert run.backups() == []
    assert {path: path.read_bytes() for path in known_hosts} == known_hosts
