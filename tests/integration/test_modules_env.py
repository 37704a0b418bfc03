# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options' environment fallbacks: WA_API_URL, WA_API_USERNAME, WA_API_PASSWORD, WA_API_TOKEN.

The variables are set on each task (``environment``), which is the environment of the module's process.
"""

from wa_emulator.launcher import free_port


def test_environment_fallbacks(source, play, tmp_path):
    source.add_user("operator", "Operat0r-Pass!")
    token = source.login()
    url = {"WA_API_URL": source.url}

    def from_environment(name, module, environment, **args):
        return {
            "name": name,
            f"wabiz.migration.{module}": args,
            "environment": environment,
            "ignore_errors": True,
        }

    run = play(
        [
            from_environment("With WA_API_PASSWORD", "wa_info", {**url, "WA_API_PASSWORD": source.admin_password}),
            from_environment("With WA_API_TOKEN", "wa_info", {**url, "WA_API_TOKEN": token}),
            from_environment(
                "With WA_API_USERNAME",
                "wa_backup",
                {**url, "WA_API_USERNAME": "operator", "WA_API_PASSWORD": "Operat0r-Pass!"},
                backup_password="Env-Backup-Pa55!",
                dest=str(tmp_path / "wa.backup"),
            ),
            from_environment(
                "Options over the environment",
                "wa_info",
                {"WA_API_URL": f"http://127.0.0.1:{free_port()}", "WA_API_PASSWORD": "Wr0ng-Passw0rd!"},
                api_url=source.url,
                password=source.admin_password,
            ),
        ]
    )

    state = source.state()
    for name in ("With WA_API_PASSWORD", "With WA_API_TOKEN", "Options over the environment"):
        result = run.result(name)
        assert result.get("failed") is not True, result
        assert result["phone_number"] == state["cc"] + state["phone_number"]
    as_operator = run.result("With WA_API_USERNAME")
    assert as_operator["failed"] is True  # logged in (as operator, with its password), then refused the export
    assert "Backup and restore need the admin user: log in as admin (username is 'operator')." in as_operator["msg"]
    assert not (tmp_path / "wa.backup").exists()
