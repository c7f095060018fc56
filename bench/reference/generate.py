#!/usr/bin/env python3
"""PyTorch reference for `irpo bench generate`: transformers `generate` on a random Llama.

LlamaForCausalLM in float32 with random init (seed 1), one prompt of `--prompt-length` token ids
repeated `--batch` times (`num_return_sequences`), `--new-tokens` new tokens per sample with
sampling at temperature 1 (top-k/top-p off) and no EOS, so every sample has exactly that many
tokens. One warm-up run is excluded; the best of `--repeats` timed runs is reported as ONE JSON
line:

    {"shape", "batch", "prompt_length", "new_tokens", "tokens_per_s", "seconds", "threads", "torch_version"}

Usage:

    python3 bench/reference/generate.py --shape tiny|smollm-135m [--batch 1] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import time

SHAPES = {
    # vocab 512, hidden 256, 4 layers, 4 heads, intermediate 688, untied (3.4M params)
    "tiny": dict(vocab_size=512, hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                 num_key_value_heads=4, intermediate_size=688, tie_word_embeddings=False),
    # SmolLM-135M: vocab 49152, hidden 576, 30 layers, 9 heads, 3 kv heads, intermediate 1536, tied
    "smollm-135m": dict(vocab_size=49152, hidden_size=576, num_hidden_layers=30,
                        num_attention_heads=9, num_key_value_heads=3, intermediate_size=1536,
                        tie_word_embeddings=True, rms_norm_eps=1e-5),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--prompt-length", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    config = LlamaConfig(max_position_embeddings=2048, **SHAPES[args.shape])
    model = LlamaForCausalLM(config).float().eval()
    vocab = config.vocab_size
    prompt = torch.tensor([[(i * 7919 + 13) % vocab for i in range(args.prompt_length)]])

    def run() -> int:
        with torch.inference_mode():
            out = model.generate(
                prompt, attention_mask=torch.ones_like(prompt), do_sample=True, temperature=1.0,
                top_k=0, top_p=1.0, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens,
                num_return_sequences=args.batch, eos_token_id=None, pad_token_id=0)
        return (out.shape[1] - prompt.shape[1]) * out.shape[0]

    run()  # warm-up
    best = float("inf")
    tokens = 0
    for _ in range(args.repeats):
        start = time.perf_counter()
        tokens = run()
        best = min(best, time.perf_counter() - start)
    print(json.dumps({
        "shape": args.shape, "batch": args.batch, "prompt_length": args.prompt_length,
        "new_tokens": args.new_tokens, "tokens_per_s": round(tokens / best, 1), "seconds": best,
        "threads": args.threads, "torch_version": torch.__version__,
    }))


if __name__ == "__main__":
    main()
