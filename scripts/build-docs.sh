#!/usr/bin/env bash
# Generates the collection's reference pages from the plugins' and roles' own documentation
# (DOCUMENTATION/EXAMPLES/RETURN and meta/argument_specs.yml), so nothing is written twice:
# one reStructuredText page per module and role plus an index, in build/docs (not committed).
# Every page must render with docutils without a warning (what GitHub and Sphinx would show).
# Usage: scripts/build-docs.sh [DEST]     (default build/docs; needs scripts/setup-venv.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$ROOT/build/docs}
export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"

# antsibull-docs writes only into a directory that it owns and nobody else can write to.
mkdir -p "$DEST"
chmod 0700 "$DEST"
# simplified-rst: plain reStructuredText with no Sphinx extension (the ansible-docsite format
# needs the Ansible Sphinx theme and extension to render).
antsibull-docs collection --use-current --squash-hierarchy --fail-on-error --cleanup everything \
  --output-format simplified-rst --dest-dir "$DEST" wabiz.migration

for page in "$DEST"/*.rst; do
  python -m docutils --halt=warning --report=warning "$page" /dev/null
done
echo "build-docs: $(find "$DEST" -maxdepth 1 -name '*.rst' | wc -l) pages in $DEST"
