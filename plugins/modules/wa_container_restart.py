#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2025, wabiz.migration maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: wa_container_restart
short_description: Restart the WhatsApp Business API client's containers in order
version_added: 1.0.0
description:
  - Restarts the containers of an on-premises WhatsApp Business API client (Webapp, Master, Coreapp)
    through the Docker Engine API, one after the other, and waits until each one runs.
  - The client shuts itself down after a restore and its containers have no restart policy, so they stay
    C(exited); restarting an exited (or created) container starts it.
  - Containers are selected by name (O(containers)), by label selectors (O(labels)) or as a Compose project's
    services (O(compose_project), O(compose_services)) through the labels Compose puts on them; the compose CLI
    is not needed. Every container is looked up before anything is touched, so a missing one fails the task
    before the first restart.
  - With O(state=present) the module only checks that the engine answers and that every container exists, as a
    preflight before a restore is sent. O(state=stopped) stops them (for example the source after a migration).
  - Uses the docker SDK for Python, never the docker CLI where the module runs. The engine is the local socket, a
    C(tcp://) one (with TLS and client certificates) or one reached over SSH (O(docker_host=ssh://USER@HOST)),
    whose host relays the API with its own docker CLI.
author:
  - wabiz.migration maintainers (@wabiz)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - wabiz.migration.docker
attributes:
  check_mode:
    support: full
    details:
      - Checks the engine and the containers, changes nothing; reports RV(ignore:changed=true) for
        O(state=restarted) (and for O(state=stopped) when a container runs).
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  containers:
    description:
      - Names (or IDs) of the containers, restarted in this order (for example masters before Coreapps).
      - Give exactly one of O(containers), O(labels) and O(compose_project); an empty list counts as not given.
    type: list
    elements: str
    default: []
  labels:
    description:
      - Label selectors, C(key=value) (or C(key) for any value); a container must match all of them.
      - The matched containers are restarted ordered by their C(wabiz.migration/restart-order) integer label
        (lowest first; containers without it come after those with it), then by name.
    type: list
    elements: str
    default: []
  compose_project:
    description:
      - Compose project whose containers are restarted, selected by the label C(com.docker.compose.project).
        One-off containers (C(compose run)) are left out.
    type: str
    default: ""
  compose_services:
    description:
      - Services of O(compose_project) (label C(com.docker.compose.service)), restarted in this order; the
        containers of one service by their container number, then name. Every listed service needs a container.
      - Empty restarts every container of the project, ordered like O(labels).
    type: list
    elements: str
    default: []
  state:
    description:
      - V(restarted) restarts running containers and starts stopped ones, in order, waiting for each (see
        O(wait_running)).
      - V(present) changes nothing and fails unless the engine answers and every named or selected container
        exists.
      - V(stopped) stops the running ones, in order; already stopped ones are left alone.
    type: str
    choices: [restarted, present, stopped]
    default: restarted
  stop_timeout:
    description:
      - Seconds a container gets to stop after SIGTERM before it is killed.
    type: int
    default: 10
  wait_running:
    description:
      - After each (re)start, wait until the container runs (not restarting) before the next one. A container
        that exits, or does not run within O(wait_timeout), fails the task, named with its exit code.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for each container to run (O(wait_running)).
    type: int
    default: 60
  settle_time:
    description:
      - Seconds a container must keep running (same start, no restart) to count as up, so that one which exits
        right after its start is caught. At most O(wait_timeout).
    type: float
    default: 1.0
notes:
  - Failure messages name the container, its status and exit code and suggest C(docker logs NAME); they never
    include log content, which may hold secrets.
  - Runs on the host that reaches the engine; with the default O(docker_host) that is the Docker host itself
    (delegate the task to it), otherwise a C(tcp://) or C(ssh://) engine is reached from where the module runs.
seealso:
  - module: community.docker.docker_container
  - name: Backup and restore (WhatsApp Business On-Premises API)
    description: The client shuts down after a restore and must be started again.
    link: https://developers.facebook.com/docs/whatsapp/on-premises/reference/settings/backup-and-restore
"""

EXAMPLES = r"""
- name: Preflight - the engine answers and the target's containers exist (before any restore)
  wabiz.migration.wa_container_restart:
    containers: [wa-master, wa-core-1, wa-core-2, wa-web]
    state: present

- name: Start the client again after the restore, masters before Coreapps
  wabiz.migration.wa_container_restart:
    containers: [wa-master, wa-core-1, wa-core-2, wa-web]

- name: Restart every container labelled for this client, by wabiz.migration/restart-order
  wabiz.migration.wa_container_restart:
    labels:
      - com.example.app=whatsapp
    wait_timeout: 120

- name: Restart a Compose deployment's services in order, without the compose CLI
  wabiz.migration.wa_container_restart:
    compose_project: biz
    compose_services: [waweb, master, coreapp]

- name: A remote engine over TLS with a client certificate
  wabiz.migration.wa_container_restart:
    docker_host: tcp://docker.example.com:2376
    tls: true
    ca_path: /etc/wabiz/docker/ca.pem
    client_cert: /etc/wabiz/docker/cert.pem
    client_key: /etc/wabiz/docker/key.pem
    containers: [wa-web, wa-core]

- name: An engine reached over SSH, its host key checked against a known hosts file
  wabiz.migration.wa_container_restart:
    docker_host: ssh://deploy@wa-host.example.com
    ssh_private_key_file: /etc/wabiz/ssh/id_ed25519
    ssh_known_hosts_file: /etc/wabiz/ssh/known_hosts
    containers: [wa-web, wa-core]

- name: The client's own host runs the module against its local socket
  wabiz.migration.wa_container_restart:
    containers: [wa-web, wa-core]
  delegate_to: wa-host.example.com

- name: Stop the source once the target is verified (two clients must not hold the same number)
  wabiz.migration.wa_container_restart:
    containers: [wa-web, wa-core]
    state: stopped
"""

RETURN = r"""
containers:
  description:
    - The selected containers in the order they were handled. On a failure part-way, the ones handled so far,
      the failing one last.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Container name.
      type: str
      sample: wa-core-1
    id:
      description: Full container ID.
      type: str
      sample: 3f2a9c1b5d7e4f60a1b2c3d4e5f60718293a4b5c6d7e8f9001a2b3c4d5e6f708
    status_before:
      description: Docker status before the module acted (V(running), V(exited), V(created), ...).
      type: str
      sample: exited
    status_after:
      description: Docker status afterwards; equal to RV(containers[].status_before) in check mode and with
        O(state=present).
      type: str
      sample: running
  sample:
    - name: wa-master
      id: 9b0c0f3d2a1e4b5c6d7e8f9001a2b3c4d5e6f7089b0c0f3d2a1e4b5c6d7e8f90
      status_before: exited
      status_after: running
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

from ansible_collections.wabiz.migration.plugins.module_utils.wa_docker import (  # noqa: E402
    CONNECTION_OPTIONS,
    DOCKER_IMPORT_ERROR,
    HAS_DOCKER,
    ContainerRestarter,
    WADockerError,
    docker_argument_spec,
)


def main():
    module = AnsibleModule(argument_spec=docker_argument_spec(), supports_check_mode=True)
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib("docker"), exception=DOCKER_IMPORT_ERROR)
    p = module.params
    restarter = ContainerRestarter(
        stop_timeout=p["stop_timeout"],
        wait_running=p["wait_running"],
        wait_timeout=p["wait_timeout"],
        settle_time=p["settle_time"],
        **{option: p[option] for option in CONNECTION_OPTIONS},
    )
    try:
        restarter.connect()
        selected = restarter.select(p["containers"], p["labels"], p["compose_project"], p["compose_services"])
        changed, results = restarter.run(p["state"], selected, check_mode=module.check_mode)
    except WADockerError as exc:
        module.fail_json(msg=str(exc), containers=exc.results, changed=exc.changed)
    module.exit_json(changed=changed, containers=results)


if __name__ == "__main__":
    main()
