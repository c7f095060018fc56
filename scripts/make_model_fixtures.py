#!/usr/bin/env python3
"""Write the model reference fixtures of Tests/IRPOModelTests/Fixtures/models/.

Each case is a tiny random transformers model (LlamaForCausalLM, MistralForCausalLM or
Qwen2ForCausalLM) saved with `save_pretrained`, three unpadded token sequences of different
lengths with score masks and loss weights (`inputs.json`), and the expected values computed in
float64 (`expected.safetensors`, stored as F32):

    logits          [B, Tmax, V]  right-padded; rows at padded positions are zero
    token_logprobs  [B, Tmax]     log p(token t | tokens < t) where scored, else 0
    sum_logprobs    [B]
    num_tokens      [B]
    loss            [1]           sum_b loss_weights[b] * sum_logprobs[b]
    grad.<name>     d loss / d parameter, in the HF parameter's shape

transformers' eager code computes RMSNorm, the rotary angles and the attention softmax in
float32 even for a float64 model; this script patches those three places so that the reference
is float64 end to end (and checks that the patched model agrees with the stock float32 model).

Usage (from the repository root):

    python3 scripts/make_model_fixtures.py [--output Tests/IRPOModelTests/Fixtures/models]

Deterministic: every random number comes from a torch.Generator with a fixed per-case seed.
"""

from __future__ import annotations

import argparse
import json
import math
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
from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM
from transformers import Qwen2Config, Qwen2ForCausalLM

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "Tests/IRPOModelTests/Fixtures/models"

COMMON = dict(
    vocab_size=97,
    hidden_size=32,
    intermediate_size=48,
    num_hidden_layers=2,
    head_dim=8,
    max_position_embeddings=128,
    rms_norm_eps=1e-6,
)

LLAMA3_SCALING = {
    "rope_type": "llama3",
    "factor": 8.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 32,
}

# name -> (config class, model class, extra config keys, seed)
CASES = {
    "llama-tied-gqa": (
        LlamaConfig, LlamaForCausalLM,
        dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True), 1001),
    "llama-untied-mha": (
        LlamaConfig, LlamaForCausalLM,
        dict(num_attention_heads=4, num_key_value_heads=4, tie_word_embeddings=False), 1002),
    "qwen2-bias": (
        Qwen2Config, Qwen2ForCausalLM,
        dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False), 1003),
    "mistral-rope-theta": (
        MistralConfig, MistralForCausalLM,
        dict(num_attention_heads=4, num_key_value_heads=1, tie_word_embeddings=False,
             rope_theta=1e6), 1004),
    # rope_theta 100 so that with head_dim 8 the four rotary frequencies fall in all three bands
    # of the llama3 rule (wavelengths 6.3 < 8 kept, 19.9 smoothed, 62.8 and 199 divided by 8).
    "llama3-rope-scaling": (
        LlamaConfig, LlamaForCausalLM,
        dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False,
             rope_theta=100.0, rope_scaling=dict(LLAMA3_SCALING)), 1005),
}

SEQUENCE_LENGTHS = [13, 9, 16]      # B = 3, all different, Tmax = 16
PROMPT_LENGTHS = [5, 3, 6]          # positions < prompt length are not scored
LOSS_WEIGHTS = [0.7, -1.3, 0.45]


# ----------------------------------------------------------------------------------------------
# float64 patches


def rope_inv_freq_float64(config) -> torch.Tensor:
    """Inverse rotary frequencies in float64 (default rule, or the llama3 rule)."""
    params = config.rope_parameters
    theta = float(params["rope_theta"])
    dim = config.head_dim
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    if params.get("rope_type", "default") == "default":
        return inv_freq
    assert params["rope_type"] == "llama3", params
    factor = float(params["factor"])
    low = float(params["low_freq_factor"])
    high = float(params["high_freq_factor"])
    old_context = float(params["original_max_position_embeddings"])
    low_freq_wavelen = old_context / low
    high_freq_wavelen = old_context / high
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_context / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    is_medium = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium, smoothed, scaled)


def rotary_forward_float64(self, x, position_ids):
    freqs = position_ids[..., None].to(torch.float64) * self.inv_freq_float64
    emb = torch.cat((freqs, freqs), dim=-1)
    return (emb.cos() * self.attention_scaling).to(x.dtype), (emb.sin() * self.attention_scaling).to(x.dtype)


def rms_norm_forward_float64(self, hidden_states):
    variance = hidden_states.pow(2).mean(-1, keepdim=True)
    return self.weight * (hidden_states * torch.rsqrt(variance + self.variance_epsilon))


_stock_softmax = F.softmax


