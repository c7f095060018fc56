#!/usr/bin/env python3
"""Greedy continuations from transformers, to check `irpo generate` against.

Loads a GGUF model with transformers (dequantised to float32), greedily generates
`--new-tokens` tokens (`do_sample=False`) for a few fixed prompts, and writes

    {"model": ..., "new_tokens": N, "prompts": [{"text", "prompt_ids", "greedy_ids"}]}

With `--save-hf DIR` it also saves the dequantised model and tokenizer as a Hugging Face folder,
which `irpo generate --model DIR` loads. Compare with:

    python3 scripts/generation_reference.py --gguf PATH/SmolLM2-135M-Instruct.Q4_1.gguf \
        --save-hf /tmp/smollm2-f32 --output /tmp/greedy-reference.json
    scripts/check_greedy.sh /tmp/smollm2-f32 /tmp/greedy-reference.json

Needs torch (CPU), transformers and gguf. Runs in well under a minute on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os

PROMPTS = [
    "The capital of France is",
    "Question: Tom has 3 apples and buys 5 more. How many apples does he have?\nAnswer:",
    "def fibonacci(n):",
    "Once upon a time, in a small village,",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", required=True, help="path to a .gguf file")
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--save-hf", help="also save the dequantised model + tokenizer here")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(args.threads)
    folder, name = os.path.split(os.path.abspath(args.gguf))
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    rows = []
    for text in PROMPTS:
        ids = tokenizer(text, return_tensors="pt").input_ids
        with torch.inference_mode():
            out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                 max_new_tokens=args.new_tokens, pad_token_id=tokenizer.eos_token_id)
        rows.append({"text": text, "prompt_ids": ids[0].tolist(), "greedy_ids": out[0, ids.shape[1]:].tolist()})
    with open(args.output, "w") as f:
        json.dump({"model": name, "new_tokens": args.new_tokens, "prompts": rows}, f, indent=1)
    if args.save_hf:
        save_hf(model, tokenizer, args.save_hf)


def save_hf(model, tokenizer, folder: str) -> None:
    """Writes config.json, model.safetensors (float32) and the tokenizer files.

    `save_pretrained` refuses GGUF-loaded models, so the dequantised state dict is written
    directly (without the tied `lm_head.weight`, as transformers does).
    """
    from safetensors.torch import save_file

    os.makedirs(folder, exist_ok=True)
    config = model.config.to_dict()
    config.pop("quantization_config", None)
    config["torch_dtype"] = "float32"
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    state = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    save_file(state, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    tokenizer.save_pretrained(folder)
    if model.generation_config is not None:
        model.generation_config.save_pretrained(folder)


if __name__ == "__main__":
    main()
