#!/usr/bin/env python3
"""Write the training reference fixtures of Tests/IRPOTrainingTests/Fixtures/.

A tiny random Llama (the policy, `model/`), a reference model with the same shape and other
weights (`reference/`), a few preference pairs as token ids (`pairs.json`, `pairs.jsonl`), and
the expected values of the paper's RPO loss and its variants, computed in float64 by a direct
PyTorch implementation (`expected.safetensors`, F32; `expected.json`, float64 scalars):

    paper  L = mean_pairs[ -log sigmoid(beta*[(logp_w - ref_w) - (logp_l - ref_l)])
                           - alpha * logp_w / |w| ]
    TRL    L = mean_pairs[ -log sigmoid(beta*[...]) ]
               - alpha * (sum of chosen token log-probs of the batch) / (chosen tokens of the batch)

Variants: `rpo` (paper form, alpha 1, beta 0.1), `rpo_sft` (TRL's `sft` term, alpha 1,
beta 0.1), `dpo` (alpha 0, beta 0.1). All pairs form ONE micro-batch (this matters for the
TRL form). If TRL is installed, the script also runs TRL's DPOTrainer loss code
(`loss_type=["sigmoid", "sft"]`) on the same model and pairs and checks loss and gradients
against the direct implementation; TRL is not required to write the fixtures.

Usage (from the repository root):

    python3 scripts/make_training_fixtures.py [--output Tests/IRPOTrainingTests/Fixtures]
"""

from __future__ import annotations

import argparse
import collections
import json
import platform
import shutil
import sys
import types
from pathlib import Path

import torch
import torch.nn.functional as F
import safetensors
import safetensors.torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_model_fixtures as model_fixtures  # noqa: E402  (float64 patches, init)

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "Tests/IRPOTrainingTests/Fixtures"

CONFIG = dict(model_fixtures.COMMON, num_attention_heads=4, num_key_value_heads=2,
              tie_word_embeddings=True)
POLICY_SEED = 2001
REFERENCE_SEED = 2002
PAIRS_SEED = 2003
BETA = 0.1
# (prompt length, chosen length, rejected length) per pair; lengths differ so padding matters
PAIR_LENGTHS = [(4, 6, 3), (6, 2, 7), (3, 8, 5), (5, 4, 4)]
VARIANTS = {
    "rpo": dict(alpha=1.0, beta=BETA, nll="sequence"),
    "rpo_sft": dict(alpha=1.0, beta=BETA, nll="token"),
    "dpo": dict(alpha=0.0, beta=BETA, nll="sequence"),
}


def make_model(seed: int) -> LlamaForCausalLM:
    config = model_fixtures.build_config(LlamaConfig, {k: v for k, v in CONFIG.items()
                                                       if k not in model_fixtures.COMMON})
    model = LlamaForCausalLM(config).eval()
    model_fixtures.randomize(model, torch.Generator().manual_seed(seed))
    return model


def make_pairs(vocab: int) -> list[dict]:
    generator = torch.Generator().manual_seed(PAIRS_SEED)

    def ids(count):
        return torch.randint(0, vocab, (count,), generator=generator).tolist()

    return [{"prompt_ids": ids(p), "chosen_ids": ids(c), "rejected_ids": ids(r)}
            for p, c, r in PAIR_LENGTHS]


def batch_of(pairs: list[dict]):
    """[chosen_0..chosen_{P-1}, rejected_0..rejected_{P-1}], right-padded, with completion masks."""
    rows = [p["prompt_ids"] + p["chosen_ids"] for p in pairs] + \
           [p["prompt_ids"] + p["rejected_ids"] for p in pairs]
    masks = [[0] * len(p["prompt_ids"]) + [1] * len(p["chosen_ids"]) for p in pairs] + \
            [[0] * len(p["prompt_ids"]) + [1] * len(p["rejected_ids"]) for p in pairs]
    tmax = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), tmax, dtype=torch.long)
    attention = torch.zeros(len(rows), tmax, dtype=torch.long)
    completion = torch.zeros(len(rows), tmax, dtype=torch.float64)
    for b, (row, mask) in enumerate(zip(rows, masks)):
        ids[b, : len(row)] = torch.tensor(row)
        attention[b, : len(row)] = 1
        completion[b, : len(row)] = torch.tensor(mask, dtype=torch.float64)
    return ids, attention, completion


def per_token_logps(model, ids, attention, completion):
    """[2P, T-1] log p(token t+1 | tokens <= t) on completion tokens, 0 elsewhere."""
    logits = model(input_ids=ids, attention_mask=attention).logits
    logprobs = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    return logprobs * completion[:, 1:]


