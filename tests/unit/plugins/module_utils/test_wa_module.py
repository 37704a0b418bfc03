# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/wa_module (WAModule) and the connection doc fragment."""

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml

from ansible_collections.wabiz.migration.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.wabiz.migration.plugins.module_utils import wa_module
from ansible_collections.wabiz.migration.plugins.module_utils.wa_module import (
    CONNECTION_ARGSPEC,
    WAModule,
    connection_argspec,
)
from ansible_collections.wabiz.migration.tests.unit.wa_fake_api import ADMIN_PASSWORD, run_module, warnings_of

ENV = (
    "WA_API_URL",
    "WA_API_USERNAME",
    "WA_API_PASSWORD",
    "WA_API_TOKEN",
    "WA_API_VALIDATE_CERTS",
    "WA_API_CA_PATH",
    "WA_API_TIMEOUT",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def probe_module(call_api=False):
    """A tiny module built on WAModule, returning what it sees."""

    def main():
        module = WAModule(argument_spec=dict(extra=dict(type="str")), supports_check_mode=True)
        if call_api:
            module.run(module.client.health)
        client = module.client
        module.exit_json(
            changed=False,
            seen=dict(
                api_url=client.api_url,
                username=client.username,
                has_password=client.password is not None,
                has_token=client.token is not None,
                verify=client._verify,
                timeout=client.timeout,
                retries=client.retries,
                retry_backoff=client.retry_backoff,
                extra=module.params["extra"],
            ),
        )

    return types.SimpleNamespace(main=main)


def test_argspec_merge_keeps_module_options_and_copies():
    spec = connection_argspec(dest=dict(type="path"), timeout=dict(type="int", default=5))
    assert spec["dest"] == {"type": "path"}
    assert spec["timeout"] == {"type": "int", "default": 5}  # a module may override
    assert CONNECTION_ARGSPEC["timeout"]["type"] == "float"
    spec["api_url"]["type"] = "raw"
    assert CONNECTION_ARGSPEC["api_url"]["type"] == "str"


def test_secrets_are_no_log():
    assert CONNECTION_ARGSPEC["password"]["no_log"] is True
    assert CONNECTION_ARGSPEC["token"]["no_log"] is True


def test_defaults():
    failed, result, _raw = run_module(probe_module(), {"api_url": "https://wa:443", "password": "Xyz-Secret-1!"})
    assert not failed
    assert result["seen"] == dict(
        api_url="https://wa:443",
        username="admin",
        has_password=True,
        has_token=False,
        verify=True,
        timeout=30.0,
        retries=3,
        retry_backoff=0.5,
        extra=None,
    )
    assert "warnings" not in result


def test_environment_fallbacks(monkeypatch, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    monkeypatch.setenv("WA_API_URL", "https://from-env:8443/")
    monkeypatch.setenv("WA_API_USERNAME", "ops")
    monkeypatch.setenv("WA_API_TOKEN", "tok-from-env")
    monkeypatch.setenv("WA_API_VALIDATE_CERTS", "yes")
    monkeypatch.setenv("WA_API_CA_PATH", str(ca))
    monkeypatch.setenv("WA_API_TIMEOUT", "7.5")
    failed, result, raw = run_module(probe_module(), {})
    assert not failed, result
    seen = result["seen"]
    assert seen["api_url"] == "https://from-env:8443"
    assert seen["username"] == "ops"
    assert seen["has_token"] and not seen["has_password"]
    assert seen["verify"] == str(ca)
    assert seen["timeout"] == 7.5
    assert "tok-from-env" not in raw  # env secrets are no_log too


def test_password_from_environment_and_validate_certs_false(monkeypatch):
    monkeypatch.setenv("WA_API_URL", "https://wa:443")
    monkeypatch.setenv("WA_API_PASSWORD", "env-Secret-pw1!")
    monkeypatch.setenv("WA_API_VALIDATE_CERTS", "false")
    failed, result, raw = run_module(probe_module(), {})
    assert not failed
    assert result["seen"]["has_password"] and result["seen"]["verify"] is False
    assert any("validate_certs is false" in w for w in warnings_of(result))
    assert "env-Secret-pw1!" not in raw


def test_explicit_options_beat_environment(monkeypatch):
    monkeypatch.setenv("WA_API_URL", "https://from-env:1")
    failed, result, _raw = run_module(probe_module(), {"api_url": "https://explicit:2", "token": "tok-Secret-12345"})
    assert not failed and result["seen"]["api_url"] == "https://explicit:2"


def test_password_or_token_required():
    failed, result, _raw = run_module(probe_module(), {"api_url": "https://wa:443"})
    assert failed
    assert "one of the following is required: password, token" in result["msg"]


def test_api_url_required():
    failed, result, _raw = run_module(probe_module(), {"password": "Xyz-Secret-1!"})
    assert failed
    assert "api_url is required" in result["msg"] and "WA_API_URL" in result["msg"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"timeout": 0}, "timeout must be at least 0.1 s"),
        ({"timeout": -1}, "timeout must be at least 0.1 s"),
        ({"timeout": "nan"}, "timeout must be a finite number (got nan)"),
        ({"timeout": "inf"}, "timeout must be a finite number (got inf)"),
        ({"timeout": 1e9}, "timeout must be at most 86400"),
        ({"retries": -1}, "retries must be at least 0 (got -1)"),
        ({"retry_backoff": -0.5}, "retry_backoff must be at least 0 s"),
        ({"retry_backoff": "-inf"}, "retry_backoff must be a finite number (got -inf)"),
        ({"api_url": "wa.example.com"}, "is not an http(s) URL"),
        ({"ca_path": "/nonexistent/ca.pem"}, "ca_path /nonexistent/ca.pem does not exist"),
        ({"ca_path": "/etc/ca\x00.pem"}, "ca_path holds a NUL character"),
        ({"ca_path": "/" + "d/" * 2100 + "ca.pem"}, "ca_path is too long to be a path"),
        ({"ca_path": "/etc/" + "c" * 300}, "ca_path has a name of 300 bytes"),
        ({"username": "adm\u00efn\u20ac"}, "username has characters outside Latin-1"),
        ({"username": "ad:min"}, "username holds ':'"),
        ({"password": "\u0437\u0430\u043f\u0440\u0435\u0442-\u20ac"}, "password has characters outside Latin-1"),
        ({"password": "line\nbreak"}, "password holds a control character"),
        ({"token": "tok\r\nX-Injected: 1"}, "token holds a control character"),
    ],
)
def test_bad_connection_options(args, message):
    """Each refused before any connection (the api_url resolves nowhere), with the option named, no secret quoted."""
    base = {"api_url": "https://wa:443", "password": "Xyz-Secret-1!"}
    base.update(args)
    failed, result, _raw = run_module(probe_module(call_api=True), base)
    assert failed and message in result["msg"], result["msg"]
    assert result.get("error", {}).get("kind", "config") == "config"  # refused before anything was tried
    for name in ("password", "token"):
        if name in args:
            assert args[name] not in result["msg"]


