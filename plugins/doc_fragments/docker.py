# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # How a module reaches a Docker engine (wa_docker.docker_connection_argument_spec); the
    # names are community.docker's, ssh_private_key_file and ssh_known_hosts_file are ours.
    DOCUMENTATION = r"""
options:
  docker_host:
    description:
      - The Docker Engine API, C(unix://PATH), C(tcp://HOST:PORT) or C(ssh://USER@HOST[:PORT]).
      - Over C(ssh://), the docker SDK logs in (key-based) and runs C(docker system dial-stdio) on that host,
        which needs the docker CLI there and a user allowed to use the engine. The host key must be known
        (O(ssh_known_hosts_file)); an unknown one is refused, never accepted.
      - Falls back to the E(DOCKER_HOST) environment variable of the host that runs the module.
    type: str
    default: unix:///var/run/docker.sock
  tls:
    description:
      - Talk TLS to a C(tcp://) O(docker_host).
    type: bool
    default: false
  validate_certs:
    description:
      - With O(tls=true), verify the engine's certificate (against O(ca_path) when given, otherwise the system's
        CAs) and its host name.
      - Unlike community.docker's option of that name, it does not turn TLS on by itself; O(tls) does.
    type: bool
    default: true
  ca_path:
    description:
      - CA certificate (PEM) that signed the engine's certificate. Needs O(tls=true).
      - It is the one the engine is checked against, even when E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) is set.
    type: path
  client_cert:
    description:
      - Client certificate (PEM) for an engine that asks for one. Needs O(tls=true) and O(client_key).
    type: path
  client_key:
    description:
      - Key of O(client_cert). Needs O(tls=true).
    type: path
  use_ssh_client:
    description:
      - For an C(ssh://) O(docker_host), use the C(ssh) CLI tool (package C(openssh-client)) instead of paramiko,
        as community.docker does; it then also reads the C(ssh) client's configuration (C(~/.ssh/config)).
      - Either way the host key is checked strictly and nothing is asked interactively
        (C(StrictHostKeyChecking=yes), C(BatchMode=yes)).
    type: bool
    default: false
  ssh_private_key_file:
    description:
      - For an C(ssh://) O(docker_host), the private key to log in with, and no other (no agent, no default
        keys). Without it, the keys of the ssh-agent and C(~/.ssh) are tried.
      - Not a community.docker option.
    type: path
  ssh_known_hosts_file:
    description:
      - For an C(ssh://) O(docker_host), the known hosts file the host's key must be in (OpenSSH format, for
        example from C(ssh-keyscan) once its fingerprint is checked). Without it, C(~/.ssh/known_hosts).
      - Not a community.docker option.
    type: path
  timeout:
    description:
      - Seconds to wait for an answer from the Docker Engine API (and, over SSH, for the login).
    type: int
    default: 60
requirements:
  - docker (the Docker SDK for Python) >= 5.0 on the host that runs the module
  - paramiko, for an C(ssh://) O(docker_host) (with or without O(use_ssh_client))
  - the C(ssh) client (C(openssh-client)), with O(use_ssh_client=true)
"""
