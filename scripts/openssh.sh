#!/usr/bin/env bash
# Makes sure Debian's OpenSSH server and client are installed, for the tests that reach the
# Docker engine over a real SSH hop (tests/integration/test_remote_docker.py). The tests start
# their own sshd on 127.0.0.1 with keys they generate; this script only installs the packages
# (and never starts or enables the system's ssh service).
#
# Idempotent: when sshd and ssh are there it does nothing.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

say() { echo "openssh: $*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}

if [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1; then
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "openssh-server or openssh-client is missing; run this script as root (it installs them with apt-get)"
command -v apt-get >/dev/null 2>&1 || die "openssh-server or openssh-client is missing and there is no apt-get: install them yourself"
say "installing openssh-server and openssh-client with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2 || die "apt-get update failed (network or apt sources?)"
# policy-rc.d: the package must not start the system's sshd (the tests run their own).
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  created_policy=1
fi
status=0
apt-get install -y -q --no-install-recommends openssh-server openssh-client >&2 || status=$?
[ -z "$created_policy" ] || rm -f "$policy"
[ "$status" -eq 0 ] || die "apt-get install openssh-server openssh-client failed"
[ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd is missing after the installation"
