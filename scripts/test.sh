#!/usr/bin/env bash
# The whole test suite, set-up included: venv, Docker engine, images, then every tier.
# Usage: scripts/test.sh            (what CI runs)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

stage() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

stage "set-up"
scripts/setup-venv.sh
scripts/docker-engine.sh
scripts/build-images.sh
export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"

stage "ruff"
ruff check .
ruff format --check .

stage "pytest: unit, emulator, integration (processes and Docker)"
python -m pytest

stage "molecule"
(cd "$ROOT" && molecule test --all)

stage "done"
