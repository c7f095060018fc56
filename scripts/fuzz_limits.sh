#!/bin/sh
# The seeded mutation tests of the hostile-input limits (docs/limits.md) at a larger scale:
# chat templates, YAML configs and server requests. Each case must end in success or a clean error;
# a trap or a stack overflow ends the test process and fails the run.
# Usage: scripts/fuzz_limits.sh [cases-per-format] [seed]   (from the repo root; release build)
set -eu
CASES=${1:-100000}
SEED=${2:-1}
SCRATCH=${SCRATCH:-.build}
export IRPO_TEMPLATE_FUZZ_CASES=$CASES IRPO_TEMPLATE_FUZZ_SEED=$SEED
export IRPO_CONFIG_FUZZ_CASES=$CASES IRPO_CONFIG_FUZZ_SEED=$SEED
export IRPO_REQUEST_FUZZ_CASES=$CASES IRPO_REQUEST_FUZZ_SEED=$SEED
swift build -c release --build-tests --scratch-path "$SCRATCH"
log=$(mktemp)
status=0
for test in ChatTemplateFuzzTests ConfigFuzzTests RequestFuzzTests; do
  echo "== $test: $CASES cases, seed $SEED"
  if swift test -c release --skip-build --scratch-path "$SCRATCH" --filter "$test" >"$log" 2>&1; then
    grep -E "Executed [0-9]+ test" "$log" | tail -n 1
  else
    grep -E "error|signal|Executed" "$log" | tail -n 20
    status=1
  fi
done
rm -f "$log"
exit $status