@pytest.mark.parametrize(
    "api_url",
    [
        "http://admin:S3cr3t-In-Url@wa-prod.internal:443",
        "https://S3cr3t-In-Url@wa-prod.internal",
        "admin:S3cr3t-In-Url@wa-prod.internal:443",
        "  https://admin:S3cr3t-In-Url@wa-prod.internal/v1",
    ],
)
def test_api_url_with_user_information_is_refused_without_repeating_it(api_url):
    failed, result, raw = run_module(probe_module(call_api=True), {"api_url": api_url, "password": "Xyz-Secret-1!"})
    assert failed
    assert result["msg"].startswith("api_url holds user information")
    assert "Nothing was sent" in result["msg"]
    assert "S3cr3t-In-Url" not in raw  # nowhere in what the module returns, its arguments' echo included
    assert "wa-prod.internal" not in result["msg"]


def test_api_url_user_information_hidden_even_when_another_option_fails_first():
    failed, result, raw = run_module(
        probe_module(), {"api_url": "http://admin:S3cr3t-In-Url@wa:443", "password": "x", "timeout": "nan"}
    )
    assert failed and "timeout must be a finite number" in result["msg"]
    assert "S3cr3t-In-Url" not in raw


def test_api_error_becomes_fail_json_without_secret(free_port):
    failed, result, raw = run_module(
        probe_module(call_api=True),
        {"api_url": f"http://127.0.0.1:{free_port}", "password": ADMIN_PASSWORD, "retries": 0},
    )
    assert failed
    assert "Connection refused" in result["msg"]
    assert result["error"]["kind"] == "connection"
    assert result["error"]["request"] == "POST /v1/users/login"
    assert ADMIN_PASSWORD not in raw


