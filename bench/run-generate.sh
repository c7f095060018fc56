#!/usr/bin/env bash
# Run the generation benchmark side by side: `irpo bench generate` (Swift, release) and
# transformers `generate` (bench/reference/generate.py), back to back for each (shape, batch),
# then print a Markdown table with both, the ratio and the load average. A batch of N is N
# samples of one prompt (irpo shares the prompt's prefill; transformers uses
# num_return_sequences=N), 128 new tokens each by default.
#
# Usage: bench/run-generate.sh [shape:batch ...]   (default: tiny:1 tiny:32 smollm-135m:1 smollm-135m:32)
# Environment:
#   THREADS=2  NEW_TOKENS=128  PROMPT_LENGTH=32  REPEATS=3 (best of; smollm-135m runs use 1 unless set)
#   SCRATCH=.build-bench  PYTHON=python3  IRPO=path/to/irpo (skip the build)
#   IRPO_FLAGS="--blas"   extra flags for irpo (e.g. the non-invariant BLAS decode)
# Needs: swift, python3 with torch (CPU) and transformers. Only ratios from one run compare.
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
NEW_TOKENS="${NEW_TOKENS:-128}"
PROMPT_LENGTH="${PROMPT_LENGTH:-32}"
CASES=("$@")
if [ ${#CASES[@]} -eq 0 ]; then CASES=(tiny:1 tiny:32 smollm-135m:1 smollm-135m:32); fi
read -r -a EXTRA <<< "${IRPO_FLAGS:-}"

ensure_irpo

RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS"' EXIT
status=0

for case_ in "${CASES[@]}"; do
  shape="${case_%%:*}"
  batch="${case_##*:}"
  if [ -n "${REPEATS:-}" ]; then repeats="$REPEATS"; elif [ "$shape" = tiny ]; then repeats=3; else repeats=1; fi
  common=(--shape "$shape" --batch "$batch" --new-tokens "$NEW_TOKENS" --prompt-length "$PROMPT_LENGTH"
          --repeats "$repeats" --threads "$THREADS")
  load="$(cut -d' ' -f1 /proc/loadavg)"
  echo "irpo bench generate ${common[*]} ${EXTRA[*]:-} (load $load) ..." >&2
  swift_json="$("$IRPO" bench generate "${common[@]}" "${EXTRA[@]}" --json | grep '^{' | tail -n 1)" \
    || { echo "irpo bench generate failed for $case_" >&2; swift_json='{}'; status=1; }
  echo "bench/reference/generate.py ${common[*]} ..." >&2
  py_json="$("$PYTHON" bench/reference/generate.py "${common[@]}" | grep '^{' | tail -n 1)" \
    || { echo "transformers reference failed for $case_" >&2; py_json='{}'; status=1; }
  load="$load-$(cut -d' ' -f1 /proc/loadavg)"
  [ -n "$swift_json" ] || swift_json='{}'
  [ -n "$py_json" ] || py_json='{}'
  printf '%s\t%s\t%s\t%s\t%s\n' "$shape" "$batch" "$swift_json" "$py_json" "$load" >> "$RESULTS"
done

"$PYTHON" - "$RESULTS" <<'EOF'
import json
import sys

def fmt(value, spec):
    return format(value, spec) if isinstance(value, (int, float)) else "n/a"

def ratio(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        return f"{a / b:.2f}x"
    return "n/a"

print("| shape | samples of one prompt | new tokens | irpo tokens/s | transformers tokens/s | ratio | irpo decode matmul | load (1 min) |")
print("|---|---|---|---|---|---|---|---|")
torch_version = None
for line in open(sys.argv[1]):
    shape, batch, swift_text, py_text, load = line.rstrip("\n").split("\t")
    s, p = json.loads(swift_text), json.loads(py_text)
    torch_version = p.get("torch_version", torch_version)
    print(f"| {shape} | {batch} | {s.get('new_tokens', p.get('new_tokens', 'n/a'))} "
          f"| {fmt(s.get('tokens_per_s'), ',.1f')} | {fmt(p.get('tokens_per_s'), ',.1f')} "
          f"| {ratio(s.get('tokens_per_s'), p.get('tokens_per_s'))} | {s.get('matmul', 'n/a')} | {load} |")
print()
print(f"threads: both sides as requested; PyTorch {torch_version}; best of the repeats on each side.")
EOF
exit $status