def rpo_terms(token_logps, completion, ref_chosen, ref_rejected, alpha, beta, nll):
    """The paper's loss (nll="sequence") or with TRL's sft term (nll="token")."""
    pairs = ref_chosen.shape[0]
    logps = token_logps.sum(dim=1)
    counts = completion[:, 1:].sum(dim=1)
    chosen, rejected = logps[:pairs], logps[pairs:]
    chosen_counts = counts[:pairs]
    chosen_rewards = beta * (chosen - ref_chosen)
    rejected_rewards = beta * (rejected - ref_rejected)
    dpo_losses = -F.logsigmoid(chosen_rewards - rejected_rewards)
    if nll == "sequence":
        nll_value = (-chosen / chosen_counts).mean()
    else:
        nll_value = -chosen.sum() / chosen_counts.sum()
    loss = dpo_losses.mean() + alpha * nll_value
    return {
        "loss": loss,
        "dpo_loss": dpo_losses.mean(),
        "nll": nll_value,
        "dpo_losses": dpo_losses,
        "logps_chosen": chosen,
        "logps_rejected": rejected,
        "rewards_chosen": chosen_rewards,
        "rewards_rejected": rejected_rewards,
        "rewards_margins": chosen_rewards - rejected_rewards,
        "rewards_accuracies": (chosen_rewards > rejected_rewards).to(torch.float64),
        "num_tokens_chosen": chosen_counts,
        "num_tokens_rejected": counts[pairs:],
    }


