#!/usr/bin/env bash
# Builds the images of the Docker tier, only when missing or out of date (no registry: nothing
# is pulled, everything is built here).
#
#   wabiz-base:bookworm     Debian bookworm minbase + python3 + cryptography, by debootstrap,
#                           imported as an image; built once, skipped when it exists.
#   wabiz-emulator:latest   tests/docker/Dockerfile on top of it, with tests/emulator/wa_emulator;
#                           rebuilt only when the hash of those sources (a label) changed.
#
# Usage: scripts/build-images.sh [base|emulator|all]   (default all)
#   DEBIAN_MIRROR         debootstrap mirror (default http://deb.debian.org/debian)
#   WABIZ_BASE_IMAGE      default wabiz-base:bookworm (the Dockerfile's FROM is this name)
#   WABIZ_EMULATOR_IMAGE  default wabiz-emulator:latest
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE_IMAGE=${WABIZ_BASE_IMAGE:-wabiz-base:bookworm}
EMU_IMAGE=${WABIZ_EMULATOR_IMAGE:-wabiz-emulator:latest}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
PACKAGES=python3,python3-cffi-backend,python3-cryptography
EMU_SRC="$ROOT/tests/emulator"
DOCKERFILE="$ROOT/tests/docker/Dockerfile"
HASH_LABEL=wabiz.migration/emulator-sources
what=${1:-all}
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

say() { echo "build-images: $*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}

case "$what" in
  base | emulator | all) ;;
  *) die "usage: $0 [base|emulator|all]" ;;
esac

command -v docker >/dev/null 2>&1 || die "the docker CLI is missing: run scripts/docker-engine.sh"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer: run scripts/docker-engine.sh"

# One build at a time (parallel CI jobs or test sessions on one machine).
exec 9>"${TMPDIR:-/tmp}/wabiz-build-images.lock"
flock -w 900 9 || die "another build-images.sh holds the lock for 15 minutes"

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Unmounts whatever debootstrap left mounted under $1 (proc, sys, dev), deepest first.
unmount_under() {
  local dir=$1 mnt
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
}

build_base() {
  if image_exists "$BASE_IMAGE"; then
    say "$BASE_IMAGE exists"
    return
  fi
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing: run scripts/docker-engine.sh"
  [ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
  local tmp
  tmp=$(mktemp -d /var/tmp/wabiz-base.XXXXXX)
  # shellcheck disable=SC2064  # expand $tmp now
  trap "unmount_under '$tmp'; rm -rf --one-file-system '$tmp'" EXIT
  say "debootstrap $SUITE (minbase + $PACKAGES) from $MIRROR: about a minute (log: $tmp/debootstrap.log)"
  if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tmp/rootfs" "$MIRROR" \
    >"$tmp/debootstrap.log" 2>&1; then
    tail -n 20 "$tmp/debootstrap.log" >&2 || true
    cp "$tmp/debootstrap.log" /tmp/wabiz-debootstrap.log 2>/dev/null || true
    die "debootstrap failed (network to $MIRROR? log kept in /tmp/wabiz-debootstrap.log)"
  fi
  unmount_under "$tmp/rootfs"
  # Package caches are not needed in the image.
  rm -rf "$tmp/rootfs/var/cache/apt/"*.bin "$tmp/rootfs/var/cache/apt/archives/"*.deb "$tmp/rootfs/var/lib/apt/lists/"*
  say "importing $BASE_IMAGE"
  tar -C "$tmp/rootfs" --numeric-owner -c . |
    docker import \
      --change 'ENV LANG=C.UTF-8' \
      --change "LABEL wabiz.migration/base=debootstrap-$SUITE-minbase" \
      --change 'CMD ["/bin/bash"]' \
      - "$BASE_IMAGE" >/dev/null
  unmount_under "$tmp"
  rm -rf --one-file-system "$tmp"
  trap - EXIT
  say "built $BASE_IMAGE"
}

# Hash of everything that goes into the emulator image: its sources, the Dockerfile, and the
# base image it starts from (a rebuilt base means a rebuilt emulator).
emulator_hash() {
  {
    (cd "$EMU_SRC" && find wa_emulator -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum)
    sha256sum <"$DOCKERFILE"
    docker image inspect --format '{{.Id}}' "$BASE_IMAGE"
  } | sha256sum | cut -d' ' -f1
}

build_emulator() {
  [ -d "$EMU_SRC/wa_emulator" ] || die "$EMU_SRC/wa_emulator is missing: the emulator is not there yet"
  [ -f "$DOCKERFILE" ] || die "$DOCKERFILE is missing"
  image_exists "$BASE_IMAGE" || die "$BASE_IMAGE is missing: run $0 base"
  local want have ctx old new
  want=$(emulator_hash)
  have=$(docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$EMU_IMAGE" 2>/dev/null || true)
  old=$(docker image inspect --format '{{.Id}}' "$EMU_IMAGE" 2>/dev/null || true)
  if [ "$want" = "$have" ]; then
    say "$EMU_IMAGE is up to date"
    return
  fi
  say "building $EMU_IMAGE (emulator sources ${want:0:12})"
  # The build context is a clean copy of tests/emulator/wa_emulator (no __pycache__, nothing else).
  ctx=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$ctx'" EXIT
  cp "$DOCKERFILE" "$ctx/Dockerfile"
  (cd "$EMU_SRC" && find wa_emulator -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 |
    xargs -0 cp --parents -t "$ctx")
  if ! DOCKER_BUILDKIT=0 docker build -q --label "$HASH_LABEL=$want" -t "$EMU_IMAGE" "$ctx" >"$ctx/build.log" 2>&1; then
    cat "$ctx/build.log" >&2
    die "building $EMU_IMAGE failed"
  fi
  rm -rf "$ctx"
  trap - EXIT
  # The previous build is now untagged: drop it unless a container still uses it.
  new=$(docker image inspect --format '{{.Id}}' "$EMU_IMAGE")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
  fi
  say "built $EMU_IMAGE"
}

case "$what" in
  base) build_base ;;
  emulator) build_emulator ;;
  all)
    build_base
    if [ -d "$EMU_SRC/wa_emulator" ]; then
      build_emulator
    else
      say "skipping $EMU_IMAGE: $EMU_SRC/wa_emulator is not there yet"
    fi
    ;;
esac
