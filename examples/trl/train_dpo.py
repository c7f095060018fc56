#!/usr/bin/env python3
"""Train one Iterative RPO iteration with TRL's DPOTrainer on an irpo pairs file.

irpo's external trainer (`trainer: {type: external, command: [...]}` in the run config) runs this
script with the iteration's paths and hyper-parameters in IRPO_* environment variables; every
value can also be given on the command line, so the script runs standalone too:

    python examples/trl/train_dpo.py --input-model runs/x/iter-0-model --pairs runs/x/iter-1/pairs.jsonl \
        --output-dir /tmp/m1 --alpha 1 --beta 0.1 --learning-rate 7e-7

The loss is the paper's DPO + alpha * NLL in TRL's form: loss_type ["sigmoid", "sft"] with
loss_weights [1, alpha] (TRL >= 1.0; `rpo_alpha` of older versions is gone). The reference model is
the input model (TRL copies it when ref_model is None). TRL's `sft` term averages the NLL over all
chosen tokens of the batch, the paper sums it per sequence and divides by the sequence length: see
README.md. The trained model is saved as an HF folder (config.json + model.safetensors + tokenizer)
in the output folder, which irpo checks and continues from.
"""

import argparse
import json
import os
import sys


def env(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input-model", default=env("IRPO_INPUT_MODEL"), help="M_{t-1}: start and reference model (IRPO_INPUT_MODEL)")
    p.add_argument("--pairs", default=env("IRPO_PAIRS"), help="pairs.jsonl with prompt/chosen/rejected (IRPO_PAIRS)")
    p.add_argument("--output-dir", default=env("IRPO_OUTPUT_DIR"), help="where the trained HF folder goes (IRPO_OUTPUT_DIR)")
    p.add_argument("--loss", default=env("IRPO_LOSS", "rpo"), choices=["rpo", "dpo", "sft"], help="IRPO_LOSS")
    p.add_argument("--alpha", type=float, default=float(env("IRPO_ALPHA", 1.0)), help="NLL weight (IRPO_ALPHA)")
    p.add_argument("--beta", type=float, default=float(env("IRPO_BETA", 0.1)), help="DPO beta (IRPO_BETA)")
    p.add_argument("--learning-rate", type=float, default=float(env("IRPO_LEARNING_RATE", 7e-7)), help="IRPO_LEARNING_RATE")
    p.add_argument("--epochs", type=float, default=float(env("IRPO_EPOCHS", 1)), help="IRPO_EPOCHS")
    p.add_argument("--batch-size", type=int, default=int(env("IRPO_BATCH_SIZE", 16)), help="pairs per optimizer step (IRPO_BATCH_SIZE)")
    p.add_argument("--micro-batch-size", type=int, default=int(env("IRPO_MICRO_BATCH_SIZE", 4)),
                   help="pairs per forward pass; batch-size must be a multiple")
    p.add_argument("--max-steps", type=int, default=int(env("IRPO_MAX_STEPS", -1)), help="IRPO_MAX_STEPS (-1: epochs decide)")
    p.add_argument("--max-length", type=int, default=int(env("IRPO_MAX_LENGTH", 1024)), help="prompt + completion tokens")
    p.add_argument("--seed", type=int, default=int(env("IRPO_SEED", 0)), help="IRPO_SEED")
    p.add_argument("--dtype", default=env("IRPO_DTYPE", "float32"), choices=["float32", "bfloat16"],
                   help="training and saving dtype (irpo reads both)")
    args = p.parse_args()
    for name in ("input_model", "pairs", "output_dir"):
        if not getattr(args, name):
            p.error(f"--{name.replace('_', '-')} (or IRPO_{name.upper()}) is required")
    if args.batch_size % args.micro_batch_size:
        p.error(f"--batch-size {args.batch_size} is not a multiple of --micro-batch-size {args.micro_batch_size}")
    return args


def loss_terms(loss, alpha):
    """TRL's loss_type / loss_weights for irpo's loss names."""
    if loss == "dpo" or alpha == 0:
        return ["sigmoid"], [1.0]
    if loss == "sft":
        return ["sft"], [1.0]
    return ["sigmoid", "sft"], [1.0, alpha]


def main():
    args = parse_args()
    import torch
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    import datasets
    datasets.disable_progress_bars()
    torch.manual_seed(args.seed)
    dtype = torch.float32 if args.dtype == "float32" else torch.bfloat16
    tokenizer = AutoTokenizer.from_pretrained(args.input_model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(args.input_model, dtype=dtype)

    # irpo's rows carry extra fields (question id, token ids, sample indices): keep TRL's three.
    dataset = load_dataset("json", data_files=args.pairs, split="train")
    dataset = dataset.select_columns(["prompt", "chosen", "rejected"])
    loss_type, loss_weights = loss_terms(args.loss, args.alpha)
    config = DPOConfig(
        output_dir=os.path.join(args.output_dir, "trl"),
        beta=args.beta,
        loss_type=loss_type,
        loss_weights=loss_weights,
        learning_rate=args.learning_rate,
        lr_scheduler_type="constant",
        warmup_steps=0,
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        per_device_train_batch_size=args.micro_batch_size,
        gradient_accumulation_steps=args.batch_size // args.micro_batch_size,
        max_length=args.max_length,
        max_grad_norm=1.0,
        weight_decay=0.0,
        seed=args.seed,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        bf16=dtype == torch.bfloat16,
        use_cpu=not torch.cuda.is_available(),
        dataloader_num_workers=0,
        disable_tqdm=True,  # one log line per step instead of progress bars in irpo's run log
    )
    print(f"TRL DPOTrainer: {len(dataset)} pairs, loss_type={loss_type} loss_weights={loss_weights} beta={args.beta} "
          f"lr={args.learning_rate} batch={args.batch_size} (micro {args.micro_batch_size}) epochs={args.epochs} "
          f"max_steps={args.max_steps}", flush=True)
    trainer = DPOTrainer(model=model, ref_model=None, args=config, train_dataset=dataset, processing_class=tokenizer)
    result = trainer.train()

    # Write the model where irpo looks for it, as safetensors, with the tokenizer next to it.
    trainer.save_model(args.output_dir)
    tokenizer.save_pretrained(args.output_dir)
    history = [row for row in trainer.state.log_history if "loss" in row]
    with open(os.path.join(args.output_dir, "trl_log_history.json"), "w") as f:
        json.dump(trainer.state.log_history, f, indent=1)
    last = history[-1] if history else {}
    print(f"done: {result.global_step} steps, train_loss {result.training_loss:.4f}, last step "
          + ", ".join(f"{k} {v:.4g}" for k, v in last.items() if isinstance(v, float)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
