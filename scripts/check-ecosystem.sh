#!/usr/bin/env bash
# The Ansible ecosystem checks that are not pytest tests (those are tests/integration/test_ecosystem_*.py):
#
#   sanity      ansible-test sanity, every test, on a copy of the collection (shellcheck included)
#   units       ansible-test units (tests/unit, in a venv ansible-test makes with its requirements)
#   lint        ansible-lint on the whole repository, production profile (.ansible-lint)
#   docs        ansible-doc renders every module and role; antsibull-docs lint-collection-docs;
#               scripts/build-docs.sh generates a page per module and role
#   changelog   antsibull-changelog lint (fragments and changelog.yaml); once galaxy.yml's version is
#               released, changelog.yaml and CHANGELOG.rst must list every module and role it has
#   ee          ansible-builder create: the execution environment's build context, in build/ee/
#   pre-commit  pre-commit run --all-files (local hooks only: nothing is downloaded)
#
# Usage: scripts/check-ecosystem.sh [STAGE...]    (default: all, in that order)
# Every stage runs even after another failed; the exit status is 1 if any failed, and a table of
# the stages' outcomes and durations ends the output. Needs scripts/setup-venv.sh; installs
# Debian's shellcheck (apt-get, as root) when it is missing, as the sanity test needs it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/stages.sh
. "$ROOT/scripts/stages.sh"

export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"
# ansible-lint installs the collection it lints into a cache: in $VIRTUAL_ENV/.ansible when that
# is set, else in ~/.ansible/collections, where every later ansible run would find that copy.
export VIRTUAL_ENV="$ROOT/.venv"
PYTHON_VERSION=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
COLLECTION=wabiz.migration
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wabiz-ecosystem.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

say() { echo "check-ecosystem: $*" >&2; }

# A copy of the collection at $WORK/NAME/ansible_collections/wabiz/migration, as ansible-test
# needs (it refuses a symlinked directory): the files git would commit, tracked or untracked
# but not ignored, less the deleted ones (a file that vanishes while it is copied is skipped
# with a warning). It gets its own git repository so that ansible-test lists files from it,
# never from a repository around $TMPDIR.
collection_copy() {
  local dest="$WORK/$1/ansible_collections/wabiz/migration"
  mkdir -p "$dest"
  comm -z -23 <(git ls-files -z --cached --others --exclude-standard | sort -z) <(git ls-files -z --deleted | sort -z) |
    tar --null --files-from=- --ignore-failed-read -cf - | tar -xf - -C "$dest"
  git -C "$dest" init -q
  echo "$dest"
}

# ansible-test bootstraps pip in every venv it makes (sanity tests, units) by running get-pip.py,
# which it downloads from ci-files.testing.ansible.com unless a copy is cached at
# ~/.ansible/test/cache/get_pip_<version>.py (ansible_test/_util/target/setup/requirements.py,
# bootstrap()). No option avoids it: --venv-system-site-packages and --local only change the
# controller's Python, and each sanity test still gets its own venv with pinned tools. That host
# is not reachable here, PyPI is; so when no copy is cached, this stand-in takes its place: the
# standard library's ensurepip, then the exact pip version ansible-test asked for, from the index.
# A copy already there (the real script, or this one) is used as it is.
ansible_test_get_pip() {
  local version cache
  version=$(python -c "
from types import SimpleNamespace
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(SimpleNamespace(version='$PYTHON_VERSION'))['pip'])")
  cache="$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
  [ -e "$cache" ] && return 0
  say "writing a stand-in for get-pip.py $version at $cache"
  mkdir -p "$(dirname "$cache")"
  cat >"$cache" <<'EOF'
# Stand-in for get-pip.py, written by wabiz.migration's scripts/check-ecosystem.sh (see there why).
# Called as get-pip.py is: [pip options] pip==VERSION [--no-setuptools] [--no-wheel].
import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *args])
if "--no-setuptools" in sys.argv:  # ensurepip brings setuptools along up to Python 3.11
    subprocess.check_call([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", "setuptools"])
EOF
}

# ansible-test's shellcheck sanity test is skipped, with a mere warning, when shellcheck is missing.
need_shellcheck() {
  command -v shellcheck >/dev/null && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    say "shellcheck is missing: install it (Debian package shellcheck), or run this as root"
    return 1
  fi
  say "installing shellcheck with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q shellcheck >&2 || { apt-get update -q >&2 && apt-get install -y -q shellcheck >&2; }
  command -v shellcheck >/dev/null
}

check_sanity() {
  need_shellcheck
  ansible_test_get_pip
  cd "$(collection_copy sanity)"
  ansible-test sanity --python "$PYTHON_VERSION" --color no
}

check_units() {
  ansible_test_get_pip
  cd "$(collection_copy units)"
  ansible-test units --venv --python "$PYTHON_VERSION" --color no
}

check_lint() {
  ansible-lint --offline
}

# expect_doc_headers TYPE OUTPUT NAME...: ansible-doc's OUTPUT has a page for each NAME, headed
# "> MODULE FQCN (path)" or "> ROLE: *FQCN* (path)".
expect_doc_headers() {
  local type=$1 output=$2 name
  shift 2
  for name in "$@"; do
    grep -q "^> $type:\? \*\?$COLLECTION\.$name\*\? " <<<"$output" ||
      { say "ansible-doc rendered no page for $type $COLLECTION.$name"; return 1; }
  done
}

check_docs() {
  local modules roles output name
  mapfile -t modules < <(find plugins/modules -maxdepth 1 -name '*.py' ! -name '__init__.py' -printf '%f\n' | sed 's/\.py$//')
  mapfile -t roles < <(find roles -mindepth 1 -maxdepth 1 -type d -printf '%f\n')
  # Every module and role renders, without a warning (a broken DOCUMENTATION is a warning only).
  output=$(ANSIBLE_NOCOLOR=1 ansible-doc "${modules[@]/#/$COLLECTION.}" 2>"$WORK/ansible-doc.err")
  expect_doc_headers MODULE "$output" "${modules[@]}"
  output=$(ANSIBLE_NOCOLOR=1 ansible-doc -t role "${roles[@]/#/$COLLECTION.}" 2>>"$WORK/ansible-doc.err")
  expect_doc_headers ROLE "$output" "${roles[@]}"
  if [ -s "$WORK/ansible-doc.err" ]; then
    cat "$WORK/ansible-doc.err" >&2
    return 1
  fi
  antsibull-docs lint-collection-docs --plugin-docs .
  scripts/build-docs.sh "$ROOT/build/docs"
  for name in index "${modules[@]/%/_module}" "${roles[@]/%/_role}"; do
    [ -s "build/docs/$name.rst" ] || { say "build/docs/$name.rst was not generated"; return 1; }
  done
}

# galaxy.yml's version, and its release date in changelogs/changelog.yaml (empty if not released).
galaxy_version() { python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])'; }
release_date() {
  python -c '
import sys, yaml
releases = yaml.safe_load(open("changelogs/changelog.yaml"))["releases"] or {}
print(releases.get(sys.argv[1], {}).get("release_date", ""))' "$1"
}

