#!/usr/bin/env bash
# Run the preference-pair (DPO + NLL) training benchmark side by side: `irpo bench dpo` (Swift,
# release) and the PyTorch reference (bench/reference/dpo_step.py), back to back for each shape,
# then print a Markdown table with both, the ratio and the load average.
#
# Usage: bench/run-dpo.sh [shape ...]          (default: tiny smollm-135m)
# Environment:
#   THREADS=2                 threads for both sides
#   SCRATCH=.build-bench      SwiftPM scratch path for the release build
#   STEPS_tiny, STEPS_smollm_135m   timed steps for both sides (defaults 10 and 3)
#   PYTHON=python3
#   IRPO=path/to/irpo         use this binary instead of building one
# Needs: swift, python3 with torch (CPU) and transformers. Only ratios from one run compare.
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
SHAPES=("$@")
if [ ${#SHAPES[@]} -eq 0 ]; then SHAPES=(tiny smollm-135m); fi

ensure_irpo

RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS"' EXIT
status=0

for shape in "${SHAPES[@]}"; do
  steps_var="STEPS_${shape//-/_}"
  steps_args=()
  if [ -n "${!steps_var:-}" ]; then steps_args=(--steps "${!steps_var}"); fi
  load="$(cut -d' ' -f1 /proc/loadavg)"
  echo "irpo bench dpo --shape $shape --threads $THREADS ${steps_args[*]:-} (load $load) ..." >&2
  swift_json="$("$IRPO" bench dpo --shape "$shape" --threads "$THREADS" "${steps_args[@]}" --json | grep '^{' | tail -n 1)" \
    || { echo "irpo bench dpo failed for $shape" >&2; swift_json='{}'; status=1; }
  echo "bench/reference/dpo_step.py --shape $shape --threads $THREADS ${steps_args[*]:-} ..." >&2
  py_json="$("$PYTHON" bench/reference/dpo_step.py --shape "$shape" --threads "$THREADS" "${steps_args[@]}" | grep '^{' | tail -n 1)" \
    || { echo "PyTorch reference failed for $shape" >&2; py_json='{}'; status=1; }
  load="$load-$(cut -d' ' -f1 /proc/loadavg)"
  [ -n "$swift_json" ] || swift_json='{}'
  [ -n "$py_json" ] || py_json='{}'
  printf '%s\t%s\t%s\t%s\n' "$shape" "$swift_json" "$py_json" "$load" >> "$RESULTS"
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

def gb(value):
    return f"{value / 1e9:.2f} GB" if isinstance(value, (int, float)) else "n/a"

print("| shape | pairs x (prompt + completion) | irpo pairs/s | PyTorch pairs/s | irpo tokens/s "
      "| PyTorch tokens/s | ratio | irpo peak RSS | PyTorch peak RSS | load (1 min) |")
print("|---|---|---|---|---|---|---|---|---|---|")
torch_version = None
for line in open(sys.argv[1]):
    shape, swift_text, py_text, load = line.rstrip("\n").split("\t")
    s, p = json.loads(swift_text), json.loads(py_text)
    torch_version = p.get("torch_version", torch_version)
    geometry = f"{s.get('pairs', p.get('pairs'))} x ({s.get('prompt_len', p.get('prompt_len'))} + {s.get('completion_len', p.get('completion_len'))})"
    print(f"| {shape} | {geometry} | {fmt(s.get('pairs_per_s'), '.3f')} | {fmt(p.get('pairs_per_s'), '.3f')} "
          f"| {fmt(s.get('tokens_per_s'), ',.0f')} | {fmt(p.get('tokens_per_s'), ',.0f')} "
          f"| {ratio(s.get('tokens_per_s'), p.get('tokens_per_s'))} "
          f"| {gb(s.get('peak_rss_bytes'))} | {gb(p.get('peak_rss_bytes'))} | {load} |")
print()
print(f"threads: both sides as requested; PyTorch {torch_version}; tokens/s counts every token of "
      "both rows of each pair (prompts included).")
EOF
exit $status
