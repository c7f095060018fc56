#!/bin/sh
# The seeded mutation tests of the hostile-input limits (docs/limits.md) at a larger scale, one
# format at a time: chat templates, YAML configs, server requests, GGUF (bytes, and metadata and
# tensor tables through the model loader), safetensors headers and shard indexes, tokenizer.json
# and GGUF tokenizer metadata, pairs/SFT JSONL. Every case runs in the test process (no process
# per case) and must end in success or a clean error; a trap or a stack overflow ends the test
# process and fails the run; each test also checks its per-case time bound and memory growth.
#
# Usage: scripts/fuzz_limits.sh [cases-per-format] [seed] [format ...]   (from the repo root)
#   formats: TEMPLATE CONFIG REQUEST GGUF SAFETENSORS TOKENIZER PAIRS (default: all)
#   SCRATCH=<path> picks the build folder (default .build). Release build, as CI runs it.
# Prints, per format, each test's summary line (cases, accepted/rejected, slowest case, memory
# growth, time), the XCTest result, and the test process's peak memory and wall time.
set -eu
CASES=${1:-100000}
SEED=${2:-1}
[ $# -ge 2 ] && shift 2 || shift $#
FORMATS=${*:-TEMPLATE CONFIG REQUEST GGUF SAFETENSORS TOKENIZER PAIRS}
SCRATCH=${SCRATCH:-.build}

tests_of() {
  case "$1" in
    TEMPLATE) echo "ChatTemplateFuzzTests" ;;
    CONFIG) echo "ConfigFuzzTests" ;;
    REQUEST) echo "RequestFuzzTests" ;;
    GGUF) echo "GGUFFuzzTests|GGUFModelFuzzTests" ;;
    SAFETENSORS) echo "SafetensorsFuzzTests" ;;
    TOKENIZER) echo "TokenizerFuzzTests" ;;
    PAIRS) echo "PairsFuzzTests" ;;
    *) echo "unknown format $1 (known: TEMPLATE CONFIG REQUEST GGUF SAFETENSORS TOKENIZER PAIRS)" >&2; exit 2 ;;
  esac
}

TIME=""
[ -x /usr/bin/time ] && TIME="/usr/bin/time -v"
log=$(mktemp)
status=0
for format in $FORMATS; do
  filter=$(tests_of "$format")
  echo "== $format ($filter): $CASES cases per test, seed $SEED"
  if env "IRPO_${format}_FUZZ_CASES=$CASES" "IRPO_${format}_FUZZ_SEED=$SEED" \
       $TIME swift test -c release --scratch-path "$SCRATCH" --filter "$filter" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
  fi
  grep -E "^fuzz [A-Z]+:" "$log" || true
  grep -E "Executed [0-9]+ tests?" "$log" | tail -n 1
  if [ "$result" = FAILED ]; then grep -E "error|signal|Fatal|crash" "$log" | tail -n 20; fi
  grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$log" || true
  echo "-- $format: $result"
done
rm -f "$log"
exit $status
