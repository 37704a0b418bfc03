#!/usr/bin/env bash
# The benchmark (not part of the tests): migration time against its floor and a hand-written
# playbook, fleet backups with backup.yml, and the memory of a 64 MiB backup. Prints the
# figures and writes the tables into docs/benchmark.md. About 5 minutes with the defaults.
# Usage: scripts/bench.sh [--rounds N] [--only migration,fleet,large] [--candidate DIR] [--no-doc] ...
#        scripts/bench.sh --help
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

scripts/setup-venv.sh >/dev/null
scripts/docker-engine.sh
scripts/build-images.sh >/dev/null
export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"
export PYTHONPATH="$ROOT/bench:$ROOT/tests/integration:$ROOT/tests/emulator${PYTHONPATH:+:$PYTHONPATH}"
exec python "$ROOT/bench/run.py" "$@"
