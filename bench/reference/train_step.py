#!/usr/bin/env python3
"""PyTorch reference for `irpo bench train`: one full training step of a random Llama.

transformers LlamaForCausalLM in float32 with random init, random token ids, the causal-LM
cross-entropy loss (`labels=input_ids`), backward, one torch.optim.AdamW step. One warm-up step
is excluded from the timing. Prints ONE JSON line:

    {"shape", "tokens_per_s", "gflops", "peak_rss_bytes", "threads", "steps", "torch_version", ...}

Usage:

    python3 bench/reference/train_step.py --shape tiny|smollm-135m [--steps N] [--threads 2]

The FLOP count is the one `irpo bench train` uses (see bench/reference/README.md):

    flops_per_step = 6 * matmul_params * B * S + 12 * layers * B * S * S * hidden
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

SHAPES = {
    # vocab 512, hidden 256, 4 layers, 4 heads, intermediate 688, untied (3.4M params)
    "tiny": dict(vocab_size=512, hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                 num_key_value_heads=4, intermediate_size=688, tie_word_embeddings=False,
                 batch=8, seq=256),
    # SmolLM-135M: vocab 49152, hidden 576, 30 layers, 9 heads, 3 kv heads, intermediate 1536, tied
    "smollm-135m": dict(vocab_size=49152, hidden_size=576, num_hidden_layers=30,
                        num_attention_heads=9, num_key_value_heads=3, intermediate_size=1536,
                        tie_word_embeddings=True, batch=4, seq=512),
}

DEFAULT_STEPS = {"tiny": 10, "smollm-135m": 3}


def matmul_params(shape: dict) -> int:
    """Parameters that take part in a matrix product: the layer projections and the LM head.

    The embedding lookup and the RMSNorm gains are not matrix products and are not counted. For
    a tied model the LM head is the embedding matrix, counted once (as a product).
    """
    hidden = shape["hidden_size"]
    head_dim = hidden // shape["num_attention_heads"]
    kv = shape["num_key_value_heads"] * head_dim
    inter = shape["intermediate_size"]
    per_layer = hidden * hidden * 2 + hidden * kv * 2 + 3 * hidden * inter
    return shape["num_hidden_layers"] * per_layer + shape["vocab_size"] * hidden


def flops_per_step(shape: dict) -> int:
    """6 * matmul_params * tokens (forward 2, backward 4) + attention scores and values.

    Attention: Q K^T and P V cost 2*S*S*hidden each per sequence and layer in the forward pass
    (full square, no causal halving), times 3 for forward + backward: 12 * L * B * S^2 * hidden.
    """
    batch, seq = shape["batch"], shape["seq"]
    tokens = batch * seq
    attention = 12 * shape["num_hidden_layers"] * batch * seq * seq * shape["hidden_size"]
    return 6 * matmul_params(shape) * tokens + attention


def main() -> int:
    parser = argparse.ArgumentParser(description="PyTorch training-step reference benchmark")
    parser.add_argument("--shape", choices=sorted(SHAPES), required=True)
    parser.add_argument("--steps", type=int, default=None, help="timed steps (after 1 warm-up)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gradient-checkpointing", action="store_true",
                        help="transformers' gradient checkpointing (non-reentrant), as irpo's --gradient-checkpointing")
    args = parser.parse_args()
    steps = args.steps if args.steps is not None else DEFAULT_STEPS[args.shape]
    if steps < 1 or args.threads < 1:
        parser.error(f"--steps ({steps}) and --threads ({args.threads}) must be >= 1")

    import torch
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    shape = SHAPES[args.shape]
    config_keys = {k: v for k, v in shape.items() if k not in ("batch", "seq")}
    config = LlamaConfig(max_position_embeddings=max(2048, shape["seq"]), rms_norm_eps=1e-5,
                         **config_keys)
    model = LlamaForCausalLM(config).float().train()
    if args.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    batch, seq = shape["batch"], shape["seq"]
    input_ids = torch.randint(0, shape["vocab_size"], (batch, seq))

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = model(input_ids=input_ids, labels=input_ids).loss
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    step()  # warm-up, not timed
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    elapsed = time.perf_counter() - start

    tokens = batch * seq * steps
    result = {
        "shape": args.shape,
        "tokens_per_s": tokens / elapsed,
        "gflops": flops_per_step(shape) * steps / elapsed / 1e9,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "threads": args.threads,
        "steps": steps,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "attn_implementation": model.config._attn_implementation,
        "seconds_per_step": elapsed / steps,
        "params": sum(p.numel() for p in model.parameters()),
        "gradient_checkpointing": args.gradient_checkpointing,
        "flops_per_step": flops_per_step(shape),
        "last_loss": loss,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
