"""No password, token or backup data in requests.log, the output or state.json."""

from __future__ import annotations

from emulator_helpers import BACKUP_PASSWORD

NEW_ADMIN = "Rotated-Adm1n-pw!"


def test_no_secret_is_written_anywhere(emulator, tmp_path):
    src = emulator("--state", "registered", admin_password=None, name="src")
    first = src.login("admin", "secret", new_password=NEW_ADMIN)
    src.admin_password = NEW_ADMIN
    user_password = "Us3r-Pa55word!"
    src.api("POST", "/v1/users", {"username": "ops", "password": user_password}, token=first)
    user_token = src.login("ops", user_password)
    src.api("GET", "/v1/health?password=leak-in-query", token=user_token)
    backup = src.api("POST", "/v1/settings/backup", {"password": BACKUP_PASSWORD}, token=first)[1]
    data = backup["settings"]["data"]

    dst = emulator(name="dst")
    token = dst.admin_token()
    dst.api("POST", "/v1/settings/restore", {"password": "Wrong-Pa55phrase!", "data": data}, token=token)
    dst.api("POST", "/v1/settings/restore", {"password": BACKUP_PASSWORD, "data": data[:-8] + "AAAAAAAA"}, token=token)
    dst.api("POST", "/v1/settings/restore", {"password": BACKUP_PASSWORD, "data": data}, token=token)
    dst.wait_exit(5)
    src.stop()

    secrets = [
        "secret",
        NEW_ADMIN,
        user_password,
        BACKUP_PASSWORD,
        "Wrong-Pa55phrase!",
        "leak-in-query",
        first,
        user_token,
        token,
        data[:64],
        data[-64:],
        dst.admin_password,
    ]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "requests.log" for p in files) and any(p.name == "state.json" for p in files)
    for path in files:
        text = path.read_text(errors="replace")
        for secret in secrets:
            if secret == "secret" and path.name != "requests.log":
                continue  # the word itself appears in harmless places (e.g. key names)
            assert secret not in text, f"{path.name} contains a secret"
