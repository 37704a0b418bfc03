#!/usr/bin/env bash
# The main job, set-up included: two emulated clients in containers (a registered source and an
# unregistered target), then playbooks/migrate.yml between them, with secrets in an Ansible
# Vault file, and the report it wrote. Usage: scripts/demo.sh [--keep]  (--keep leaves them up)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
keep=${1:-}

scripts/setup-venv.sh
scripts/docker-engine.sh
scripts/build-images.sh
export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"

work="$ROOT/build/demo"
rm -rf "$work"
mkdir -p "$work/inventory/group_vars/all"
chmod 700 "$work"
secret() { python -c 'import secrets; print("Wa-" + secrets.token_urlsafe(12) + "-1")'; }

cat > "$work/inventory/hosts.yml" <<YAML
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    wa_backup_password: "{{ vault_backup_password }}"
    wa_test_prefix: wa-demo
    wa_test_tls_dir: $work/tls
    wa_api_ca_path: $work/tls/ca.pem
    wa_test_shards: 1
  children:
    wa_environments:
      hosts:
        source:
          wa_api_url: https://127.0.0.1:18443
          wa_api_password: "{{ vault_source_password }}"
          wa_containers: [wa-demo-source]
          wa_test_port: 18443
          wa_test_state: registered
          wa_test_phone: "15550001234"
        target:
          wa_api_url: https://127.0.0.1:18444
          wa_api_password: "{{ vault_target_password }}"
          wa_containers: [wa-demo-target]
          wa_test_port: 18444
          wa_test_state: unregistered
    wa_migrations:
      hosts:
        target:
          wa_migrate_from: source
          wa_source_after: stop   # a cutover: the old client stops once the new one is verified
          wa_settings: {webhooks: {url: "https://new.example.com/webhook"}}
YAML
secret > "$work/vault-pass"
chmod 600 "$work/vault-pass"
cat > "$work/inventory/group_vars/all/vault.yml" <<YAML
vault_backup_password: $(secret)
vault_source_password: $(secret)
vault_target_password: $(secret)
YAML
ansible-vault encrypt --vault-password-file "$work/vault-pass" "$work/inventory/group_vars/all/vault.yml" >/dev/null

run() { ansible-playbook -i "$work/inventory" --vault-password-file "$work/vault-pass" "$@"; }
cleanup() { run molecule/shared/destroy.yml >/dev/null || true; }
[ "$keep" = "--keep" ] || trap cleanup EXIT

echo "== Starting the emulated source and target (containers wa-demo-source, wa-demo-target)"
cleanup
run molecule/shared/create.yml >/dev/null
echo "== Migrating source -> target with playbooks/migrate.yml"
run playbooks/migrate.yml \
  -e migrate_backup_dir="$work/backups" -e migrate_report_dir="$work/reports"
echo "== The migration report"
cat "$work"/reports/*-migration-*.md
