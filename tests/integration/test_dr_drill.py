# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/drill.yml against a live client in a container: a passing drill and one that fails half-way.

Besides the drill's own report, the tests watch the Docker engine from outside while the drill
runs (IsolationWatch): the scratch client must never have a network other than the internal one,
nor a published port; and afterwards nothing labelled with the drill may be left.
"""

from __future__ import annotations

import os
import secrets
import xml.etree.ElementTree as ET

import pytest
import yaml
from dr_fixtures import TEST_LABEL, IsolationWatch, drill_resources, mode, read_json, remove_labelled
from playbook_runner import PLAYBOOKS

pytest.register_assert_rewrite("docker_fixtures", "role_fixtures")
from docker_fixtures import BASE_IMAGE, EMULATOR_IMAGE  # noqa: E402
from role_fixtures import running_environments  # noqa: E402
from ssh_fixtures import ssh_server  # noqa: E402
from tls_relay import TLSRelay, make_pki  # noqa: E402

pytest_plugins = ["docker_fixtures", "role_fixtures"]
pytestmark = pytest.mark.docker

DRILL = PLAYBOOKS / "drill.yml"
# WABIZ_EMULATOR_DOCUMENTED_ONLY=1: the live and the scratch clients answer only documented calls.
DOCUMENTED_ONLY = os.environ.get("WABIZ_EMULATOR_DOCUMENTED_ONLY", "") not in ("", "0")
# Not the defaults, so that settings that came back prove the restore.
LIVE_SETTINGS = {"webhooks": {"url": "https://hooks.live.example/wa"}, "callback_persist": False}
STEPS = [
    "backup taken",
    "backup verified (checksum, manifest, age, shard count, number)",
    "scratch environment isolated (internal network, no published port)",
    "scratch client started",
    "import accepted",
    "state restored (registered, number, shards, settings)",
    "scratch environment removed (containers, networks, volume)",
]


@pytest.fixture(scope="module")
def live(docker_client, emulator_image, base_image, tmp_path_factory):
    """One registered client with its own settings, for every drill of this module (drills only read it)."""
    prefix = f"wa-dr-d{secrets.token_hex(3)}"
    try:
        with running_environments(
            tmp_path_factory.mktemp("drill"), prefix, 22000, {"prod": {"state": "registered", "phone": "15550006666"}}
        ) as envs:
            api = envs.api("prod")
            status, body = api.api("PATCH", "/v1/settings/application", LIVE_SETTINGS, token=api.admin_token())
            assert status == 200, body
            yield envs
    finally:
        remove_labelled(docker_client, f"{TEST_LABEL}={prefix}")


def drill(live, report_dir, shards=1, args=(), **more):
    """Run the drill of ``prod``; the scratch client is the emulator image, unregistered, with ``shards``.

    ``more``: more extra vars (for example how the drill reaches its Docker engine); ``args``:
    more ansible-playbook arguments.
    """
    tls = live.workdir / "tls"
    scratch = {
        "name": "webapp",
        "image": EMULATOR_IMAGE,
        "command": [
            *("serve", "--host", "0.0.0.0", "--port", "443", "--data-dir", "/data"),
            *("--tls-cert", "/tls/server.pem", "--tls-key", "/tls/server.key"),
            *("--state", "unregistered", "--shards", str(shards), "--admin-password", "{{ wa_drill_password }}"),
            *(["--documented-only"] if DOCUMENTED_ONLY else []),
        ],
        "volumes": [f"{tls}:/tls:ro"],
    }
    return live.run(
        DRILL,
        extra_vars={
            "wa_drill_hosts": "prod",
            "wa_backup_root": str(live.workdir / "dr-backups"),
            "wa_drill_report_dir": str(report_dir),
            "wa_drill_relay_image": BASE_IMAGE,
            "wa_drill_ca_path": str(tls / "ca.pem"),
            "wa_drill_labels": {TEST_LABEL: live.prefix},
            "wa_drill_ready_timeout": 60,
            "wa_drill_connected_timeout": 60,
            "wa_drill_containers": [scratch],
            **more,
        },
        args=list(args),
    )


def reports(report_dir):
    """The drill's JSON report, its Markdown and its JUnit XML (parsed), each 0600 in a 0700 directory."""
    assert mode(report_dir) == "0o700"
    (json_path,) = report_dir.glob("*.json")
    paths = [json_path, json_path.with_suffix(".md"), json_path.with_suffix(".xml")]
    assert [mode(p) for p in paths] == ["0o600"] * 3
    return read_json(json_path), paths[1].read_text(), ET.parse(paths[2]).getroot()


def assert_live_untouched(live, before):
    assert live.restores("prod") == []
    after = live.state_file("prod")
    assert (after["generation"], after["identity_key_id"]) == (before["generation"], before["identity_key_id"])
    assert live.status("prod") == "running"


