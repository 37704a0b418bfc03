"""The few API calls the benchmark itself makes, with plain ``requests``.

``verify`` is given on every request: requests lets ``REQUESTS_CA_BUNDLE`` (set on many
machines) override ``Session.verify``.
"""

from __future__ import annotations

from pathlib import Path

import requests


class ApiSession:
    """A keep-alive session with one client, trusting its private CA."""

    def __init__(self, url: str, ca_path: Path, token: str | None = None):
        self.url = url
        self.verify = str(ca_path)
        self.token = token
        self.session = requests.Session()

    def __enter__(self) -> ApiSession:
        return self

    def __exit__(self, *exc) -> None:
        self.session.close()

    def call(self, method: str, path: str, timeout: float = 30, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.session.request(
            method, self.url + path, headers=headers, verify=self.verify, timeout=timeout, **kwargs
        )

    def login(self, password: str) -> str:
        answer = self.session.post(
            f"{self.url}/v1/users/login", json={}, auth=("admin", password), verify=self.verify, timeout=10
        )
        answer.raise_for_status()
        self.token = answer.json()["users"][0]["token"]
        return self.token

    def gateway_status(self, timeout: float = 2) -> str:
        """The single instance's gateway_status, or ``http-<status>`` when it does not answer 200."""
        answer = self.call("GET", "/v1/health", timeout=timeout)
        if answer.status_code != 200:
            return f"http-{answer.status_code}"
        return answer.json()["health"]["gateway_status"]
