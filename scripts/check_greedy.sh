#!/usr/bin/env bash
# Compare `irpo generate` greedy continuations with a reference written by
# scripts/generation_reference.py. Usage: scripts/check_greedy.sh HF_FOLDER REFERENCE_JSON [IRPO]
set -euo pipefail
folder="$1"; reference="$2"; irpo="${3:-irpo}"
tmp="$(mktemp -d)"
python3 - "$reference" "$tmp/input.jsonl" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    for i, row in enumerate(ref["prompts"]):
        f.write(json.dumps({"id": i, "prompt_ids": row["prompt_ids"]}) + "\n")
PY
new_tokens="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["new_tokens"])' "$reference")"
"$irpo" generate --model "$folder" --input "$tmp/input.jsonl" --output "$tmp/output.jsonl" \
    --temperature 0 --max-tokens "$new_tokens" --threads 2
python3 - "$reference" "$tmp/output.jsonl" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1]))["prompts"]
out = [json.loads(line) for line in open(sys.argv[2])]
failed = 0
for row, result in zip(ref, out):
    want, got = row["greedy_ids"], result["token_ids"]
    same = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
    ok = want == got
    failed += not ok
    print(f"{'OK ' if ok else 'DIFF'} {same:3d}/{len(want)} equal tokens  {row['text'][:40]!r}")
sys.exit(1 if failed else 0)
PY
