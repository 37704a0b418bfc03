# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The source after a migration (role migrate, migrate_source_after), in containers.

Three pairs migrate in one run (forks): ``stop`` (the source's container is stopped, and only
after the target's verification), ``leave`` (it keeps running), and ``stop`` with a failure after
the verification (the target's own settings are refused): the source must keep running, since
the migration did not finish. Each report says what became of its source.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime

import pytest
from dr_fixtures import TEST_LABEL, remove_labelled

pytest_plugins = ["docker_fixtures", "role_fixtures"]
pytestmark = pytest.mark.docker

TARGETS = ("tgt-stop", "tgt-leave", "tgt-fail")


def when(stamp: str) -> datetime:
    """An RFC 3339 time (Docker's nanoseconds or the emulator's milliseconds) as an aware datetime."""
    whole, _dot, fraction = stamp.replace("Z", "+00:00").partition(".")
    digits = "".join(c for c in fraction if c.isdigit())
    zone = fraction[len(digits) :] or "+00:00"
    return datetime.fromisoformat(f"{whole}.{digits[:6].ljust(6, '0')}{zone}")


def test_the_source_is_stopped_only_after_a_verified_migration(docker_client, emulator_image, environments):
    prefix = f"wa-dr-s{secrets.token_hex(3)}"
    hosts = {}
    for offset, pair in enumerate(("stop", "leave", "fail")):
        hosts[f"src-{pair}"] = {"state": "registered", "phone": f"1555000{offset}{offset}{offset}0"}
        hosts[f"tgt-{pair}"] = {}
    migrations = {
        "tgt-stop": {"wa_migrate_from": "src-stop", "wa_source_after": "stop"},
        "tgt-leave": {"wa_migrate_from": "src-leave", "wa_source_after": "leave", "wa_allow_running_source": True},
        "tgt-fail": {
            "wa_migrate_from": "src-fail",
            "wa_source_after": "stop",
            "wa_settings": {"no_such_setting": True},  # refused by the client, after the verification
        },
    }
    try:
        envs = environments(prefix, 22020, hosts, migrations)

        run = envs.migrate({"migrate_wait_interval": 0.2, "migrate_lock_dir": str(envs.workdir / "locks")})

        assert run.rc == 2, run.output
        reports = {}
        for target in TARGETS:
            (path,) = envs.report_dir.glob(f"{target}-migration-*.json")
            reports[target] = json.loads(path.read_text())
        assert [reports[t]["result"] for t in TARGETS] == ["migrated", "migrated", "failed"]
        assert [reports[t]["source"]["after"] for t in TARGETS] == ["stop", "leave", "leave"]
        assert reports["tgt-fail"]["failed_task"].startswith("Verify | Apply the target environment's own settings")

        assert envs.status("src-stop") == "exited"
        assert envs.status("src-leave") == envs.status("src-fail") == "running"
        for target in TARGETS:
            assert envs.status(target) == "running"
            assert len(envs.restores(target)) == 1

        # Stopped after the target answered its last verification request, not before.
        stopped = docker_client.containers.get(envs.container("src-stop")).attrs["State"]["FinishedAt"]
        last = envs.requests("tgt-stop")[-1]
        assert (last["method"], last["status"]) == ("GET", 200)
        assert when(stopped) > when(last["ts"])

        summaries = {t: run.result("Report | Summary", host=t)["msg"] for t in ("tgt-stop", "tgt-leave")}
        assert "Source: stopped" in summaries["tgt-stop"]
        assert any(line.startswith("Source: left running") for line in summaries["tgt-leave"])
        (markdown,) = envs.report_dir.glob("tgt-stop-migration-*.md")
        assert "| Source after | stop |" in markdown.read_text()
    finally:
        remove_labelled(docker_client, f"{TEST_LABEL}={prefix}")
