#!/usr/bin/env python3
"""Writes Tests/IRPOFormatsTests/Fixtures/quantize_reference.json: small float arrays and the bytes
the `gguf` Python package's `gguf.quants.quantize` makes of them as Q8_0 and Q4_0, plus the floats
`gguf.quants.dequantize` returns for those bytes.

    pip install gguf numpy
    python3 scripts/make_quant_fixtures.py

Floats are stored as uint32 bit patterns and blocks as hex strings, so the Swift tests
(GGUFQuantizerTests) compare bit for bit. The cases include ties (values whose scaled value is
exactly k + 0.5), zero blocks, blocks whose largest magnitude is negative or repeated with both
signs, tiny and huge magnitudes, and ordinary Gaussian weights.
"""
import json
import os

import numpy as np
from gguf import GGMLQuantizationType
from gguf.quants import dequantize, quantize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Tests", "IRPOFormatsTests", "Fixtures", "quantize_reference.json")


def bits(array):
    return np.ascontiguousarray(array, dtype=np.float32).view(np.uint32).reshape(-1).tolist()


def cases():
    rng = np.random.default_rng(20261206)
    out = []
    out.append(("gaussian", rng.standard_normal(256).astype(np.float32) * np.float32(0.05)))
    out.append(("zeros", np.zeros(32, dtype=np.float32)))
    # Largest magnitude negative; and the same magnitude with both signs (first one wins in Q4_0).
    block = rng.standard_normal(32).astype(np.float32)
    block[5] = -4.0
    out.append(("negative_max", block))
    block = rng.standard_normal(32).astype(np.float32)
    block[3], block[20] = 3.0, -3.0
    out.append(("tied_magnitude_positive_first", block))
    block = block.copy()
    block[3], block[20] = -3.0, 3.0
    out.append(("tied_magnitude_negative_first", block))
    # Q8_0 ties: max 127 makes d = 1, so k + 0.5 scales to exactly k + 0.5.
    ties = np.array([127.0] + [k + 0.5 for k in range(-15, 15)] + [-0.5], dtype=np.float32)
    out.append(("q8_ties", ties))
    # Q4_0 ties: max -8 makes d = 1, id = 1, so x + 8.5 lands on integers and half-integers.
    ties4 = np.array([-8.0] + [k * 0.5 for k in range(-15, 16)], dtype=np.float32)
    out.append(("q4_ties", ties4))
    out.append(("tiny", (rng.standard_normal(64) * 1e-6).astype(np.float32)))
    out.append(("huge", (rng.standard_normal(64) * 1e4).astype(np.float32)))
    out.append(("subnormal_scale", (rng.standard_normal(32) * 1e-9).astype(np.float32)))
    out.append(("uniform", rng.uniform(-1, 1, 128).astype(np.float32)))
    return out


def main():
    rows = []
    for name, values in cases():
        row = {"name": name, "values": bits(values)}
        for qtype, key in ((GGMLQuantizationType.Q8_0, "q8_0"), (GGMLQuantizationType.Q4_0, "q4_0")):
            packed = quantize(values.reshape(1, -1), qtype)
            row[key] = packed.tobytes().hex()
            row[key + "_dequantized"] = bits(dequantize(packed, qtype))
        rows.append(row)
    with open(OUTPUT, "w") as f:
        json.dump({"generator": "gguf.quants (gguf Python package)", "cases": rows}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(rows)} cases to {OUTPUT}")


if __name__ == "__main__":
    main()