def test_drill_restores_into_an_isolated_scratch_client_and_removes_it(live, docker_client, tmp_path):
    before = live.state_file("prod")

    with IsolationWatch(docker_client, f"{TEST_LABEL}={live.prefix}") as watch:
        run = drill(live, tmp_path / "reports")

    assert run.rc == 0, run.output
    report, markdown, junit = reports(tmp_path / "reports")
    assert report["result"] == "passed"
    assert [(c["name"], c["status"]) for c in report["checks"]] == [(name, "passed") for name in STEPS]
    scratch = report["scratch"]
    assert (scratch["internal"], scratch["published_ports"], scratch["restore_status"]) == (True, [], "applied")
    assert (scratch["registered"], scratch["shards"], scratch["settings_equal"]) == (True, 1, True)
    # The number is readable only through our extension (GET /v1/account), not the documented API.
    assert scratch["phone_number"] == report["live"]["phone_number"] == (None if DOCUMENTED_ONLY else "15550006666")
    backup = live.workdir / "dr-backups" / "prod" / report["backup"]["path"].rsplit("/", 1)[1]
    assert report["backup"]["path"] == str(backup) and mode(backup) == "0o600" and report["backup"]["good"]
    assert markdown.startswith("# Disaster-recovery drill: prod\n\n**PASSED**")
    assert (junit.get("tests"), junit.get("failures"), junit.get("skipped")) == ("7", "0", "0")
    assert [case.get("name") for case in junit.iter("testcase")] == STEPS
    assert all(len(case) == 0 for case in junit.iter("testcase"))

    isolated, front = f"{report['drill_id']}-isolated", f"{report['drill_id']}-front"
    webapp, relay = watch.of("-webapp"), watch.of("-relay")
    assert webapp and relay, "the watch never saw the drill's containers"
    for sighting in webapp:
        assert sighting.networks == [isolated] and sighting.internal == {isolated: True}
        assert (sighting.port_bindings, sighting.publish_all) == ({}, False)
    # The relay is created on one network and connected to the other before it starts: only a
    # running relay has settled, and it must then bridge exactly the two.
    running_relay = [sighting for sighting in relay if sighting.running]
    assert running_relay, "the watch never saw the relay running"
    for sighting in running_relay:
        assert sighting.networks == sorted([isolated, front])
    for sighting in relay:
        assert [b["HostIp"] for bindings in sighting.port_bindings.values() for b in bindings] == ["127.0.0.1"]
    assert drill_resources(docker_client, f"wabiz.migration/drill={report['drill_id']}") == {
        "containers": [],
        "networks": [],
        "volumes": [],
    }
    assert_live_untouched(live, before)
    texts = run.output + markdown + (tmp_path / "reports").joinpath(f"{report['drill_id']}.json").read_text()
    for secret in live.secrets:
        assert secret not in texts


def test_a_drill_that_fails_half_way_still_removes_everything(live, docker_client, tmp_path):
    before = live.state_file("prod")

    run = drill(live, tmp_path / "reports", shards=2)  # a scratch client the backup cannot go into

    assert run.rc == 2, run.output
    report, markdown, junit = reports(tmp_path / "reports")
    assert report["result"] == "failed"
    assert report["failed_task"] == "Import the backup into the scratch client"
    assert report["error"].startswith("Shard mismatch: the backup was taken from 1 shard(s) but the target")
    statuses = ["passed"] * 4 + ["failed", "not run", "passed"]
    assert [(c["name"], c["status"]) for c in report["checks"]] == list(zip(STEPS, statuses, strict=True))
    assert report["cleanup"] == {"ok": True, "left_behind": []}
    assert "**FAILED**" in markdown and "| import accepted | failed | Shard mismatch" in markdown
    assert (junit.get("tests"), junit.get("failures"), junit.get("skipped")) == ("7", "1", "1")
    (failure,) = junit.iter("failure")
    assert failure.get("message") == report["error"]
    assert drill_resources(docker_client, f"wabiz.migration/drill={report['drill_id']}") == {
        "containers": [],
        "networks": [],
        "volumes": [],
    }
    message = run.result("Fail the drill", host="prod")["msg"]
    assert message.startswith("prod: drill failed in ")
    assert 'failed at "Import the backup into the scratch client": Shard mismatch' in message
    assert_live_untouched(live, before)


def test_drill_over_tls_with_a_client_certificate(live, docker_client, tmp_path):
    # Every Docker step (community.docker's and wa_container_restart) through a TLS front that
    # requires the test CA's client certificate.
    pki = make_pki(tmp_path / "pki")
    before = live.state_file("prod")

    with TLSRelay(pki) as relay:
        run = drill(
            live,
            tmp_path / "reports",
            wa_drill_docker_host=relay.docker_host,
            wa_drill_docker_tls=True,
            wa_drill_docker_ca_path=str(pki.ca),
            wa_drill_docker_client_cert=str(pki.client),
            wa_drill_docker_client_key=str(pki.client_key),
        )
        verified, refused = relay.verified, relay.refused

    assert run.rc == 0, run.output
    report, _markdown, _junit = reports(tmp_path / "reports")
    assert report["result"] == "passed"
    # Networks, volume, containers, relay, two starts, removals and the last look: all through TLS.
    assert verified >= 10 and refused == 0
    assert drill_resources(docker_client, f"wabiz.migration/drill={report['drill_id']}") == {
        "containers": [],
        "networks": [],
        "volumes": [],
    }
    assert_live_untouched(live, before)


def test_drill_delegated_to_the_host_that_runs_the_scratch_client(live, docker_client, tmp_path):
    # wa_drill_container_host names an inventory host reached over a real SSH hop: every Docker
    # step runs there, against its own socket; the API steps stay on the controller.
    before = live.state_file("prod")
    with ssh_server(tmp_path / "sshd") as sshd:
        extra = tmp_path / "docker-host.yml"
        extra.write_text(yaml.safe_dump({"all": {"hosts": {"docker_host": sshd.inventory_host()}}}))

        run = drill(live, tmp_path / "reports", args=["-i", str(extra)], wa_drill_container_host="docker_host")
        logins = sshd.logins()

    assert run.rc == 0, run.output
    report, _markdown, _junit = reports(tmp_path / "reports")
    assert report["result"] == "passed"
    assert logins >= 10  # networks, volume, containers, relay, two starts, removals, the last look
    assert drill_resources(docker_client, f"wabiz.migration/drill={report['drill_id']}") == {
        "containers": [],
        "networks": [],
        "volumes": [],
    }
    assert_live_untouched(live, before)
