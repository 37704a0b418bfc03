"""The lifecycle record: a client that exits by itself after an import says so, across restarts."""

from wa_emulator.launcher import EmulatorProcess

PASSWORD = "Admin-pass-1!"


def test_lifecycle_records_the_exit_after_a_restore_and_the_next_start(tmp_path):
    source = EmulatorProcess(
        tmp_path / "src", ["--state", "registered", "--admin-password", PASSWORD], admin_password=PASSWORD
    )
    target = EmulatorProcess(tmp_path / "dst", ["--admin-password", PASSWORD], admin_password=PASSWORD)
    with source, target:
        status, body = source.api(
            "POST", "/v1/settings/backup", {"password": "Backup-pass-1"}, token=source.admin_token()
        )
        assert status == 200
        status, _body = target.api(
            "POST",
            "/v1/settings/restore",
            {"password": "Backup-pass-1", "data": body["settings"]["data"]},
            token=target.admin_token(),
        )
        assert status == 200
        assert target.wait_exit(10) == 0
        target.restart()
        events = [(e["event"], e.get("reason")) for e in target._admin("GET", "/v1/_emulator/lifecycle")["lifecycle"]]
        assert events == [("start", None), ("exit", "restore"), ("start", None)]
        paths = [r["path"] for r in target._admin("GET", "/v1/_emulator/requests")["requests"]]
        assert paths.count("/v1/settings/restore") == 1
