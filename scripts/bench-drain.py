#!/usr/bin/python3
"""Drain benchmark: the end-of-run tokenizer drain through the real daemon.

Publishes a streaming run of N tracked samples (pre-tokenized prompts, so
ISL needs no tokenizer; outputs of ~1k tokens in two chunks, so every
COMPLETE enqueues an OSL text and a TPOT text, all distinct) over real
libzmq IPC, with --tokenizer-workers 0 so the whole backlog is left to the
drain, sends ENDED and measures ENDED -> final snapshot from the daemon's
log. Runs the daemon once per --cores-per-worker value (drain scaling),
then times the Hugging Face Rust library (npm tokenizers, one thread) on a
sample of the same texts. Prints one JSON line per run and a summary.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime

import msgpack
import zmq

TOPIC = 40
WORDS = ("the of and to in is was for on that with as by at from his her it an were which are this be or had "
         "not but have they one all their there been has when who more would will into its time only other "
         "new some could these two may first then do any like my now over such our man me even most made "
         "after also did many before must through years where much your way well down should because each "
         "just those people how too little state good very make world still own see men work long get here "
         "between both life being under never day same another know while last might us great old year off "
         "come since against go came right used take three system government number however program "
         "benchmark latency token throughput inference model server request response stream chunk").split()


def pad(t):
    return t.ljust(TOPIC, b"\0")


def rec(ev, ts, uuid="", data=None, finish=None):
    d = {"event_type": ev, "timestamp_ns": ts, "sample_uuid": uuid,
         "conversation_id": "", "turn": None, "data": data}
    if finish is not None:
        d["finish_reason"] = finish
    return msgpack.packb(d, use_bin_type=True)


SYLLABLES = "ka ru tor mi len vas qu ost ban dre fel gin hol jun lem nor pix sab tev wul yar zim cro phe".split()


def build(samples, out_words, seed):
    rnd = random.Random(seed)
    # A realistic vocabulary size: common English words plus 20k
    # pseudo-words of 2-4 syllables (several BPE tokens each), so word
    # caches do not make every text trivial.
    vocab = WORDS * 40 + ["".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 4))) for _ in range(20000)]
    # One pool of words; sample i's output is a window starting at word i
    # (distinct windows -> distinct texts, so the cache cannot help).
    pool = [rnd.choice(vocab) for _ in range(samples + out_words + 1)]
    ts = 1_000_000_000
    recs = [rec("session.started", ts), rec("session.start_performance_tracking", ts + 1)]
    ids = list(range(100))
    texts = []
    for i in range(samples):
        u = "%032x" % i
        words = pool[i:i + out_words]
        first = " ".join(words[:8])
        rest = " " + " ".join(words[8:])
        ts += 1000
        recs.append(rec("sample.issued", ts, u, ["PromptData", None, ids]))
        ts += 100
        recs.append(rec("sample.recv_first", ts, u))
        ts += 5_000_000
        recs.append(rec("sample.complete", ts, u, ["TextModelOutput", [first, rest]], "stop"))
        texts.append(first + rest)  # OSL
        texts.append(rest)          # TPOT: the text after the first chunk
    recs.append(rec("session.stop_performance_tracking", ts + 1))
    return recs, rec("session.ended", ts + 2), texts


def log_time(line):
    return datetime.fromisoformat(json.loads(line)["time"].replace("Z", "+00:00")).timestamp()


def run_daemon(a, frames, ended, cpw, workers):
    sock = tempfile.mkdtemp(prefix="aggdr")
    out = tempfile.mkdtemp(prefix="aggdr-out")
    ctx = zmq.Context()
    pub = ctx.socket(zmq.XPUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    pub.bind(f"ipc://{sock}/ev")
    ready = ctx.socket(zmq.PULL)
    ready.bind(f"ipc://{sock}/svc_ready_drain000")
    args = [a.aggregator, "--socket-dir", sock, "--socket-name", "ev", "--metrics-socket", "met",
            "--metrics-output-dir", out, "--readiness-path", "svc_ready_drain000", "--readiness-id", "1",
            "--log-format", "json", "--streaming", "--tokenizer", a.tokenizer, "--tokenizer-workers", "0",
            "--cores-per-worker", str(cpw), "--drain-workers", str(workers)]
    logp = os.path.join(out, "daemon.log")
    proc = subprocess.Popen(args, stderr=open(logp, "wb"))
    try:
        if not ready.poll(30_000):
            raise SystemExit("no readiness")
        ready.recv()
        if not pub.poll(10_000):
            raise SystemExit("no subscription")
        pub.recv()
        for f in frames:
            pub.send(f, copy=False)
        pub.send(pad(b"session.ended") + ended)
        rc = proc.wait(timeout=3600)
    finally:
        if proc.poll() is None:
            proc.kill()
        pub.close(0)
        ready.close(0)
        ctx.term()
    t_end = t_final = t_ready = None
    for line in open(logp):
        if '"ENDED received"' in line:
            t_end = log_time(line)
        elif '"drain workers ready"' in line:
            t_ready = log_time(line)
        elif '"final snapshot written"' in line:
            t_final = log_time(line)
    final = json.load(open(os.path.join(out, "final_snapshot.json")))
    series = {m["name"]: m for m in final["metrics"] if m["type"] == "series"}
    return {"cores_per_worker": cpw, "drain_workers": workers, "exit": rc, "state": final["state"],
            "n_pending_tasks": final["n_pending_tasks"],
            "ended_to_final_s": round(t_final - t_end, 3),
            "warmup_s": round(t_ready - t_end, 3) if t_ready else None,
            "osl_tokens": series["osl"]["total"], "osl_count": series["osl"]["count"],
            "tpot_count": series["tpot_ns"]["count"]}


def hf_single_thread(a, texts):
    path = os.path.join(tempfile.mkdtemp(prefix="aggdr-hf"), "texts.jsonl")
    with open(path, "w") as f:
        for t in texts:
            f.write(json.dumps({"text": t}) + "\n")
    node = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokenizer-oracle", "count.js")
    out = subprocess.run(["node", node, "--bench", "--rounds", "3", "--input", path,
                          os.path.join(a.tokenizer, "tokenizer.json")],
                         capture_output=True, text=True, check=True).stdout
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aggregator", required=True)
    ap.add_argument("--tokenizer", required=True, help="local tokenizer dir (tokenizer.json)")
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--output-words", type=int, default=350, help="words per output (~1k Llama-3 tokens)")
    ap.add_argument("--configs", default="1x1,1x2,2x1",
                    help="drain shapes CORESxWORKERS: cores per worker x worker cap (0 = one per block)")
    ap.add_argument("--hf-sample", type=int, default=2000, help="texts timed with HF (single thread)")
    ap.add_argument("--batch", type=int, default=1000)
    a = ap.parse_args()

    t = time.monotonic()
    recs, ended, texts = build(a.samples, a.output_words, 1)
    frames = [pad(b"batch") + msgpack.packb(recs[i:i + a.batch], use_bin_type=True)
              for i in range(0, len(recs), a.batch)]
    print(json.dumps({"samples": a.samples, "texts": len(texts),
                      "text_mb": round(sum(len(x) for x in texts) / 2**20, 1),
                      "build_s": round(time.monotonic() - t, 1)}), flush=True)
    runs = []
    for spec in a.configs.split(","):
        cpw, workers = (int(x) for x in spec.split("x"))
        r = run_daemon(a, frames, ended, cpw, workers)
        # OSL and TPOT texts are counted: tokens ~= 2 x OSL tokens.
        cores = cpw * max(1, workers)
        r["approx_tok_per_s_per_core"] = round(2 * r["osl_tokens"] / r["ended_to_final_s"] / cores)
        runs.append(r)
        print(json.dumps(r), flush=True)
    step = max(1, len(texts) // a.hf_sample)
    sample = texts[::step][:a.hf_sample]
    hf = hf_single_thread(a, sample)
    print(hf.strip(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
