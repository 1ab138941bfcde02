#!/usr/bin/python3
"""Python side of scripts/bench-chat.sh: renders the benchmark conversation
(system + 19 turns, the same as pkg/chattmpl's BenchmarkDeepSeekV3) with
python3-jinja2 in transformers' environment (render.py), N times per round,
and writes the rendered text as JSON lines (copies for count.js --bench).

  bench.py CONFIG_JSON --rounds R --renders N --texts OUT.jsonl --copies C
prints one JSON line: {"render_us": [per-round µs per render], "chars": len}
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render  # noqa: E402


def conversation():
    msgs = [{"role": "system", "content": "You are a helpful assistant."}]
    for i in range(1, 20):
        role = "assistant" if i % 2 == 0 else "user"
        msgs.append({"role": role, "content": "Turn %d: %s" % (i, "The quick brown fox jumps over the lazy dog. " * 6)})
    return msgs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--renders", type=int, default=200)
    ap.add_argument("--texts", required=True)
    ap.add_argument("--copies", type=int, default=100)
    a = ap.parse_args()
    tok = render.tokenizer(a.config)
    msgs = conversation()
    text = tok.apply_chat_template(msgs, add_generation_prompt=True)  # warm: compiles
    per = []
    for _ in range(a.rounds):
        t0 = time.perf_counter_ns()
        for _ in range(a.renders):
            tok.apply_chat_template(msgs, add_generation_prompt=True)
        per.append((time.perf_counter_ns() - t0) / a.renders / 1e3)
    with open(a.texts, "w", encoding="utf-8") as f:
        for _ in range(a.copies):
            f.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    print(json.dumps({"render_us": per, "chars": len(text)}))


if __name__ == "__main__":
    main()
