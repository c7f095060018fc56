#!/usr/bin/env python3
"""PyTorch reference for the preference-pair (DPO + NLL) training step.

transformers LlamaForCausalLM in float32 with random init; each step takes `--pairs` random
preference pairs (prompt + chosen, prompt + rejected in ONE forward, chosen and rejected of a
pair in the same batch), computes per-sequence summed completion log-probs (log_softmax +
gather), the paper's loss

    L = mean_pairs[ -log sigmoid(beta*[(logp_w - ref_w) - (logp_l - ref_l)]) - alpha*logp_w/|w| ]

with reference log-probs computed once before timing (as the design does: the reference model
is not in memory while training), backward, one torch.optim.AdamW step. One warm-up step is
excluded. Prints ONE JSON line: shape, pairs_per_s, tokens_per_s (all rows' tokens, prompt
included), peak_rss_bytes, threads, steps, torch_version, and the batch geometry.

Usage:

    python3 bench/reference/dpo_step.py --shape tiny|smollm-135m [--steps N] [--threads 2]
        [--pairs P] [--prompt-len N] [--completion-len N]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_step import SHAPES  # noqa: E402

# pairs per step, prompt tokens, completion tokens: 2 * pairs rows of prompt + completion,
# 2048 tokens per step for both shapes (the same token count as train_step.py).
GEOMETRY = {"tiny": (4, 128, 128), "smollm-135m": (2, 256, 256)}
DEFAULT_STEPS = {"tiny": 10, "smollm-135m": 3}


def main() -> int:
    parser = argparse.ArgumentParser(description="PyTorch DPO+NLL step reference benchmark")
    parser.add_argument("--shape", choices=sorted(SHAPES), required=True)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=None)
    parser.add_argument("--prompt-len", type=int, default=None)
    parser.add_argument("--completion-len", type=int, default=None)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--beta", type=float, default=0.1)
    args = parser.parse_args()
    pairs, prompt_len, completion_len = GEOMETRY[args.shape]
    pairs = args.pairs or pairs
    prompt_len = args.prompt_len or prompt_len
    completion_len = args.completion_len or completion_len
    steps = args.steps if args.steps is not None else DEFAULT_STEPS[args.shape]
    if min(steps, args.threads, pairs, prompt_len, completion_len) < 1:
        parser.error("--steps, --threads, --pairs, --prompt-len and --completion-len must be >= 1")

    import torch
    import torch.nn.functional as F
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    shape = SHAPES[args.shape]
    config_keys = {k: v for k, v in shape.items() if k not in ("batch", "seq")}
    seq = prompt_len + completion_len
    config = LlamaConfig(max_position_embeddings=max(2048, seq), rms_norm_eps=1e-5, **config_keys)
    model = LlamaForCausalLM(config).float().train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-6, weight_decay=0.0)

    vocab = shape["vocab_size"]
    prompt = torch.randint(0, vocab, (pairs, prompt_len))
    chosen = torch.randint(0, vocab, (pairs, completion_len))
    rejected = torch.randint(0, vocab, (pairs, completion_len))
    input_ids = torch.cat([torch.cat([prompt, chosen], 1), torch.cat([prompt, rejected], 1)], 0)
    completion_mask = torch.zeros(2 * pairs, seq - 1)
    completion_mask[:, prompt_len - 1:] = 1.0  # targets at positions >= prompt_len

    def sequence_logps(logits):
        logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
        gathered = logprobs.gather(-1, input_ids[:, 1:, None]).squeeze(-1)
        return (gathered * completion_mask).sum(dim=1)

    with torch.no_grad():  # reference log-probs: once, not timed (a frozen copy of the start)
        ref = sequence_logps(model(input_ids=input_ids).logits)
    ref_chosen, ref_rejected = ref[:pairs], ref[pairs:]

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        logps = sequence_logps(model(input_ids=input_ids).logits)
        chosen_logps, rejected_logps = logps[:pairs], logps[pairs:]
        margin = args.beta * ((chosen_logps - ref_chosen) - (rejected_logps - ref_rejected))
        loss = (-F.logsigmoid(margin) - args.alpha * chosen_logps / completion_len).mean()
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    elapsed = time.perf_counter() - start

    print(json.dumps({
        "shape": args.shape,
        "pairs_per_s": pairs * steps / elapsed,
        "tokens_per_s": 2 * pairs * seq * steps / elapsed,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "threads": args.threads,
        "steps": steps,
        "torch_version": torch.__version__,
        "pairs": pairs,
        "prompt_len": prompt_len,
        "completion_len": completion_len,
        "seconds_per_step": elapsed / steps,
        "last_loss": loss,
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
