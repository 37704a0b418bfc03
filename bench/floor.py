"""The floor: one migration done directly, in one Python process, without Ansible.

The same work as the role's backup, restore, restart and verification and nothing else: log in
to the source, back up, save the file (0600), log in to the target, restore, restart the
target's container through the Docker SDK at once, and poll its health every 50 ms until it is
connected. Run as its own process (``python floor.py JOB.json``), so that its wall time, like
ansible-playbook's, includes the interpreter's start and its imports. The job file carries the
passwords, so they are never on a command line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import docker
import requests
from wa_http import ApiSession

POLL_INTERVAL = 0.05


def migrate(job: dict) -> None:
    with ApiSession(job["source_url"], job["ca_path"]) as source:
        source.login(job["admin_password"])
        answer = source.call("POST", "/v1/settings/backup", json={"password": job["backup_password"]})
        answer.raise_for_status()
        data = answer.json()["settings"]["data"]
    fd = os.open(job["backup_dest"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(data)
    with ApiSession(job["target_url"], job["ca_path"]) as target:
        target.login(job["admin_password"])
        answer = target.call("POST", "/v1/settings/restore", json={"password": job["backup_password"], "data": data})
        answer.raise_for_status()
        engine = docker.from_env(version="auto")
        engine.containers.get(job["target_container"]).restart(timeout=10)
        engine.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if target.gateway_status(timeout=1) == "connected":
                    return
            except requests.RequestException:
                target.session.close()  # the old connection died with the client
            time.sleep(POLL_INTERVAL)
    raise TimeoutError("the target was not connected within 60 s")


if __name__ == "__main__":
    migrate(json.loads(Path(sys.argv[1]).read_text()))