def softmax_keeping_float64(input, dim=None, _stacklevel=3, dtype=None):
    if input.dtype == torch.float64:
        dtype = None
    return _stock_softmax(input, dim=dim, _stacklevel=_stacklevel, dtype=dtype)


def patch_to_float64(model) -> None:
    """Cast to float64 and remove the float32 islands of the eager implementation."""
    model.double()
    for module in model.modules():
        name = type(module).__name__
        if name.endswith("RotaryEmbedding"):
            inv64 = rope_inv_freq_float64(model.config)
            stock = module.inv_freq.to(torch.float64)
            assert torch.allclose(inv64, stock, rtol=1e-6, atol=0), (inv64, stock)
            module.inv_freq_float64 = inv64
            module.forward = types.MethodType(rotary_forward_float64, module)
        elif name.endswith("RMSNorm"):
            module.forward = types.MethodType(rms_norm_forward_float64, module)
    torch.nn.functional.softmax = softmax_keeping_float64


# ----------------------------------------------------------------------------------------------
# case construction


def build_config(config_cls, extra):
    keys = dict(COMMON)
    keys.update(extra)
    keys["attn_implementation"] = "eager"
    return config_cls(**keys)


def randomize(model, generator) -> None:
    """Non-degenerate init: N(0, 0.2) weights, 1 + 0.1 N(0,1) norm gains, 0.1 N(0,1) biases."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator, dtype=torch.float32)
            if name.endswith("norm.weight"):
                param.copy_(1.0 + 0.1 * noise)
            elif name.endswith(".bias"):
                param.copy_(0.1 * noise)
            else:
                param.copy_(0.2 * noise)


def make_inputs(generator, vocab):
    sequences, masks = [], []
    for index, (length, prompt) in enumerate(zip(SEQUENCE_LENGTHS, PROMPT_LENGTHS)):
        ids = torch.randint(0, vocab, (length,), generator=generator).tolist()
        mask = [0] * prompt + [1] * (length - prompt)
        if index == 2:
            mask[prompt + 3] = 0  # a hole: the mask is general, not only a prompt/completion split
        sequences.append(ids)
        masks.append(mask)
    return {"sequences": sequences, "score_masks": masks, "loss_weights": list(LOSS_WEIGHTS)}


def padded_batch(inputs, dtype):
    batch = len(inputs["sequences"])
    tmax = max(len(s) for s in inputs["sequences"])
    ids = torch.zeros(batch, tmax, dtype=torch.long)
    attention = torch.zeros(batch, tmax, dtype=torch.long)
    score = torch.zeros(batch, tmax, dtype=dtype)
    for b, (seq, mask) in enumerate(zip(inputs["sequences"], inputs["score_masks"])):
        ids[b, : len(seq)] = torch.tensor(seq)
        attention[b, : len(seq)] = 1
        score[b, : len(seq)] = torch.tensor(mask, dtype=dtype)
    return ids, attention, score


def forward_values(model, inputs, dtype):
    """Logits, token log-probs, sums, counts and the weighted loss (graph kept for backward)."""
    ids, attention, score = padded_batch(inputs, dtype)
    logits = model(input_ids=ids, attention_mask=attention).logits  # [B, T, V]
    logprobs = torch.log_softmax(logits[:, :-1, :], dim=-1)
    gathered = logprobs.gather(-1, ids[:, 1:, None]).squeeze(-1)    # [B, T-1]
    token_logprobs = torch.zeros_like(score)
    token_logprobs[:, 1:] = gathered * score[:, 1:]
    sums = token_logprobs.sum(dim=1)
    counts = score.sum(dim=1)
    weights = torch.tensor(inputs["loss_weights"], dtype=dtype)
    loss = (weights * sums).sum()
    logits = logits * attention[:, :, None].to(dtype)  # zero rows at padded positions
    return logits, token_logprobs, sums, counts, loss


def write_case(name, output: Path) -> dict:
    config_cls, model_cls, extra, seed = CASES[name]
    generator = torch.Generator().manual_seed(seed)
    config = build_config(config_cls, extra)
    model = model_cls(config).eval()
    randomize(model, generator)
    inputs = make_inputs(generator, config.vocab_size)

    folder = output / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    model.save_pretrained(folder)
    (folder / "inputs.json").write_text(json.dumps(inputs) + "\n")

    # Stock float32 model (before patching) for a sanity comparison.
    with torch.no_grad():
        logits32 = forward_values(model, inputs, torch.float32)[0]

    patch_to_float64(model)
    model.zero_grad(set_to_none=True)
    logits, token_logprobs, sums, counts, loss = forward_values(model, inputs, torch.float64)
    loss.backward()

    tensors = {
        "logits": logits.detach(),
        "token_logprobs": token_logprobs.detach(),
        "sum_logprobs": sums.detach(),
        "num_tokens": counts.detach(),
        "loss": loss.detach().reshape(1),
    }
    for pname, param in model.named_parameters():
        assert param.grad is not None, pname
        tensors[f"grad.{pname}"] = param.grad.detach()
    tensors = {k: v.to(torch.float32).contiguous() for k, v in tensors.items()}
    safetensors.torch.save_file(tensors, str(folder / "expected.safetensors"))
    for path in folder.iterdir():
        path.chmod(0o644)

    summary = {
        "case": name,
        "seed": seed,
        "loss": float(loss.detach()),
        "max_abs_logit": float(logits.abs().max()),
        "stock_fp32_vs_fp64_max_logit_diff": float((logits32.double() - logits.detach()).abs().max()),
        "max_abs_grad": max(float(p.grad.abs().max()) for p in model.parameters()),
    }
    if name == "llama3-rope-scaling":
        summary["llama3_vs_unscaled_max_logit_diff"] = unscaled_difference(model, inputs, logits)
    return summary


def unscaled_difference(scaled_model, inputs, scaled_logits) -> float:
    """Max |logit| difference between the llama3-scaled model and the same weights unscaled."""
    _, model_cls, extra, _ = CASES["llama3-rope-scaling"]
    plain_extra = {k: v for k, v in extra.items() if k != "rope_scaling"}
    plain = model_cls(build_config(LlamaConfig, plain_extra)).eval()
    patch_to_float64(plain)
    plain.load_state_dict(scaled_model.state_dict())
    with torch.no_grad():
        plain_logits = forward_values(plain, inputs, torch.float64)[0]
    return float((plain_logits - scaled_logits.detach()).abs().max())


# ----------------------------------------------------------------------------------------------
# verification


def verify_case(name, output: Path) -> dict:
    """Reload the saved folder with stock transformers (float32) and the expected file."""
    folder = output / name
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager")
    model.eval()
    inputs = json.loads((folder / "inputs.json").read_text())
    expected = safetensors.torch.load_file(str(folder / "expected.safetensors"))
    names = {f"grad.{n}" for n, _ in model.named_parameters()}
    grad_keys = {k for k in expected if k.startswith("grad.")}
    assert names == grad_keys, (names ^ grad_keys)
    for pname, param in model.named_parameters():
        assert expected[f"grad.{pname}"].shape == param.shape, pname
    torch.nn.functional.softmax = _stock_softmax
    logits, token_logprobs, sums, counts, loss = forward_values(model, inputs, torch.float32)
    loss.backward()
    logits = logits.detach()
    sums = sums.detach()
    diff = float((logits - expected["logits"]).abs().max())
    # What a float32 implementation can reach: elementwise relative error of the stock float32
    # gradients over entries above 1% of their tensor's largest magnitude.
    worst_relative = 0.0
    for pname, param in model.named_parameters():
        reference = expected[f"grad.{pname}"]
        significant = reference.abs() > 0.01 * reference.abs().max()
        error = (param.grad - reference).abs()[significant] / reference.abs()[significant]
        worst_relative = max(worst_relative, float(error.max()))
    assert diff < 1e-4, (name, diff)
    assert torch.equal(counts, expected["num_tokens"]), name
    with safetensors.safe_open(str(folder / "model.safetensors"), "pt") as handle:
        dtypes = {handle.get_slice(k).get_dtype() for k in handle.keys()}
    assert dtypes == {"F32"}, dtypes
    return {"reloaded_fp32_max_logit_diff": diff,
            "stock_fp32_grad_max_rel_err": worst_relative,
            "sum_logprobs_fp32_max_diff": float((sums - expected["sum_logprobs"]).abs().max())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    args.output.mkdir(parents=True, exist_ok=True)

    summaries = []
    for name in CASES:
        summary = write_case(name, args.output)
        torch.nn.functional.softmax = _stock_softmax
        summary.update(verify_case(name, args.output))
        summaries.append(summary)
        print(json.dumps(summary))

    scaled = next(s for s in summaries if s["case"] == "llama3-rope-scaling")
    assert scaled["llama3_vs_unscaled_max_logit_diff"] > 0.1, scaled

    versions = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "safetensors": safetensors.__version__,
        "script": "scripts/make_model_fixtures.py",
        "cases": {s["case"]: s["seed"] for s in summaries},
    }
    (args.output / "versions.json").write_text(json.dumps(versions, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
