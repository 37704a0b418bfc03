"""``GraphProcess``: run ``python -m wa_emulator graph`` as a real process, for tests.

with GraphProcess(tmp_path / "graph", ["--access-token", TOKEN, "--tls-self-signed"]) as graph:
    graph.url                        # https://127.0.0.1:PORT, for graph_url
    graph.graph_get("/v23.0/ID?fields=platform_type", TOKEN)
    graph.graph_state()              # numbers, wabas, on-prem shutdowns (no secret)
"""

from __future__ import annotations

import json

from ..launcher import EmulatorProcess


class GraphProcess(EmulatorProcess):
    def __init__(self, data_dir=None, args=(), **kwargs):
        kwargs.setdefault("admin_password", None)
        super().__init__(data_dir, args, **kwargs)

    def command(self) -> list[str]:
        return [
            self.python,
            "-m",
            "wa_emulator",
            "graph",
            "--data-dir",
            str(self.data_dir),
            "--host",
            self.host,
            "--port",
            str(self.port),
            *self.args,
        ]

    @property
    def ca_path(self) -> str | None:
        if self.cafile:
            return str(self.cafile)
        if "--tls-self-signed" in self.args:
            return str(self.data_dir / "tls" / "self-signed.pem")
        return None

    def graph(self, method: str, path: str, token: str | None, body: object = None) -> tuple[int, object]:
        return self.api(method, path, body, token=token)

    def graph_state(self) -> dict:
        status, body = self.api("GET", "/_emulator/state")
        if status != 200:
            raise RuntimeError(f"GET /_emulator/state: HTTP {status} {json.dumps(body)}")
        return body["state"]

    def register_calls(self) -> list[dict]:
        return [r for r in self.request_log() if r["method"] == "POST" and r["path"].endswith("/register")]
