#!/usr/bin/env python3
"""Resident memory of a live `irpo serve` under many requests: is per-request memory kept?

Usage: python3 scripts/serve_memory.py IRPO_BINARY MODEL [requests] [seed]

Starts `IRPO_BINARY serve --model MODEL --port P`, sends `requests` seeded requests over one
keep-alive connection (the same mix of valid and invalid completions and chat requests as the
request fuzz test: extreme numbers in numeric fields, small generations), and prints the server's
resident memory (VmRSS from /proc) every tenth of the run. A server that keeps nothing per request
levels off after the first few thousand requests; a leak grows linearly to the end.
Standard library only; Linux only (reads /proc).
"""
import http.client
import json
import random
import socket
import subprocess
import sys
import time

EXTREMES = ["9223372036854775807", "-9223372036854775808", "4611686018427387904", "-1", "0", "1", "2",
            "1e308", "-1e308", "1.5", "null", "\"3\"", "[]", "18446744073709551615", "99999999999999999999999"]
FIELDS = ["n", "max_tokens", "max_completion_tokens", "top_k", "top_p", "min_p", "temperature",
          "repetition_penalty", "seed", "logprobs", "best_of", "irpo_prompt_id", "top_logprobs",
          "presence_penalty", "frequency_penalty"]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(rng):
    chat = rng.randrange(3) == 0
    if chat:
        members = ['"messages": [{"role": "user", "content": "hi"}]']
    else:
        members = [rng.choice(['"prompt": "ab"', '"prompt": ["a", "b"]', '"prompt": [5, 6]', '"prompt": [[5], [6, 7]]'])]
    fields = {rng.choice(FIELDS) for _ in range(1 + rng.randrange(4))}
    if "max_tokens" not in fields and "max_completion_tokens" not in fields:
        members.append('"max_tokens": 2')
    for field in sorted(fields):
        value = rng.choice(EXTREMES)
        if field in ("max_tokens", "max_completion_tokens", "n"):
            try:
                if int(value) > 4 and rng.randrange(2):
                    value = "4"
            except ValueError:
                pass
        members.append(f'"{field}": {value}')
    if rng.randrange(4) == 0:
        members.append('"stream": true')
    return ("/v1/chat/completions" if chat else "/v1/completions"), "{" + ", ".join(members) + "}"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, model = sys.argv[1], sys.argv[2]
    total = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    port = free_port()
    server = subprocess.Popen([binary, "serve", "--model", model, "--port", str(port), "--threads", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        statuses = {}
        start = time.time()
        print(f"requests  rss_MiB  statuses  seconds   (server pid {server.pid}, start rss {rss_kib(server.pid) / 1024:.1f} MiB)")
        for index in range(1, total + 1):
            path, body = request(rng)
            try:
                connection.request("POST", path, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
            except (http.client.HTTPException, OSError):
                statuses["reconnect"] = statuses.get("reconnect", 0) + 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            if server.poll() is not None:
                sys.exit(f"the server exited (status {server.returncode}) at request {index}: {body}")
            if index % max(1, total // 10) == 0:
                print(f"{index:8d}  {rss_kib(server.pid) / 1024:7.1f}  {json.dumps(statuses)}  {time.time() - start:7.1f}", flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
