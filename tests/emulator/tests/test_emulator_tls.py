"""TLS: a private CA from make-certs, and --tls-self-signed."""

from __future__ import annotations

import ssl
import subprocess

import pytest

from wa_emulator.launcher import process_env, python_executable


def test_make_certs_ca_and_server(emulator, tmp_path):
    out = tmp_path / "certs"
    result = subprocess.run(
        [python_executable(), "-m", "wa_emulator", "make-certs", "--out", str(out), "--hostname", "localhost"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=process_env(),
    )
    assert result.returncode == 0, result.stderr
    for name in ("ca.pem", "ca.key", "server.pem", "server.key"):
        assert (out / name).stat().st_size > 0
    assert (out / "ca.key").stat().st_mode & 0o077 == 0

    emu = emulator("--tls-cert", str(out / "server.pem"), "--tls-key", str(out / "server.key"), cafile=out / "ca.pem")
    assert emu.url.startswith("https://127.0.0.1:")
    status, body = emu.api("GET", "/v1/health", token=emu.admin_token())
    assert status == 200 and body["health"] == {"gateway_status": "unregistered"}

    # Without the CA the certificate is refused, and the server keeps serving.
    emu.cafile = None
    with pytest.raises(ssl.SSLCertVerificationError):
        emu.api("GET", "/v1/health")
    emu.cafile = out / "ca.pem"
    assert emu.api("GET", "/v1/health")[0] == 401


def test_self_signed_is_generated_once(emulator):
    emu = emulator("--tls-self-signed")
    pem = emu.data_dir / "tls" / "self-signed.pem"
    first = pem.read_bytes()
    assert emu.api("GET", "/v1/health", token=emu.admin_token())[0] == 200
    emu.restart()
    assert pem.read_bytes() == first
    assert emu.api("GET", "/v1/health", token=emu.admin_token())[0] == 200