check_changelog() {
  local version date copy
  antsibull-changelog lint
  antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
  version=$(galaxy_version)
  date=$(release_date "$version")
  if [ -z "$date" ]; then
    say "$version is not released yet: fragments only (antsibull-changelog release --version $version)"
    return 0
  fi
  # Release the same version again, in a copy, from the plugins as they are now: a module or
  # role added since the release, or a new fragment, changes what it writes. (Its warning about
  # a missing release_summary is about new fragments: the release's summary is in changelog.yaml.)
  copy=$(collection_copy changelog)
  (cd "$copy" && antsibull-changelog release --version "$version" --date "$date" --update-existing --reload-plugins)
  for file in changelogs/changelog.yaml CHANGELOG.rst; do
    diff -u "$file" "$copy/$file" || {
      say "$file is not up to date with the plugins, roles and fragments. For $version itself: run"
      say "  antsibull-changelog release --version $version --date $date --update-existing --reload-plugins"
      say "for a change after $version: first set galaxy.yml's version to the next release."
      return 1
    }
  done
}

# The image cannot be built here (no registry); the build context can, offline. Then the
# collection's own meta/execution-environment.yml is read the way the image build reads it.
check_ee() {
  local built context found
  built="$WORK/ee-dist"
  ansible-galaxy collection build --output-path "$built" .
  mkdir -p build/ee
  mv "$built"/wabiz-migration-*.tar.gz build/ee/wabiz-migration.tar.gz
  context=build/ee/context
  rm -rf "$context"
  ansible-builder create --file execution-environment.yml --context "$context"
  test -s "$context/Dockerfile"
  test -s "$context/_build/collections/wabiz-migration.tar.gz"
  grep -q '^- name: community.docker$' "$context/_build/requirements.yml"
  grep -q '^- name: /build/collections/wabiz-migration.tar.gz$' "$context/_build/requirements.yml"
  # Its own collections path only: through .collections, the checkout counts as installed already.
  ANSIBLE_COLLECTIONS_PATH="$WORK/ee-collections" \
    ansible-galaxy collection install --offline --no-deps -p "$WORK/ee-collections" build/ee/wabiz-migration.tar.gz
  found=$(ansible-builder introspect --sanitize "$WORK/ee-collections")
  echo "$found"
  grep -Ev '^(#|\s*$)' requirements.txt | while read -r requirement; do
    grep -qF -- "- '$requirement  # from collection $COLLECTION'" <<<"$found" ||
      { say "ansible-builder introspect did not find $requirement (requirements.txt)"; return 1; }
  done
}

check_pre_commit() {
  pre-commit run --all-files
}

run_check() {
  case $1 in
    sanity) check_sanity ;;
    units) check_units ;;
    lint) check_lint ;;
    docs) check_docs ;;
    changelog) check_changelog ;;
    ee) check_ee ;;
    pre-commit) check_pre_commit ;;
  esac
}

ALL_STAGES=(sanity units lint docs changelog ee pre-commit)
stages=("$@")
[ "${#stages[@]}" -gt 0 ] || stages=("${ALL_STAGES[@]}")
for stage in "${stages[@]}"; do
  [[ " ${ALL_STAGES[*]} " == *" $stage "* ]] || { say "unknown stage '$stage' (stages: ${ALL_STAGES[*]})"; exit 2; }
done
failed=0
for stage in "${stages[@]}"; do
  stage_start "$stage"
  # Not `( ... ) || failed=1`: bash ignores errexit inside a command whose status is tested.
  set +e
  (
    set -euo pipefail
    run_check "$stage"
  )
  stage_end $? || failed=1
  set -e
done
stage_summary
exit "$failed"
