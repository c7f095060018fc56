#!/usr/bin/env python3
"""Drive a running `irpo serve` with the official `openai` Python client.

Usage:
    irpo serve --model MODEL --port 8000 --name tiny &
    pip install openai
    python3 scripts/openai_client_check.py --base-url http://127.0.0.1:8000/v1 --model tiny

Checks: /v1/models, completions (string and list prompts, n > 1, seeded reproducibility, stop,
usage), chat completions (n > 1), streaming for both endpoints (the streamed text equals the
non-streamed text for the same seed), and that an invalid request raises openai.BadRequestError.
Exits non-zero on the first failed check. Not run in CI: it needs the openai package and a server.
"""
import argparse
import sys

import openai


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}")
        sys.exit(1)
    print(f"ok   {message}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    parser.add_argument("--model", required=True, help="the --name the server was started with")
    parser.add_argument("--prompt", default="Q: 12 + 7 = ")
    args = parser.parse_args()

    client = openai.OpenAI(base_url=args.base_url, api_key="unused", max_retries=0, timeout=120)
    print(f"openai {openai.__version__} against {args.base_url}")

    models = client.models.list()
    check([m.id for m in models.data] == [args.model], f"/v1/models lists {args.model!r}")

    # Completions: n > 1, seeded, usage.
    first = client.completions.create(model=args.model, prompt=args.prompt, n=3, max_tokens=24,
                                      temperature=0.8, seed=1234)
    texts = [c.text for c in sorted(first.choices, key=lambda c: c.index)]
    check(len(texts) == 3, f"completions n=3 returns 3 choices: {texts!r}")
    check(all(c.finish_reason in ("stop", "length") for c in first.choices), "finish_reason is stop or length")
    check(first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens and
          first.usage.completion_tokens > 0, f"usage adds up: {first.usage}")
    again = client.completions.create(model=args.model, prompt=args.prompt, n=3, max_tokens=24,
                                      temperature=0.8, seed=1234)
    check([c.text for c in sorted(again.choices, key=lambda c: c.index)] == texts, "same seed gives the same choices")

    batch = client.completions.create(model=args.model, prompt=[args.prompt, "Q: 3 * 4 = "], n=2,
                                      max_tokens=16, seed=7)
    check(sorted(c.index for c in batch.choices) == [0, 1, 2, 3], "two prompts x n=2 give indices 0..3")

    greedy = client.completions.create(model=args.model, prompt=args.prompt, max_tokens=24, temperature=0)
    full = greedy.choices[0].text
    if len(full) >= 4:
        stop = full[2:4]
        cut = client.completions.create(model=args.model, prompt=args.prompt, max_tokens=24, temperature=0, stop=[stop])
        check(cut.choices[0].text == full[:full.index(stop)] and cut.choices[0].finish_reason == "stop",
              f"stop={stop!r} cuts {full!r} to {cut.choices[0].text!r}")

    # Streaming completions: concatenated pieces equal the non-streamed text.
    pieces = {}
    reasons = {}
    for chunk in client.completions.create(model=args.model, prompt=args.prompt, n=3, max_tokens=24,
                                           temperature=0.8, seed=1234, stream=True):
        for choice in chunk.choices:
            pieces[choice.index] = pieces.get(choice.index, "") + choice.text
            if choice.finish_reason:
                reasons[choice.index] = choice.finish_reason
    check([pieces.get(i, "") for i in range(3)] == texts, "streamed completions equal the non-streamed texts")
    check(len(reasons) == 3, f"every streamed choice ends with a finish_reason: {reasons}")

    # Chat completions, n > 1, and streaming.
    messages = [{"role": "user", "content": args.prompt}]
    chat = client.chat.completions.create(model=args.model, messages=messages, n=2, max_tokens=24, seed=99)
    contents = [c.message.content for c in sorted(chat.choices, key=lambda c: c.index)]
    check(len(contents) == 2 and all(c.message.role == "assistant" for c in chat.choices),
          f"chat n=2 returns two assistant messages: {contents!r}")
    streamed = {}
    for chunk in client.chat.completions.create(model=args.model, messages=messages, n=2, max_tokens=24, seed=99,
                                                stream=True, stream_options={"include_usage": True}):
        for choice in chunk.choices:
            streamed[choice.index] = streamed.get(choice.index, "") + (choice.delta.content or "")
        if chunk.usage is not None:
            check(chunk.usage.completion_tokens == chat.usage.completion_tokens, f"streamed usage {chunk.usage}")
    check([streamed.get(i, "") for i in range(2)] == contents, "streamed chat equals the non-streamed messages")

    # Invalid requests raise the documented error type.
    for name, kwargs in [("n=0", dict(n=0)), ("temperature=-1", dict(temperature=-1)),
                         ("unknown model", dict(model="no-such-model"))]:
        request = dict(model=args.model, prompt=args.prompt, max_tokens=4)
        request.update(kwargs)
        try:
            client.completions.create(**request)
            check(False, f"{name} should raise openai.BadRequestError")
        except openai.BadRequestError as error:
            check(error.status_code == 400, f"{name} raises BadRequestError: {error.message}")
    print("all checks passed")


if __name__ == "__main__":
    main()
