#!/usr/bin/env bash
# The whole test suite, set-up included: venv, Docker engine, images, then every tier.
# Usage: scripts/test.sh            (what CI runs)
# Stops at the first failing stage; a table of the stages' outcomes and durations ends the output.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/stages.sh
. "$ROOT/scripts/stages.sh"
trap stage_summary EXIT

stage_start "set-up"
scripts/setup-venv.sh
scripts/docker-engine.sh
scripts/openssh.sh   # sshd for the tests' real SSH hop (tests/integration/test_remote_docker.py)
scripts/build-images.sh
export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"
stage_end

stage_start "ruff"
ruff check .
ruff format --check .
stage_end

stage_start "ecosystem: ansible-test, ansible-lint, docs, changelog, execution environment, pre-commit"
scripts/check-ecosystem.sh
stage_end

stage_start "pytest: unit, emulator, integration (processes and Docker)"
python -m pytest
stage_end

stage_start "molecule"
molecule test --all
stage_end
