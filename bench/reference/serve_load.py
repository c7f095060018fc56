#!/usr/bin/env python3
"""Load benchmark for `irpo serve`. Standard library only.

Runs, on the same model and the same prompts, in one go:
  1. the engine alone: `irpo generate --input prompts.jsonl --batch-size B` (one batched call);
  2. `irpo serve --max-batch B` under C concurrent loopback clients, each sending its share of
     the prompts one request at a time (`/v1/completions`, seed S, irpo_prompt_id = prompt row).
Prompt row i gets the same seed stream in both runs, so both generate exactly the same tokens
(checked), and tokens/s compare like for like. Prints requests/s, completion tokens/s and
p50/p99 latency of the server next to the engine's own tokens/s.

    swift build -c release --scratch-path .build-serve
    python3 bench/reference/serve_load.py --irpo .build-serve/release/irpo --model MODEL_FOLDER

The machine is shared: numbers are noisy, and the Python clients take CPU from the server.
"""
import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

NAMES = ["Ann", "Bob", "Zoe", "Max", "Eva", "Sam"]
THINGS = ["apples", "marbles", "cards", "coins"]


def make_prompts(count, seed):
    rng = random.Random(seed)
    prompts = []
    for _ in range(count):
        name, thing = rng.choice(NAMES), rng.choice(THINGS)
        start, more, away = rng.randint(2, 20), rng.randint(1, 20), rng.randint(1, 5)
        prompts.append(f"{name} has {start} {thing}. {name} finds {more} more. {name} gives {away} away. "
                       f"How many does {name} have now?\nAnswer:")
    return prompts


def encode_prompts(model, prompts):
    """Token ids via the demo's character vocabulary when the model has one (irpo generate needs
    tokenizer.json for text prompts); otherwise the texts unchanged."""
    path = os.path.join(model, "irpo_char_vocab.json")
    if not os.path.exists(path):
        return prompts
    tokens = json.load(open(path))["tokens"]
    ids = {token: index for index, token in enumerate(tokens) if index > 2 and len(token) == 1}
    unknown = ids.get("?", 0)
    return [[1] + [ids.get(ch, unknown) for ch in prompt] for prompt in prompts]


def percentile(values, q):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def engine_alone(args, prompts, workdir):
    path = os.path.join(workdir, "prompts.jsonl")
    out = os.path.join(workdir, "engine.jsonl")
    with open(path, "w") as f:
        for p in prompts:
            f.write(json.dumps({"prompt_ids": p} if isinstance(p, list) else {"prompt": p}) + "\n")
    command = [args.irpo, "generate", "--model", args.model, "--input", path, "--output", out,
               "--max-tokens", str(args.max_tokens), "--temperature", str(args.temperature), "--seed", str(args.seed),
               "--batch-size", str(args.batch), "--threads", str(args.threads)]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - start
    rows = [json.loads(line) for line in open(out)]
    vocab_path = os.path.join(args.model, "irpo_char_vocab.json")
    vocab = json.load(open(vocab_path))["tokens"] if os.path.exists(vocab_path) else []

    def text(row):  # without a tokenizer.json, irpo generate writes ids only
        if "text" in row:
            return row["text"]
        return "".join(vocab[i] for i in row["token_ids"] if 2 < i < len(vocab))

    texts = {row["prompt_index"]: text(row) for row in rows}
    tokens = sum(len(row["token_ids"]) for row in rows)
    return texts, tokens, seconds


def start_server(args):
    command = [args.irpo, "serve", "--model", args.model, "--port", "0", "--name", "bench",
               "--max-batch", str(args.batch), "--threads", str(args.threads)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = re.search(r"http://([\d.]+):(\d+)/v1", line)
        if match:
            return process, match.group(1), int(match.group(2))
    process.kill()
    sys.exit("irpo serve did not print its URL within 60 s")


def post(connection, body):
    connection.request("POST", "/v1/completions", body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {data[:300]!r}")
    return json.loads(data)


def load(args, host, port, prompts):
    latencies, texts, tokens = [], {}, [0]
    lock = threading.Lock()
    rows = list(range(len(prompts)))
    shares = [rows[c::args.clients] for c in range(args.clients)]
    errors = []

    def client(share):
        connection = http.client.HTTPConnection(host, port, timeout=600)
        for row in share:
            body = {"model": "bench", "prompt": prompts[row], "max_tokens": args.max_tokens,
                    "temperature": args.temperature, "seed": args.seed, "irpo_prompt_id": row}
            start = time.perf_counter()
            try:
                answer = post(connection, body)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(f"row {row}: {error}")
                return
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                texts[row] = answer["choices"][0]["text"]
                tokens[0] += answer["usage"]["completion_tokens"]
        connection.close()

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    if errors:
        sys.exit("requests failed:\n" + "\n".join(errors[:5]))
    return texts, tokens[0], seconds, latencies


def main():
    parser = argparse.ArgumentParser(description="Load benchmark for irpo serve.")
    parser.add_argument("--irpo", default=".build-serve/release/irpo")
    parser.add_argument("--model", required=True)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=256, help="total requests (one prompt each)")
    parser.add_argument("--batch", type=int, default=32, help="engine batch (generate --batch-size, serve --max-batch)")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    prompts = encode_prompts(args.model, make_prompts(args.requests, args.seed))
    with tempfile.TemporaryDirectory() as workdir:
        engine_texts, engine_tokens, engine_seconds = engine_alone(args, prompts, workdir)
    process, host, port = start_server(args)
    try:
        connection = http.client.HTTPConnection(host, port, timeout=600)
        post(connection, {"prompt": prompts[0], "max_tokens": 4})  # warm-up
        connection.close()
        texts, tokens, seconds, latencies = load(args, host, port, prompts)
    finally:
        process.terminate()
        process.wait(timeout=30)
    same = sum(1 for row, text in texts.items() if engine_texts.get(row) == text)
    result = {
        "requests": len(latencies), "clients": args.clients, "batch": args.batch, "max_tokens": args.max_tokens,
        "threads": args.threads,
        "server": {"seconds": round(seconds, 2), "requests_per_s": round(len(latencies) / seconds, 2),
                   "completion_tokens": tokens, "tokens_per_s": round(tokens / seconds, 1),
                   "latency_p50_s": round(percentile(latencies, 50), 3),
                   "latency_p99_s": round(percentile(latencies, 99), 3)},
        "engine_alone": {"seconds": round(engine_seconds, 2), "completion_tokens": engine_tokens,
                         "tokens_per_s": round(engine_tokens / engine_seconds, 1),
                         "note": "irpo generate wall time, including process start and model load"},
        "server_over_engine": round((tokens / seconds) / (engine_tokens / engine_seconds), 3),
        "identical_texts": f"{same}/{len(texts)}",
        "mean_latency_s": round(statistics.mean(latencies), 3),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
