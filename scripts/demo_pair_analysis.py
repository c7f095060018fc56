#!/usr/bin/env python3
"""Diagnoses one iteration of a synthetic-task run (irpo demo / examples/synthetic-rpo.yaml).

usage: scripts/demo_pair_analysis.py RUN_DIR [ITERATION]

Prints
1. the kind of every chosen and rejected completion in iter-N/pairs.jsonl, against the gold working:
   clean, arith (an arithmetic slip), wrongop (a wrong operation), wrongop+arith, operand/copy;
2. per phrasing of a step, the fraction of iter-N/samples.jsonl whose equation for that step uses the
   right operation (how sure the sampled model is of each phrasing).
"""
import collections
import json
import re
import sys

EQUATION = re.compile(r"(\d+)([-+*])(\d+)=(\d+)")


def kind(completion, question):
    gold = question["goldSolution"].split(" Final")[0]
    working = completion.strip().split(" Final")[0]
    if working == gold:
        return "clean"
    equations = EQUATION.findall(working)
    ops = [e[1] for e in equations]
    gold_ops = [e[1] for e in EQUATION.findall(gold)]
    def value(a, op, b):
        return int(a) + int(b) if op == "+" else int(a) - int(b) if op == "-" else int(a) * int(b)
    arith = any(value(a, op, b) != int(r) for a, op, b, r in equations)
    if ops != gold_ops:
        return "wrongop" + ("+arith" if arith else "")
    return "arith" if arith else "operand/copy"


def main():
    run = sys.argv[1]
    iteration = sys.argv[2] if len(sys.argv) > 2 else "1"
    questions = {}
    with open(f"{run}/iter-{iteration}/questions.jsonl") as f:
        for line in f:
            q = json.loads(line)
            questions[q["id"]] = q
    chosen, rejected = collections.Counter(), collections.Counter()
    with open(f"{run}/iter-{iteration}/pairs.jsonl") as f:
        for line in f:
            pair = json.loads(line)
            q = questions[pair["question_id"]]
            chosen[kind(pair["chosen"], q)] += 1
            rejected[kind(pair["rejected"], q)] += 1
    print("pairs", sum(chosen.values()))
    print("chosen  ", dict(chosen))
    print("rejected", dict(rejected))
    right = collections.defaultdict(lambda: [0, 0])
    with open(f"{run}/iter-{iteration}/samples.jsonl") as f:
        for line in f:
            sample = json.loads(line)
            q = questions[sample["question_id"]]
            steps = [p for p in re.split(r"(?<=\.) ", q["question"])[1:] if not p.startswith("How many")]
            gold_ops = q["metadata"]["operations"].split()
            equations = EQUATION.findall(sample["completion"])
            for i, (sentence, op) in enumerate(zip(steps, gold_ops)):
                phrasing = re.sub(r"\d+", "N", sentence.split(" ", 1)[1])
                right[phrasing][0] += i < len(equations) and equations[i][1] == op[0]
                right[phrasing][1] += 1
    print("right operation per phrasing (fraction of samples, count):")
    for phrasing, (ok, total) in sorted(right.items(), key=lambda x: x[1][0] / x[1][1]):
        print(f"  {ok / total:5.2f} {total:5d}  {phrasing}")


if __name__ == "__main__":
    main()
