# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the wa_lock module (the lock itself: tests/unit/plugins/module_utils/test_wa_lock_file.py)."""

import json
import subprocess
import sys

import pytest

from ansible_collections.wabiz.migration.plugins.modules import wa_lock
from ansible_collections.wabiz.migration.tests.unit.wa_fake_api import run_module, warnings_of

TARGET = "https://wa-new.example.com:443"


@pytest.fixture
def args(tmp_path):
    return {"lock_dir": str(tmp_path / "locks"), "resource": TARGET, "owner": "run-1", "labels": {"env": "staging"}}


def test_take_then_release(args, tmp_path):
    failed, result, _output = run_module(wa_lock, args)
    assert not failed and result["changed"]
    assert result["path"] == str(tmp_path / "locks" / "wa-new.example.com_443.lock")
    assert result["holder"]["owner"] == "run-1" and result["replaced"] is None
    failed, result, _output = run_module(wa_lock, dict(args, state="absent"))
    assert not failed and result["changed"] and result["holder"] is None
    assert not (tmp_path / "locks" / "wa-new.example.com_443.lock").exists()


def test_held_lock_fails_with_its_holder_and_release_by_another_run_leaves_it(args):
    run_module(wa_lock, args)
    failed, result, _output = run_module(wa_lock, dict(args, owner="run-2"))
    assert failed
    assert "Another run is migrating this target: run run-1" in result["msg"] and "env staging" in result["msg"]
    assert result["holder"]["owner"] == "run-1"
    failed, result, _output = run_module(wa_lock, dict(args, owner="run-2", state="absent"))
    assert not failed and not result["changed"] and result["holder"]["owner"] == "run-1"
    assert any("not by this run" in w for w in warnings_of(result))


def test_stale_lock_is_replaced_with_a_warning(args, tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    run_module(wa_lock, args)
    path = tmp_path / "locks" / "wa-new.example.com_443.lock"
    path.write_text(json.dumps(dict(json.loads(path.read_text()), pid=proc.pid, pid_start="1")))
    failed, result, _output = run_module(wa_lock, dict(args, owner="run-2"))
    assert not failed and result["changed"] and result["replaced"]["owner"] == "run-1"
    assert any("Replaced the stale lock of run run-1" in w and "has ended" in w for w in warnings_of(result))


def test_check_mode_creates_nothing(args, tmp_path):
    failed, result, _output = run_module(wa_lock, args, check_mode=True)
    assert not failed and result["changed"]
    assert not (tmp_path / "locks").exists()


@pytest.mark.parametrize(("bad", "message"), [({"owner": " "}, "owner is empty"), ({"max_age": 0}, "max_age")])
def test_bad_options_fail_before_anything(args, tmp_path, bad, message):
    failed, result, _output = run_module(wa_lock, dict(args, **bad))
    assert failed and message in result["msg"]
    assert not (tmp_path / "locks").exists()
