# shellcheck shell=bash
# Named, timed stages for scripts/test.sh and scripts/check-ecosystem.sh (sourced by both).
#
#   stage_start NAME     prints a header and starts the stage's clock
#   stage_end [STATUS]   records the running stage's outcome (0, the default, is ok) and duration;
#                        returns STATUS
#   stage_summary        records a stage still running as failed (the script is exiting because
#                        of it), then prints one line per stage: outcome, seconds, name

STAGE_LINES=()
STAGE_NAME=""
STAGE_START=0

now_ms() { echo $(($(date +%s%N) / 1000000)); }

stage_start() {
  STAGE_NAME=$1
  STAGE_START=$(now_ms)
  printf '\n=== %s (%s)\n' "$STAGE_NAME" "$(date -u +%H:%M:%S)"
}

stage_end() {
  local status=${1:-0} elapsed outcome=ok
  elapsed=$(($(now_ms) - STAGE_START))
  [ "$status" -eq 0 ] || outcome="FAILED ($status)"
  STAGE_LINES+=("$(printf '%-11s %4d.%ds  %s' "$outcome" $((elapsed / 1000)) $((elapsed % 1000 / 100)) "$STAGE_NAME")")
  STAGE_NAME=""
  return "$status"
}

stage_summary() {
  local status=$?
  if [ -n "$STAGE_NAME" ]; then
    stage_end "$((status == 0 ? 1 : status))" || true
  fi
  [ "${#STAGE_LINES[@]}" -gt 0 ] || return 0
  printf '\n=== stages\n'
  printf '%s\n' "${STAGE_LINES[@]}"
}
