#!/usr/bin/env bash
# Creates .venv with the pinned tools and links the checkout as the wabiz.migration collection.
# Idempotent: a second run only checks that everything is there.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV="$ROOT/.venv"
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

stamp="$VENV/.requirements.sha256"
want=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" "$ROOT/tests/emulator/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup-venv: installing the pinned tools into $VENV" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/requirements-dev.txt"
  "$VENV/bin/pip" install -q --disable-pip-version-check -e "$ROOT/tests/emulator"
  echo "$want" > "$stamp"
fi

# The collection is imported as ansible_collections.wabiz.migration from this checkout.
link="$ROOT/.collections/ansible_collections/wabiz/migration"
mkdir -p "$(dirname "$link")"
[ -L "$link" ] || ln -sfn "$ROOT" "$link"