def trl_cross_check(policy, pairs, ref_chosen, ref_rejected, direct: dict) -> dict:
    """Run TRL's DPOTrainer._compute_loss (sigmoid + sft) on the same model and pairs."""
    try:
        import trl
        from trl.trainer.dpo_trainer import DataCollatorForPreference, DPOTrainer
        from trl.trainer.utils import add_fused_lm_head
    except ImportError as error:
        return {"trl": f"not installed ({error}); cross-check skipped"}

    collator = DataCollatorForPreference(pad_token_id=0)
    rows = [dict(p, ref_chosen_logps=float(rc), ref_rejected_logps=float(rr))
            for p, rc, rr in zip(pairs, ref_chosen.tolist(), ref_rejected.tolist())]
    inputs = collator(rows)
    inputs["ref_chosen_logps"] = ref_chosen.clone()
    inputs["ref_rejected_logps"] = ref_rejected.clone()

    class Accelerator:
        device = torch.device("cpu")

        @staticmethod
        def gather_for_metrics(x):
            return x

        @staticmethod
        def gather(x):
            return x

    add_fused_lm_head(policy, outputs=("log_probs", "entropy", "mean_logits", "is_top1"))
    results = {"trl": trl.__version__}
    for name in ("rpo_sft", "dpo"):
        alpha = VARIANTS[name]["alpha"]
        fake = types.SimpleNamespace(
            model=policy, accelerator=Accelerator(), aux_loss_enabled=False, ld_alpha=None,
            precompute_ref_logps=True, f_divergence_type="reverse_kl",
            loss_types=["sigmoid", "sft"], loss_weights=[1.0, alpha], beta=BETA,
            use_weighting=False, label_smoothing=0.0, _tp_size=1, _total_train_tokens=0,
            _metrics={"train": collections.defaultdict(list), "eval": collections.defaultdict(list)},
        )
        policy.zero_grad(set_to_none=True)
        loss = DPOTrainer._compute_loss(fake, policy, dict(inputs), return_outputs=False)
        loss.backward()
        loss = loss.detach()
        reference = direct[name]
        loss_error = abs(float(loss) - float(reference["loss"])) / abs(float(reference["loss"]))
        grad_error = 0.0
        for pname, param in policy.named_parameters():
            expected = reference["grads"][pname]
            grad_error = max(grad_error, float((param.grad - expected).abs().max()
                                               / expected.abs().max()))
        mode = "train" if policy.training else "eval"
        metrics = {k: v[0] for k, v in fake._metrics[mode].items()}
        metric_error = 0.0
        for key, ours in (("rewards/chosen", reference["rewards_chosen"].mean()),
                          ("rewards/rejected", reference["rewards_rejected"].mean()),
                          ("rewards/margins", reference["rewards_margins"].mean()),
                          ("rewards/accuracies", reference["rewards_accuracies"].mean()),
                          ("logps/chosen", reference["logps_chosen"].mean()),
                          ("logps/rejected", reference["logps_rejected"].mean())):
            metric_error = max(metric_error, abs(metrics[key] - float(ours)) / max(1.0, abs(float(ours))))
        print(name, "vs TRL: loss rel err", loss_error, "grad max err / max|grad|", grad_error,
              "metrics max rel err", metric_error)
        assert loss_error < 1e-6 and grad_error < 1e-6 and metric_error < 1e-6, name
        results[f"{name}_metrics_rel_err_vs_trl"] = metric_error
        results[f"{name}_loss_rel_err_vs_trl"] = loss_error
        results[f"{name}_grad_max_err_vs_trl"] = grad_error
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    out = args.output
    out.mkdir(parents=True, exist_ok=True)

    policy = make_model(POLICY_SEED)
    reference = make_model(REFERENCE_SEED)
    for folder, model in (("model", policy), ("reference", reference)):
        if (out / folder).exists():
            shutil.rmtree(out / folder)
        model.save_pretrained(out / folder)
    pairs = make_pairs(policy.config.vocab_size)
    (out / "pairs.json").write_text(json.dumps(pairs, indent=1) + "\n")
    (out / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))

    model_fixtures.patch_to_float64(policy)
    model_fixtures.patch_to_float64(reference)
    ids, attention, completion = batch_of(pairs)
    with torch.no_grad():
        ref_logps = per_token_logps(reference, ids, attention, completion).sum(dim=1)
    ref_chosen, ref_rejected = ref_logps[: len(pairs)], ref_logps[len(pairs):]

    params = dict(policy.named_parameters())
    token_logps = per_token_logps(policy, ids, attention, completion)
    direct = {}
    for name, variant in VARIANTS.items():
        terms = rpo_terms(token_logps, completion, ref_chosen, ref_rejected, **variant)
        grads = torch.autograd.grad(terms["loss"], list(params.values()), retain_graph=True)
        terms = {k: v.detach() for k, v in terms.items()}
        terms["grads"] = dict(zip(params.keys(), grads))
        direct[name] = terms

    tensors = {
        "ref_logps.chosen": ref_chosen,
        "ref_logps.rejected": ref_rejected,
        "logps.chosen": direct["rpo"]["logps_chosen"],
        "logps.rejected": direct["rpo"]["logps_rejected"],
        "num_tokens.chosen": direct["rpo"]["num_tokens_chosen"],
        "num_tokens.rejected": direct["rpo"]["num_tokens_rejected"],
    }
    summary = {}
    for name, terms in direct.items():
        for key in ("loss", "dpo_loss", "nll"):
            tensors[f"{name}.{key}"] = terms[key].reshape(1)
        for key in ("dpo_losses", "rewards_chosen", "rewards_rejected", "rewards_margins",
                    "rewards_accuracies"):
            tensors[f"{name}.{key}"] = terms[key]
        for pname, grad in terms["grads"].items():
            tensors[f"{name}.grad.{pname}"] = grad
        summary[name] = dict(VARIANTS[name], metrics={
            "loss": float(terms["loss"]),
            "nll": float(terms["nll"]),
            "dpo_loss": float(terms["dpo_loss"]),
            "rewards/chosen": float(terms["rewards_chosen"].mean()),
            "rewards/rejected": float(terms["rewards_rejected"].mean()),
            "rewards/margins": float(terms["rewards_margins"].mean()),
            "rewards/accuracies": float(terms["rewards_accuracies"].mean()),
            "logps/chosen": float(terms["logps_chosen"].mean()),
            "logps/rejected": float(terms["logps_rejected"].mean()),
        })
    tensors = {k: v.to(torch.float32).contiguous() for k, v in tensors.items()}
    safetensors.torch.save_file(tensors, str(out / "expected.safetensors"))
    expected_json = {
        "pairs_in_one_micro_batch": len(pairs),
        "ref_logps": {"chosen": ref_chosen.tolist(), "rejected": ref_rejected.tolist()},
        "logps": {"chosen": direct["rpo"]["logps_chosen"].tolist(),
                  "rejected": direct["rpo"]["logps_rejected"].tolist()},
        "variants": summary,
    }
    (out / "expected.json").write_text(json.dumps(expected_json, indent=2) + "\n")

    checks = trl_cross_check(policy, pairs, ref_chosen, ref_rejected, direct)
    versions = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "safetensors": safetensors.__version__,
        "script": "scripts/make_training_fixtures.py",
        "seeds": {"policy": POLICY_SEED, "reference": REFERENCE_SEED, "pairs": PAIRS_SEED},
        "trl_cross_check": checks,
    }
    (out / "versions.json").write_text(json.dumps(versions, indent=2) + "\n")
    for path in list(out.rglob("*")):
        if path.is_file():
            path.chmod(0o644)

    for name, entry in summary.items():
        print(name, json.dumps(entry["metrics"]))
    print("rewards/margins per pair:", direct["rpo"]["rewards_margins"].tolist())
    print("max |grad| rpo:", max(float(g.abs().max()) for g in direct["rpo"]["grads"].values()))
    print(json.dumps(checks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
