#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, for the Docker tier of the tests.
#
# Idempotent: when `docker info` works it does nothing. Otherwise (a clean CI machine, as root,
# no systemd) it installs docker.io and debootstrap from the Debian archive when missing, mounts
# the cgroup hierarchies if nothing has, starts dockerd in the background and waits for it.
#
#   DOCKERD_LOG   dockerd's log (default /var/log/dockerd.log)
#   DOCKERD_WAIT  seconds to wait for the engine (default 60)
set -euo pipefail

LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
WAIT=${DOCKERD_WAIT:-60}
DEFAULT_SOCK=unix:///var/run/docker.sock
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

say() { echo "docker-engine: $*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}
engine_ok() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

if engine_ok; then
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "$DEFAULT_SOCK" ]; then
  die "DOCKER_HOST=$DOCKER_HOST does not answer; this script only starts a local engine ($DEFAULT_SOCK). Start that engine or unset DOCKER_HOST."
fi

# -- packages ----------------------------------------------------------------------------------
missing=()
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  missing+=(docker.io)
fi
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; run this script as root (it installs them with apt-get)"
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and there is no apt-get: install them yourself (a Debian/Ubuntu host is expected)"
  say "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 || die "apt-get update failed (network or apt sources?)"
  # Recommends on purpose: cgroupfs-mount, ca-certificates and xz-utils come with docker.io.
  apt-get install -y -q -o Dpkg::Options::=--force-confold "${missing[@]}" >&2 ||
    die "apt-get install ${missing[*]} failed"
  # The package's own start (invoke-rc.d) may have brought the engine up already.
  if engine_ok; then
    say "the engine answers"
    exit 0
  fi
fi
command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed (package docker.io)"
command -v docker >/dev/null 2>&1 || die "the docker CLI is not installed (package docker.io)"

# -- start dockerd -----------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "the engine does not answer and starting dockerd needs root"

# No init system mounted the cgroup hierarchies (bare containers/VMs): dockerd needs them.
if ! grep -qE ' - cgroup2? ' /proc/self/mountinfo; then
  if command -v cgroupfs-mount >/dev/null 2>&1; then
    say "mounting the cgroup hierarchies (cgroupfs-mount)"
    cgroupfs-mount || say "cgroupfs-mount failed; dockerd may not start"
  else
    say "mounting cgroup2 on /sys/fs/cgroup"
    mount -t cgroup2 none /sys/fs/cgroup || say "mounting cgroup2 failed; dockerd may not start"
  fi
fi

dockerd_pid=""
if pgrep -x dockerd >/dev/null 2>&1; then
  say "dockerd already runs (pid $(pgrep -x dockerd | tr '\n' ' ')); waiting for it to answer"
else
  mkdir -p "$(dirname "$LOG")"
  say "starting dockerd in the background (log: $LOG)"
  # setsid: own session, so it outlives this script and the CI step's process group.
  setsid nohup dockerd >>"$LOG" 2>&1 </dev/null &
  dockerd_pid=$!
fi

deadline=$((SECONDS + WAIT))
until engine_ok; do
  if [ -n "$dockerd_pid" ] && ! kill -0 "$dockerd_pid" 2>/dev/null; then
    say "dockerd exited; the end of $LOG:"
    tail -n 20 "$LOG" >&2 || true
    die "dockerd did not stay up (see $LOG: cgroups, iptables and the storage driver are the usual causes)"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "the end of $LOG:"
    tail -n 20 "$LOG" >&2 || true
    die "the engine did not answer within ${WAIT}s (docker info fails; see $LOG)"
  fi
  sleep 0.5
done
say "the engine answers ($(docker version --format '{{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))"
