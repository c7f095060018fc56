#!/usr/bin/env python3
"""Writes Tests/IRPOModelTests/Fixtures/gguf/lora-quantized-base.gguf: a tiny llama (2 layers,
hidden 256, 4 heads of 64, 2 key/value heads, intermediate 256, 97 tokens, tied embeddings)
whose projections are stored in a mix of types, so the frozen-base tests cover every fused
group with mixed types inside it:

    layer 0: q Q4_K, k Q4_1, v Q8_0, o Q4_0, gate Q4_K, up Q4_1, down Q8_0
    layer 1: q Q8_0, k Q4_0, v Q4_K, o Q4_1, gate Q8_0, up F16,  down Q4_K

Q8_0, Q4_0 and Q4_1 are gguf-py's quantisation of normal(0, 0.05) weights; gguf-py cannot
quantise Q4_K, so those are random blocks with small scales. The token embedding is Q8_0, norms
F32. The Q/K rows are stored as they come (the Swift test compares the frozen load with the
full load of this same file, so the rotary row order only has to be undone consistently).

    python3 scripts/make_lora_quantized_fixture.py
Needs: numpy, gguf.
"""
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "IRPOModelTests", "Fixtures", "gguf", "lora-quantized-base.gguf")

HIDDEN, HEADS, KV_HEADS, INTER, VOCAB, LAYERS = 256, 4, 2, 256, 97, 2
HEAD_DIM = HIDDEN // HEADS


def q4k_blocks(rng, rows, columns):
    """Random Q4_K rows: per 256-value block d, dmin (F16), 12 bytes of 6-bit scales/mins, 128 of nibbles."""
    blocks = rows * columns // 256
    data = rng.integers(0, 256, size=(blocks, 144), dtype=np.uint8)
    d = rng.uniform(2e-4, 6e-4, blocks).astype(np.float16)
    dmin = rng.uniform(1e-4, 4e-4, blocks).astype(np.float16)
    data[:, 0:2] = d.view(np.uint8).reshape(-1, 2)
    data[:, 2:4] = dmin.view(np.uint8).reshape(-1, 2)
    return data.reshape(rows, columns // 256 * 144)


def main():
    import gguf
    from gguf import GGMLQuantizationType as Q

    rng = np.random.default_rng(2323)
    writer = gguf.GGUFWriter(OUT, "llama")
    writer.add_name("lora-quantized-base")
    writer.add_context_length(256)
    writer.add_embedding_length(HIDDEN)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(INTER)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(VOCAB)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_rope_freq_base(10000.0)
    writer.add_file_type(7)

    def add(name, rows, columns, qtype):
        if qtype == Q.Q4_K:
            writer.add_tensor(name, q4k_blocks(rng, rows, columns), raw_dtype=Q.Q4_K)
            return
        values = (rng.standard_normal((rows, columns)) * 0.05).astype(np.float32)
        if qtype == Q.F32:
            writer.add_tensor(name, values)
        elif qtype == Q.F16:
            writer.add_tensor(name, values.astype(np.float16), raw_dtype=Q.F16)
        else:
            writer.add_tensor(name, gguf.quants.quantize(values, qtype), raw_dtype=qtype)

    def norm(name):
        writer.add_tensor(name, (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32))

    add("token_embd.weight", VOCAB, HIDDEN, Q.Q8_0)
    types = [
        (Q.Q4_K, Q.Q4_1, Q.Q8_0, Q.Q4_0, Q.Q4_K, Q.Q4_1, Q.Q8_0),
        (Q.Q8_0, Q.Q4_0, Q.Q4_K, Q.Q4_1, Q.Q8_0, Q.F16, Q.Q4_K),
    ]
    kv = KV_HEADS * HEAD_DIM
    for layer, (tq, tk, tv, to, tg, tu, td) in enumerate(types):
        b = f"blk.{layer}."
        norm(b + "attn_norm.weight")
        add(b + "attn_q.weight", HIDDEN, HIDDEN, tq)
        add(b + "attn_k.weight", kv, HIDDEN, tk)
        add(b + "attn_v.weight", kv, HIDDEN, tv)
        add(b + "attn_output.weight", HIDDEN, HIDDEN, to)
        norm(b + "ffn_norm.weight")
        add(b + "ffn_gate.weight", INTER, HIDDEN, tg)
        add(b + "ffn_up.weight", INTER, HIDDEN, tu)
        add(b + "ffn_down.weight", HIDDEN, INTER, td)
    norm("output_norm.weight")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
