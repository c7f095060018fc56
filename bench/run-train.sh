#!/usr/bin/env bash
# Run the training-step benchmark side by side: `irpo bench train` (Swift, release) and the
# PyTorch reference (bench/reference/train_step.py), one after the other for each shape, then
# print a Markdown table with both and the ratio.
#
# Usage: bench/run-train.sh [shape ...]          (default: tiny smollm-135m)
#        LORA=16 bench/run-train.sh [shape ...]  LoRA of rank 16 on a frozen base instead:
#                                                irpo bench train --lora against PyTorch + PEFT
#                                                (bench/reference/lora_step.py); shapes may include 1b
# Environment:
#   THREADS=2                 threads for both sides
#   LORA=                     adapter rank (empty: full training)
#   BASE_TYPE=f32             with LORA: irpo's frozen base as f32, q8_0 or q4_0 (PEFT's stays f32)
#   GRADIENT_CHECKPOINTING=   1: both sides recompute each layer in the backward (irpo
#                             --gradient-checkpointing, transformers' gradient_checkpointing_enable)
#   SCRATCH=.build-bench      SwiftPM scratch path for the release build
#   PY_STEPS_tiny, PY_STEPS_smollm_135m      timed PyTorch steps (defaults 10 and 3; a quiet
#                                            machine takes ~20 s per smollm-135m step)
#   IRPO_STEPS_tiny, IRPO_STEPS_smollm_135m  timed irpo steps (default: irpo's own, 10 and 3)
#   PYTHON=python3
#   IRPO=path/to/irpo         use this binary instead of building one
# Needs: swift, python3 with torch (CPU) and transformers. The machine should be otherwise idle;
# numbers taken on a shared machine are noisy, and only ratios from one run are comparable.
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
SHAPES=("$@")
if [ ${#SHAPES[@]} -eq 0 ]; then SHAPES=(tiny smollm-135m); fi

ensure_irpo
LORA="${LORA:-}"
BASE_TYPE="${BASE_TYPE:-f32}"
irpo_mode_args=()
py_script=bench/reference/train_step.py
py_mode_args=()
if [ -n "$LORA" ]; then
  irpo_mode_args=(--lora --lora-rank "$LORA" --base-type "$BASE_TYPE")
  py_script=bench/reference/lora_step.py
  py_mode_args=(--rank "$LORA")
fi

if [ -n "${GRADIENT_CHECKPOINTING:-}" ]; then
  irpo_mode_args+=(--gradient-checkpointing)
  py_mode_args+=(--gradient-checkpointing)
fi

RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS"' EXIT
status=0

for shape in "${SHAPES[@]}"; do
  irpo_steps_var="IRPO_STEPS_${shape//-/_}"
  irpo_steps_args=()
  if [ -n "${!irpo_steps_var:-}" ]; then irpo_steps_args=(--steps "${!irpo_steps_var}"); fi
  echo "irpo bench train --shape $shape --threads $THREADS ${irpo_mode_args[*]:-} ${irpo_steps_args[*]:-} ..." >&2
  if swift_out="$("$IRPO" bench train --shape "$shape" --threads "$THREADS" "${irpo_mode_args[@]}" "${irpo_steps_args[@]}" --json)"; then
    swift_json="$(printf '%s\n' "$swift_out" | grep '^{' | tail -n 1 || true)"
  else
    echo "irpo bench train failed for $shape" >&2
    swift_json='{}'
    status=1
  fi
  steps_var="PY_STEPS_${shape//-/_}"
  steps_args=()
  if [ -n "${!steps_var:-}" ]; then steps_args=(--steps "${!steps_var}"); fi
  echo "$py_script --shape $shape --threads $THREADS ${py_mode_args[*]:-} ${steps_args[*]:-} ..." >&2
  if py_out="$("$PYTHON" "$py_script" --shape "$shape" --threads "$THREADS" "${py_mode_args[@]}" "${steps_args[@]}")"; then
    py_json="$(printf '%s\n' "$py_out" | grep '^{' | tail -n 1 || true)"
  else
    echo "PyTorch reference failed for $shape" >&2
    py_json='{}'
    status=1
  fi
  [ -n "$swift_json" ] || swift_json='{}'
  [ -n "$py_json" ] || py_json='{}'
  printf '%s\t%s\t%s\n' "$shape" "$swift_json" "$py_json" >> "$RESULTS"
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

def percent(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        return f"{100 * a / b:.0f}%"
    return "n/a"

def gb(value):
    return f"{value / 1e9:.2f} GB" if isinstance(value, (int, float)) else "n/a"

print("| shape | irpo tokens/s | PyTorch tokens/s | ratio | irpo GFLOP/s | PyTorch GFLOP/s "
      "| sgemm GFLOP/s | irpo % of sgemm | irpo peak RSS | PyTorch peak RSS |")
print("|---|---|---|---|---|---|---|---|---|---|")
torch_version = None
for line in open(sys.argv[1]):
    shape, swift_text, py_text = line.rstrip("\n").split("\t")
    s, p = json.loads(swift_text), json.loads(py_text)
    torch_version = p.get("torch_version", torch_version)
    print(f"| {shape} | {fmt(s.get('tokens_per_s'), ',.0f')} | {fmt(p.get('tokens_per_s'), ',.0f')} "
          f"| {ratio(s.get('tokens_per_s'), p.get('tokens_per_s'))} "
          f"| {fmt(s.get('gflops'), '.1f')} | {fmt(p.get('gflops'), '.1f')} "
          f"| {fmt(s.get('sgemm_gflops'), '.1f')} | {percent(s.get('gflops'), s.get('sgemm_gflops'))} "
          f"| {gb(s.get('peak_rss_bytes'))} | {gb(p.get('peak_rss_bytes'))} |")
print()
print(f"threads: both sides as requested; PyTorch {torch_version}; "
      "GFLOP/s use the FLOP count of bench/reference/README.md.")
EOF
exit $status
