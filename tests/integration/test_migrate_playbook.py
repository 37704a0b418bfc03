"""playbooks/migrate.yml end to end in containers: many pairs at once, check mode, every restart
strategy, and the explicit override for a registered target."""

import json
import os

import pytest

pytest_plugins = ["role_fixtures"]

pytestmark = pytest.mark.docker

PORTS = 23000  # this module's host ports: 23000-23099 on 127.0.0.1


def reports(envs):
    """Every JSON report the runs of this test wrote, oldest first."""
    return [
        json.loads(p.read_text())
        for p in sorted(envs.report_dir.rglob("*-migration-*.json"), key=lambda p: p.stat().st_mtime)
    ]


def only_report(envs, host):
    (report,) = [r for r in reports(envs) if r["environment"] == host]
    return report


def verified(run, host):
    return run.result("Verify | Wait until the target is connected", host)


# WABIZ_EMULATOR_DOCUMENTED_ONLY=1 runs these against clients that answer only documented calls:
# then no number can be read through the API, and the emulator's test view tells it instead.
DOCUMENTED_ONLY = os.environ.get("WABIZ_EMULATOR_DOCUMENTED_ONLY", "") not in ("", "0")


def number(envs, host):
    """The number ``host`` is registered with, from the emulator's test view (works in both modes)."""
    state = envs.emulator(host, "state")
    return f"{state['cc']}{state['phone_number']}"


def readable(value):
    """What the API tells of a number: nothing when only documented calls answer."""
    return None if DOCUMENTED_ONLY else value


def test_two_pairs_in_one_run_with_forks(environments):
    envs = environments(
        "wa-it-pairs",
        PORTS,
        hosts={
            "src_a": {"state": "registered", "phone": "15550000001"},
            "tgt_a": {},
            "src_b": {"state": "registered", "phone": "15550000002"},
            "tgt_b": {"version": "v2.47.1"},
        },
        migrations={"tgt_a": {"wa_migrate_from": "src_a"}, "tgt_b": {"wa_migrate_from": "src_b"}},
    )
    run = envs.migrate(args=["--forks", "2"])
    assert run.rc == 0, run.output

    assert number(envs, "tgt_a") == "15550000001" and number(envs, "tgt_b") == "15550000002"
    assert verified(run, "tgt_a")["phone_number"] == readable("15550000001")
    assert sorted((r["environment"], r["result"]) for r in reports(envs)) == [
        ("tgt_a", "migrated"),
        ("tgt_b", "migrated"),
    ]
    plan = {host: run.result("Preflight | Show the plan", host)["msg"] for host in ("tgt_a", "tgt_b")}
    assert "API versions match." in plan["tgt_a"]
    assert "WARNING: API versions differ (v2.45.1 -> v2.47.1)." in plan["tgt_b"]
    summary = [r["msg"] for r in run.result("One line a migration")["results"]]
    assert [line.split(":")[0] for line in summary] == ["tgt_a", "tgt_b"]
    assert all(": migrated" in line for line in summary)


def test_check_mode_runs_the_preflight_prints_the_plan_and_changes_nothing(environments):
    envs = environments(
        "wa-it-check",
        PORTS + 10,
        hosts={"source": {"state": "registered"}, "target": {}},
        migrations={"target": {"wa_migrate_from": "source"}},
    )
    state_before = {host: envs.emulator(host, "state") for host in envs.hosts}
    run = envs.migrate(check=True)
    assert run.rc == 0, run.output

    assert (
        "Plan: back up, restore, restart (docker), verify, then leave the source."
        in run.result("Preflight | Show the plan", "target")["msg"]
    )
    assert run.stats("target")["changed"] == 0
    assert not envs.backup_dir.exists()
    for host in envs.hosts:
        assert envs.emulator(host, "state") == state_before[host]
        assert [e["event"] for e in envs.emulator(host, "lifecycle")] == ["start"]
        sent = {(r["method"], r["path"]) for r in envs.emulator(host, "requests")}
        assert not sent & {("POST", "/v1/settings/backup"), ("POST", "/v1/settings/restore")}


@pytest.mark.parametrize(
    ("strategy", "target", "settings"),
    [
        (
            "compose",
            {"extra_labels": {"com.docker.compose.project": "wa-it-compose", "com.docker.compose.service": "waweb"}},
            {"wa_compose_project": "wa-it-compose", "wa_compose_services": ["waweb"]},
        ),
        ("command", {}, {"wa_restart_command": ["docker", "restart", "wa-it-command-target"]}),
        # A platform that restarts the client itself (here: Docker's restart policy).
        ("none", {"restart_policy": "always"}, {}),
    ],
)
def test_restart_strategies(environments, strategy, target, settings):
    offset = {"compose": 20, "command": 30, "none": 40}[strategy]
    envs = environments(
        f"wa-it-{strategy}",
        PORTS + offset,
        hosts={"source": {"state": "registered"}, "target": target},
        migrations={"target": {"wa_migrate_from": "source", "wa_restart_strategy": strategy, **settings}},
    )
    run = envs.migrate()
    assert run.rc == 0, run.output
    assert verified(run, "target")["connected"]
    assert only_report(envs, "target")["restart_strategy"] == strategy
    lifecycle = [(e["event"], e.get("reason")) for e in envs.emulator("target", "lifecycle")]
    assert lifecycle[:3] == [("start", None), ("exit", "restore"), ("start", None)]


def test_registered_target_is_overwritten_only_on_request_after_a_safety_backup(environments):
    envs = environments(
        "wa-it-override",
        PORTS + 50,
        hosts={
            "source": {"state": "registered", "phone": "15550000011"},
            "target": {"state": "registered", "phone": "15550000099"},
        },
        migrations={"target": {"wa_migrate_from": "source"}},
    )
    refused = envs.migrate()
    assert refused.rc != 0
    assert "is already registered" in refused.result("Preflight | Refuse a registered target", "target")["msg"]
    assert not envs.backup_dir.exists()

    run = envs.migrate({"migrate_allow_registered_target": True})
    assert run.rc == 0, run.output
    assert number(envs, "target") == "15550000011"
    assert verified(run, "target")["phone_number"] == readable("15550000011")
    safety = list(envs.backup_dir.glob("target-target-before-*.wabk"))
    assert len(safety) == 1
    manifest = json.loads(safety[0].with_name(safety[0].name + ".manifest.json").read_text())
    assert manifest.get("phone_number") == readable("15550000099")
    assert [r["result"] for r in reports(envs)] == ["failed", "migrated"]
    assert reports(envs)[-1]["backup"]["safety_copy_of_target"] == str(safety[0])
