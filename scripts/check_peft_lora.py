#!/usr/bin/env python3
"""Check irpo's LoRA adapters against PEFT, both ways, and write the fixture the Swift tests read.

1. PEFT -> irpo (always): on the tiny `qwen2-bias` model of Tests/IRPOModelTests/Fixtures/models
   (q/k/v biases, grouped-query attention, untied head), PEFT makes LoRA adapters (rank 4,
   alpha 12, all-linear), every A and B filled with seeded random values so no product is zero,
   and saves them with `save_pretrained`. The per-token log-probs of the case's sequences under
   `PeftModel` (computed in float64) are written next to them. With `--write-fixture` both go to
   Tests/IRPOModelTests/Fixtures/lora/, where LoRAPEFTFixtureTests reads PEFT's own files and
   compares irpo's adapted forward with these log-probs.

2. irpo -> PEFT (with `--irpo PATH`): `irpo train --lora-rank 4` trains adapters for a few steps
   on the tiny training fixture (Tests/IRPOTrainingTests/Fixtures: model/ and pairs.jsonl) and
   writes output/model (merged) and output/model/adapter (PEFT files). This script loads the
   adapter with `peft.PeftModel.from_pretrained(base, adapter)` and checks that its log-probs
   equal those of transformers on irpo's merged folder and irpo's own (`irpo logprobs` on the
   merged folder).

Needs torch, transformers, peft and safetensors (from PyPI; not needed by the tests).

Usage (from the repository root):

    python3 scripts/check_peft_lora.py [--irpo .build/release/irpo] [--write-fixture]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
import transformers
import peft
import safetensors
from transformers import AutoModelForCausalLM

ROOT = Path(__file__).resolve().parent.parent
MODEL_CASE = ROOT / "Tests/IRPOModelTests/Fixtures/models/qwen2-bias"
FIXTURE = ROOT / "Tests/IRPOModelTests/Fixtures/lora"
TRAINING = ROOT / "Tests/IRPOTrainingTests/Fixtures"
SEED = 2301
RANK, ALPHA = 4, 12


def token_log_probs(model, sequences):
    """Per sequence, the log-prob of every token after the first (float64 forward)."""
    result = []
    with torch.no_grad():
        for sequence in sequences:
            ids = torch.tensor([sequence])
            logits = model(input_ids=ids).logits[0].double()
            logp = torch.log_softmax(logits, dim=-1)
            result.append([float(logp[t - 1, sequence[t]]) for t in range(1, len(sequence))])
    return result


def peft_to_irpo(write_fixture: bool) -> None:
    inputs = json.loads((MODEL_CASE / "inputs.json").read_text())
    sequences = inputs["sequences"]
    base = AutoModelForCausalLM.from_pretrained(MODEL_CASE, dtype=torch.float32)
    config = peft.LoraConfig(r=RANK, lora_alpha=ALPHA, target_modules="all-linear", lora_dropout=0.0,
                             task_type="CAUSAL_LM")
    model = peft.get_peft_model(base, config)
    generator = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, parameter in sorted(model.named_parameters()):
            if "lora_A" in name or "lora_B" in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.2)
    # PEFT may expand all-linear to full module paths (model.layers.0.self_attn.q_proj, ...).
    targets = sorted({name.split(".")[-1] for name in model.peft_config["default"].target_modules})
    assert targets == sorted(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]), targets

    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder)
        names = sorted(safetensors.safe_open(f"{folder}/adapter_model.safetensors", "pt").keys())
        print(f"PEFT wrote {len(names)} tensors, e.g. {names[0]}")
        model64 = model.double()
        adapted = token_log_probs(model64, sequences)
        with model64.disable_adapter():
            plain = token_log_probs(model64, sequences)
        moved = max(abs(a - b) for rowa, rowb in zip(adapted, plain) for a, b in zip(rowa, rowb))
        print(f"PEFT adapters move the log-probs by up to {moved:.4f}")
        assert moved > 0.05, "the random adapters should change the model"
        if write_fixture:
            FIXTURE.mkdir(parents=True, exist_ok=True)
            adapter = FIXTURE / "peft-qwen2-bias"
            if adapter.exists():
                shutil.rmtree(adapter)
            adapter.mkdir()
            shutil.copy(Path(folder) / "adapter_model.safetensors", adapter / "adapter_model.safetensors")
            # The base is the fixture model next door, not this machine's path to it.
            adapter_config = json.loads((Path(folder) / "adapter_config.json").read_text())
            adapter_config["base_model_name_or_path"] = "models/qwen2-bias"
            (adapter / "adapter_config.json").write_text(json.dumps(adapter_config, indent=2, sort_keys=True) + "\n")
            expected = {
                "base": "models/qwen2-bias",
                "rank": RANK, "alpha": ALPHA, "seed": SEED,
                "sequences": sequences,
                "token_logprobs": adapted,
                "base_token_logprobs": plain,
            }
            (FIXTURE / "peft-qwen2-bias.json").write_text(json.dumps(expected, indent=1) + "\n")
            versions = {
                "python": platform.python_version(), "torch": torch.__version__,
                "transformers": transformers.__version__, "peft": peft.__version__,
                "safetensors": safetensors.__version__, "script": "scripts/check_peft_lora.py",
            }
            (FIXTURE / "versions.json").write_text(json.dumps(versions, indent=2) + "\n")
            print(f"wrote {FIXTURE}")


def irpo_to_peft(irpo: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "train"
        # A copy: irpo train caches reference log-probs next to the pairs file.
        pairs = Path(folder) / "pairs.jsonl"
        shutil.copy(TRAINING / "pairs.jsonl", pairs)
        subprocess.run([irpo, "train", "--model", str(TRAINING / "model"), "--pairs", str(pairs),
                        "--output", str(output), "--loss", "rpo", "--beta", "0.5", "--lr", "1e-2", "--steps", "4",
                        "--batch-size", "4", "--micro-batch-size", "2", "--lora-rank", str(RANK),
                        "--lora-alpha", str(ALPHA), "--threads", "1"], check=True)
        merged_folder, adapter = output / "model", output / "model" / "adapter"
        rows = [json.loads(line) for line in (TRAINING / "pairs.jsonl").read_text().splitlines() if line.strip()]
        sequences = [row["prompt_ids"] + row["chosen_ids"] for row in rows] + [row["prompt_ids"] + row["rejected_ids"] for row in rows]
        prompts = [len(row["prompt_ids"]) for row in rows] * 2

        base = AutoModelForCausalLM.from_pretrained(TRAINING / "model", dtype=torch.float32)
        adapted_model = peft.PeftModel.from_pretrained(base, adapter).double()
        peft_values = token_log_probs(adapted_model, sequences)
        with adapted_model.disable_adapter():
            base_values = token_log_probs(adapted_model, sequences)
        merged = AutoModelForCausalLM.from_pretrained(merged_folder, dtype=torch.float32).double()
        merged_values = token_log_probs(merged, sequences)

        requests = Path(folder) / "requests.jsonl"
        requests.write_text("".join(json.dumps({"prompt_ids": s[:p], "completion_ids": s[p:]}) + "\n"
                                    for s, p in zip(sequences, prompts)))
        result = subprocess.run([irpo, "logprobs", "--model", str(merged_folder), "--input", str(requests), "--threads", "1"],
                                check=True, capture_output=True, text=True)
        irpo_values = [json.loads(line)["token_logprobs"] for line in result.stdout.splitlines() if line.strip()]

        def completion(values, p):
            return values[p - 1:]

        peft_vs_merged = max(abs(a - b) for x, y in zip(peft_values, merged_values) for a, b in zip(x, y))
        peft_vs_irpo = max(abs(a - b) for x, y, p in zip(peft_values, irpo_values, prompts)
                           for a, b in zip(completion(x, p), y))
        moved = max(abs(a - b) for x, y in zip(peft_values, base_values) for a, b in zip(x, y))
        print(f"irpo -> PEFT: {len(sequences)} sequences; training moved the log-probs by up to {moved:.4f}")
        print(f"  max |PeftModel.from_pretrained(base, irpo adapter) - transformers(irpo merged)| = {peft_vs_merged:.3e}")
        print(f"  max |PeftModel.from_pretrained(base, irpo adapter) - irpo logprobs(irpo merged)| = {peft_vs_irpo:.3e}")
        assert moved > 1e-3, "four steps at lr 1e-2 should move the model"
        assert peft_vs_merged < 1e-4 and peft_vs_irpo < 1e-4, "PEFT's reading of irpo's adapters differs from irpo's merge"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--irpo", help="an irpo binary: also check that PEFT loads adapters irpo trained")
    parser.add_argument("--write-fixture", action="store_true", help="write Tests/IRPOModelTests/Fixtures/lora/")
    args = parser.parse_args()
    torch.set_num_threads(1)
    peft_to_irpo(args.write_fixture)
    if args.irpo:
        irpo_to_peft(args.irpo)
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