def test_missing_requests(monkeypatch):
    monkeypatch.setattr(wa_module, "HAS_REQUESTS", False)
    monkeypatch.setattr(wa_module, "REQUESTS_IMPORT_ERROR", "Traceback: No module named 'requests'")
    failed, result, _raw = run_module(probe_module(), {"api_url": "https://wa:443", "password": "Xyz-Secret-1!"})
    assert failed
    assert "requests" in result["msg"] and "Failed to import the required Python library" in result["msg"]


def test_doc_fragment_matches_the_argspec():
    doc = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)
    options = doc["options"]
    assert set(options) == set(CONNECTION_ARGSPEC)
    for name, spec in CONNECTION_ARGSPEC.items():
        assert options[name]["type"] == spec["type"], name
        assert options[name].get("default") == spec.get("default"), name
        env = spec.get("fallback", (None, []))[1]
        for variable in env:
            assert f"E({variable})" in " ".join(options[name]["description"]), name


def test_module_utils_import_is_guarded():
    """wa_client and wa_module import without requests (the module then calls missing_required_lib)."""
    code = (
        "import sys; sys.modules['requests'] = None\n"
        "from ansible_collections.wabiz.migration.plugins.module_utils import wa_client, wa_module\n"
        "assert wa_client.HAS_REQUESTS is False and wa_module.HAS_REQUESTS is False\n"
        "assert 'requests' in wa_client.REQUESTS_IMPORT_ERROR\n"
        "print('guarded')\n"
    )
    root = str(Path(wa_module.__file__).parents[5])  # the directory holding ansible_collections
    path = os.pathsep.join([root, *(p for p in sys.path if p)])  # ansible may come from PYTHONPATH (ansible-test)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": path}, check=False
    )
    assert done.stdout.strip() == "guarded", done.stderr


def base_probe():
    """A module on WABaseModule alone (no connection options), as wa_lock, wa_report and wa_backup_prune are."""
    from ansible_collections.wabiz.migration.plugins.module_utils.wa_module_base import WABaseModule

    def main():
        module = WABaseModule(
            argument_spec=dict(resource=dict(type="str"), owner=dict(type="str"), where=dict(type="path")),
            supports_check_mode=True,
        )
        module.exit_json(changed=False, seen=module.params)

    return types.SimpleNamespace(main=main)


def test_url_credentials_in_any_option_are_hidden_from_the_result():
    failed, result, raw = run_module(
        base_probe(), {"resource": "https://admin:S3cr3t-In-Url@wa:443", "owner": "admin@ops", "where": "/tmp/x"}
    )
    assert not failed
    assert "S3cr3t-In-Url" not in raw
    assert result["seen"]["owner"] == "admin@ops"  # not a URL: nothing hidden, "admin" stays readable


def test_a_path_option_with_a_nul_fails_the_base_module_before_anything():
    failed, result, _raw = run_module(base_probe(), {"where": "/tmp/a\x00b"})
    assert failed and result["msg"] == "where holds a NUL character: it cannot be a path. Nothing was done."
