# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets never leave the vault: a whole migration in containers at -vvv, ANSIBLE_DEBUG off and on.

Every output is collected (stdout, stderr, ANSIBLE_LOG_PATH, the reports, the backup's manifest,
any lock left) and searched for the API passwords, the backup password, every token the clients
issued (the emulators keep their sha256 hashes: every token-shaped string of the outputs is hashed
and compared) and the backup data. Files and directories are private (0600, 0700). TLS
certificates are verified by default; turning that off works, with a warning.
"""

import hashlib
import os
import re
import stat

import pytest
from role_fixtures import source_and_targets

pytestmark = pytest.mark.docker

PORTS = 20200  # this module's host ports: 20200-20209 on 127.0.0.1
FAST = {"migrate_ready_timeout": 30, "migrate_connected_timeout": 60, "migrate_api_retry_backoff": 0.2}
TOKENISH = re.compile(r"[A-Za-z0-9_\-.+/=]{20,}")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.")


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    with source_and_targets(tmp_path_factory, "secrets", PORTS, ["quiet", "debug", "untouched"]) as made:
        yield made


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def token_hashes(envs, *hosts):
    return {digest for host in hosts for digest in envs.state_file(host)["tokens"]}


@pytest.mark.parametrize("target", ["quiet", "debug"])
def test_no_secret_in_any_output_even_at_vvv_and_with_ansible_debug(envs, tmp_path, target):
    log = tmp_path / "ansible.log"
    env = {"ANSIBLE_LOG_PATH": str(log), "ANSIBLE_DEBUG": "1" if target == "debug" else "0"}

    run = envs.migration(target, verbosity=3, json_output=False, env=env, **FAST)

    assert run.rc == 0, run.output[-3000:]
    (backup,) = run.backups()
    manifest = backup.with_name(backup.name + ".manifest.json")
    # The reports (JSON, Markdown, JUnit) and the migration record beside them, all checked for secrets.
    reports = sorted(run.report_dir.iterdir())
    assert sorted(p.name.split("-migration-")[-1].rsplit(".", 1)[-1] for p in reports) == ["json", "json", "md", "xml"]
    assert [p.name for p in reports if p.name.startswith("migration-record-")] == [f"migration-record-{target}.json"]
    outputs = {
        "stdout": run.run.stdout,
        "stderr": run.run.stderr,
        "ANSIBLE_LOG_PATH": log.read_text(),
        "manifest": manifest.read_text(),
        **{p.name: p.read_text() for p in reports},
        **{p.name: p.read_text() for p in envs.lock_dir.glob("*")},
    }
    assert len(outputs["ANSIBLE_LOG_PATH"]) > 10_000  # -vvv really logged
    if target == "debug":
        assert "done with _execute_module (wabiz.migration.wa_restore" in outputs["stdout"]  # debugging was on

    data = backup.read_text()
    hashes = token_hashes(envs, "source", target)
    assert hashes, "the clients issued tokens"
    for name, text in outputs.items():
        for secret in envs.secrets:
            assert secret not in text, f"a password is in {name}"
        assert data not in text, f"the backup data is in {name}"
        for start in range(0, len(data) - 40, len(data) // 8):
            assert data[start : start + 40] not in text, f"a piece of the backup data is in {name}"
        assert not JWT.search(text), f"a token is in {name}"
        leaked = {m for m in TOKENISH.findall(text) if hashlib.sha256(m.encode()).hexdigest() in hashes}
        assert not leaked, f"a token is in {name}"

    # Private files in private directories.
    assert mode(run.backup_dir) == 0o700 and mode(run.report_dir) == 0o700 and mode(envs.lock_dir) == 0o700
    assert {mode(p) for p in (backup, manifest, *reports)} == {0o600}


def test_certificates_are_verified_by_default(envs):
    target_log = len(envs.requests("untouched"))

    run = envs.migration("untouched", migrate_source_ca_path="", migrate_target_ca_path="", **FAST)

    assert run.rc != 0
    assert "TLS certificate verification failed" in run.failure()
    assert run.report()["failed_task"] == "Preflight | Read the source"
    assert envs.requests("untouched")[target_log:] == []


def test_turning_verification_off_works_with_a_warning(envs):
    target_log = len(envs.requests("untouched"))
    insecure = {"migrate_source_ca_path": "", "migrate_target_ca_path": ""}
    insecure |= {"migrate_source_validate_certs": False, "migrate_target_validate_certs": False}

    run = envs.migration("untouched", check=True, **insecure, **FAST)

    assert run.rc == 0, run.output
    for task in ("Preflight | Read the source", "Preflight | Read the target"):
        warnings = " ".join(str(w) for w in run.result(task).get("warnings", []))
        assert "validate_certs is false: the client's TLS certificate is not verified" in warnings
    sent = {(r["method"], r["path"]) for r in envs.requests("untouched")[target_log:]}
    assert ("POST", "/v1/settings/restore") not in sent
    assert envs.emulator("untouched", "state")["registered"] is False
