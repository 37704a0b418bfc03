"""Multiconnect with external coreapp processes (the container topology)."""

from __future__ import annotations

import signal
import subprocess
import time

from emulator_helpers import BACKUP_PASSWORD, wait_for

from wa_emulator.launcher import process_env, python_executable


def _coreapp(data_dir, name) -> subprocess.Popen:
    env = process_env()
    cmd = [python_executable(), "-m", "wa_emulator", "coreapp", "--data-dir", str(data_dir), "--name", name]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _coreapp_statuses(emu, token):
    health = emu.api("GET", "/v1/health", token=token)[1]["health"]
    return sorted(n["gateway_status"] for n in health.values() if n["role"] == "coreapp")


def test_heartbeats_show_in_health_and_nodes_exit_after_restore(emulator):
    src = emulator("--state", "registered", "--shards", "2", "--phone", "15550006666", name="src")
    data = src.api("POST", "/v1/settings/backup", {"password": BACKUP_PASSWORD}, token=src.admin_token())[1]

    dst = emulator("--external-coreapps", name="dst")
    token = dst.admin_token()
    assert _coreapp_statuses(dst, token) == []
    nodes = [_coreapp(dst.data_dir, f"core-{i}") for i in (1, 2, 3)]
    try:
        wait_for(lambda: _coreapp_statuses(dst, token) == ["unregistered"] * 3)
        beat = (dst.data_dir / "nodes" / "core-1.json").read_text()
        assert '"generation": 1' in beat and '"pid"' in beat

        # A stopped node disappears at once (it removes its heartbeat), promptly on SIGTERM.
        nodes[2].send_signal(signal.SIGTERM)
        assert nodes[2].wait(3) == 0
        wait_for(lambda: _coreapp_statuses(dst, token) == ["unregistered"] * 2)

        body = {"password": BACKUP_PASSWORD, "data": data["settings"]["data"]}
        assert dst.api("POST", "/v1/settings/restore", body, token=token)[0] == 200
        assert dst.wait_exit(5) == 0
        assert [n.wait(5) for n in nodes[:2]] == [0, 0]  # generation changed: the nodes exit by themselves

        dst.restart()
        token = dst.admin_token()
        assert _coreapp_statuses(dst, token) == []  # registered, but no node running yet
        status, body = dst.api("POST", "/v1/settings/backup", {"password": BACKUP_PASSWORD}, token=token)
        assert status == 400  # not running: no coreapp
        nodes = [_coreapp(dst.data_dir, f"core-{i}") for i in (1, 2, 3)]
        wait_for(lambda: _coreapp_statuses(dst, token) == ["connected", "connected", "disconnected"])
        assert dst.state()["generation"] == 2
    finally:
        for node in nodes:
            if node.poll() is None:
                node.kill()
                node.wait()


def test_stale_heartbeats_are_ignored(emulator):
    emu = emulator("--external-coreapps", "--state", "registered")
    token = emu.admin_token()
    node = _coreapp(emu.data_dir, "core-1")
    try:
        wait_for(lambda: _coreapp_statuses(emu, token) == ["connected"])
        node.send_signal(signal.SIGKILL)  # no clean-up: the heartbeat file stays and goes stale
        node.wait()
        assert (emu.data_dir / "nodes" / "core-1.json").exists()
        time.sleep(0.2)
        wait_for(lambda: _coreapp_statuses(emu, token) == [], timeout=5)
    finally:
        if node.poll() is None:
            node.kill()
