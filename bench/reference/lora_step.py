#!/usr/bin/env python3
"""PyTorch + PEFT reference for `irpo bench train --lora`: one LoRA training step of a random
Llama with a frozen base.

transformers LlamaForCausalLM in float32 with random init, wrapped by peft.get_peft_model with
LoraConfig(r, lora_alpha = 2 r, lora_dropout 0, target_modules "all-linear"): adapters on every
q/k/v/o/gate/up/down projection, base frozen (no base gradients, no base AdamW moments). Random
token ids, causal-LM cross-entropy (`labels=input_ids`), backward, one torch.optim.AdamW step
over the adapter weights. One warm-up step is excluded from the timing. Prints ONE JSON line:

    {"shape", "mode": "lora", "tokens_per_s", "gflops", "peak_rss_bytes", "threads", "steps",
     "torch_version", ...}

Usage:

    python3 bench/reference/lora_step.py --shape tiny|smollm-135m|1b [--steps N] [--threads 2] [--rank 16]
        [--gradient-checkpointing]

Shapes and the FLOP count are `irpo bench train --lora`'s: the base products forward (2) and
backward to the inputs only (2) per parameter and token, attention as train_step.py counts it,
and 6 per adapter weight and token:

    flops_per_step = 4 * matmul_params * B * S + 12 * L * B * S^2 * H + 6 * adapter_params * B * S

(The LM head's weight gradient is not needed either: the head is frozen.)
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

from train_step import SHAPES as FULL_SHAPES, matmul_params

SHAPES = dict(FULL_SHAPES)
# Llama-3.2-1B's layers (hidden 2048, 16 layers, 32 heads, 8 kv heads, intermediate 8192, tied)
# with a 32k vocabulary: 1.04B parameters.
SHAPES["1b"] = dict(vocab_size=32000, hidden_size=2048, num_hidden_layers=16, num_attention_heads=32,
                    num_key_value_heads=8, intermediate_size=8192, tie_word_embeddings=True,
                    batch=2, seq=512)

DEFAULT_STEPS = {"tiny": 10, "smollm-135m": 3, "1b": 2}


def adapter_params(shape: dict, rank: int) -> int:
    """r * (in + out) per adapted projection, 7 per layer."""
    hidden = shape["hidden_size"]
    kv = shape["num_key_value_heads"] * (hidden // shape["num_attention_heads"])
    inter = shape["intermediate_size"]
    per_layer = (hidden + hidden) * 2 + (hidden + kv) * 2 + (hidden + inter) * 3
    return shape["num_hidden_layers"] * per_layer * rank


def flops_per_step(shape: dict, rank: int) -> int:
    batch, seq = shape["batch"], shape["seq"]
    tokens = batch * seq
    attention = 12 * shape["num_hidden_layers"] * batch * seq * seq * shape["hidden_size"]
    return 4 * matmul_params(shape) * tokens + attention + 6 * adapter_params(shape, rank) * tokens


def main() -> int:
    parser = argparse.ArgumentParser(description="PyTorch + PEFT LoRA training-step reference benchmark")
    parser.add_argument("--shape", choices=sorted(SHAPES), required=True)
    parser.add_argument("--steps", type=int, default=None, help="timed steps (after 1 warm-up)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gradient-checkpointing", action="store_true",
                        help="transformers' gradient checkpointing (non-reentrant), as irpo's --gradient-checkpointing")
    args = parser.parse_args()
    steps = args.steps if args.steps is not None else DEFAULT_STEPS[args.shape]
    if steps < 1 or args.threads < 1 or args.rank < 1:
        parser.error(f"--steps ({steps}), --threads ({args.threads}) and --rank ({args.rank}) must be >= 1")

    import peft
    import torch
    import transformers
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    shape = SHAPES[args.shape]
    config_keys = {k: v for k, v in shape.items() if k not in ("batch", "seq")}
    config = LlamaConfig(max_position_embeddings=max(2048, shape["seq"]), rms_norm_eps=1e-5, **config_keys)
    base = LlamaForCausalLM(config).float()
    if args.gradient_checkpointing:
        base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    lora = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.0, target_modules="all-linear",
                      bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(base, lora).train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.01)
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
        "mode": "lora",
        "tokens_per_s": tokens / elapsed,
        "gflops": flops_per_step(shape, args.rank) * steps / elapsed / 1e9,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "threads": args.threads,
        "steps": steps,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "peft_version": peft.__version__,
        "attn_implementation": base.config._attn_implementation,
        "seconds_per_step": elapsed / steps,
        "rank": args.rank,
        "gradient_checkpointing": args.gradient_checkpointing,
        "trainable_parameters": sum(p.numel() for p in trainable),
        "flops_per_step": flops_per_step(shape, args.rank),
        "last_loss": loss,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
