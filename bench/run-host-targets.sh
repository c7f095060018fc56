#!/usr/bin/env bash
# The speed targets of one host, side by side in one run: the training step against PyTorch
# (bench/run-train.sh), with the default environment and with OPENBLAS_CORETYPE set by hand (to
# show irpo's own kernel selection costs nothing); generation of smollm-135m at 1 and 32 samples
# with irpo's AVX-512 kernels, with the AVX2 ones (IRPO_AVX512=off), with Q8_0 decode weights,
# against transformers (bench/run-generate.sh) and, if built, llama.cpp; the demo's wall time;
# and the peak memory of sampling. Prints the host (lscpu), then one line or table per item.
#
# Usage: bench/run-host-targets.sh
# Environment:
#   IRPO=path/to/irpo (skip the build)  PYTHON=python3 (with torch, transformers)
#   CORETYPE=SkylakeX      the kernel set to force for the comparison run (Haswell, Zen, ...)
#   LLAMA_CPP_BIN=dir      llama.cpp's build/bin (llama-bench, llama-batched-bench); skipped if unset
#   GGUF_F32, GGUF_Q8_0, GGUF_Q4_1   SmolLM2-135M GGUF files for llama.cpp (irpo convert makes the first two)
#   DEMO=1                 also time `irpo demo` (about 4-7 minutes)
# Needs a quiet machine: only ratios from one run compare.
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
CORETYPE="${CORETYPE:-SkylakeX}"
ensure_irpo
export IRPO PYTHON

echo "## host"
lscpu | grep -E "^Model name|^CPU\(s\)" | sed 's/  */ /g'
echo "flags: $(grep -m1 -o -E 'avx512f|avx512bw|avx512vl|avx512_vnni|avx2|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')"
"$IRPO" bench train --shape tiny --steps 1 | grep -E "^blas|^decode" || true
echo

echo "## training step, default environment"
env -u OPENBLAS_CORETYPE bench/run-train.sh tiny smollm-135m 2>/dev/null
echo
echo "## training step, OPENBLAS_CORETYPE=$CORETYPE"
OPENBLAS_CORETYPE="$CORETYPE" bench/run-train.sh tiny smollm-135m 2>/dev/null
echo

echo "## generation, smollm-135m, 128 new tokens after a 32-token prompt (irpo variants)"
echo "| samples | irpo AVX-512, f32 | irpo AVX2 (IRPO_AVX512=off), f32 | irpo q8_0 weights | irpo q8_0, AVX2 | peak RSS f32 / q8_0 |"
echo "|---|---|---|---|---|---|"
speed() { IRPO_AVX512="$1" "$IRPO" bench generate --shape smollm-135m --batch "$2" --weights "$3" --repeats 2 --json \
          | grep '^{' | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["tokens_per_s"])'; }
rss() { /usr/bin/time -f "%M" "$IRPO" bench generate --shape smollm-135m --batch "$1" --weights "$2" --repeats 1 2>&1 >/dev/null \
        | tail -n 1 | awk '{ printf "%.2f GB", $1 / 1048576 }'; }
for batch in 1 32; do
  echo "| $batch | $(speed on "$batch" f32) | $(speed off "$batch" f32) | $(speed on "$batch" q8_0) | $(speed off "$batch" q8_0) | $(rss "$batch" f32) / $(rss "$batch" q8_0) |"
done
echo
echo "## generation against transformers"
bench/run-generate.sh smollm-135m:1 smollm-135m:32 2>/dev/null
echo

if [ -n "${LLAMA_CPP_BIN:-}" ]; then
  echo "## llama.cpp, 2 threads"
  for model in "${GGUF_F32:-}" "${GGUF_Q8_0:-}" "${GGUF_Q4_1:-}"; do
    [ -n "$model" ] || continue
    "$LLAMA_CPP_BIN/llama-bench" -m "$model" -t 2 -n 128 -p 0 -r 3 2>/dev/null | grep tg128 || true
  done
  for model in "${GGUF_F32:-}" "${GGUF_Q8_0:-}"; do
    [ -n "$model" ] || continue
    echo "llama-batched-bench $(basename "$model"): 32 sequences sharing a 32-token prompt, 128 new tokens"
    "$LLAMA_CPP_BIN/llama-batched-bench" -m "$model" -c 8192 -b 2048 -ub 512 -npp 32 -ntg 128 -npl 32 -t 2 -tb 2 -pps 2>/dev/null \
      | grep -E '^\|' || true
  done
  echo
fi

if [ "${DEMO:-}" = 1 ]; then
  echo "## irpo demo (default environment)"
  out="$(mktemp -d)"
  /usr/bin/time -f "wall %e s, peak RSS %M KB" env -u OPENBLAS_CORETYPE "$IRPO" demo --output "$out/demo" 2>&1 >"$out/log" | tail -n 1
  grep -E "^blas|^m0:|total " "$out/log" || true
  rm -rf "$out"
fi
