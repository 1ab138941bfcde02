#!/usr/bin/python3
"""End-to-end load for the aggregator over real libzmq IPC (Debian python3-zmq).

Binds the event PUB and the readiness PULL, spawns the daemon with the
benchmark's argument list, waits for readiness and the daemon's subscription,
then publishes a pre-encoded run as fast as libzmq takes it: STARTED,
START_PERFORMANCE_TRACKING, per sample ISSUED (token_ids) / RECV_FIRST /
K x RECV_NON_FIRST / COMPLETE (streamed TextModelOutput), with W samples in
flight, STOP, ENDED. Batch frames of --batch records, as upstream's publisher
sends them. Prints one JSON line: events, publisher send rate, end-to-end
rate (first send -> daemon exit, final snapshot written), readiness latency,
and whether every event was folded (zero loss).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import msgpack
import zmq

TOPIC = 40


def pad(t):
    return t.ljust(TOPIC, b"\0")


def rec(ev, ts, uuid="", data=None, finish=None):
    d = {"event_type": ev, "timestamp_ns": ts, "sample_uuid": uuid,
         "conversation_id": "", "turn": None, "data": data}
    if finish is not None:
        d["finish_reason"] = finish
    return msgpack.packb(d, use_bin_type=True)


def build(samples, chunks, window, streaming):
    ts = 1_000_000_000
    out = [rec("session.started", ts), rec("session.start_performance_tracking", ts + 1)]
    ids = list(range(200))
    output = ["word "] * (chunks + 1)
    inflight = []
    for i in range(samples):
        ts += 1000
        u = "%032x" % i
        out.append(rec("sample.issued", ts, u, ["PromptData", None, ids]))
        inflight.append(u)
        if len(inflight) >= window or i == samples - 1:
            for u in inflight:
                if streaming:
                    ts += 100
                    out.append(rec("sample.recv_first", ts, u))
                    for _ in range(chunks):
                        ts += 100
                        out.append(rec("sample.recv_non_first", ts, u))
                ts += 100
                out.append(rec("sample.complete", ts, u, ["TextModelOutput", output], "stop"))
            inflight = []
    out.append(rec("session.stop_performance_tracking", ts + 1))
    ended = rec("session.ended", ts + 2)
    return out, ended


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aggregator", required=True)
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--chunks", type=int, default=8)
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--no-streaming", action="store_true")
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    streaming = not a.no_streaming

    t = time.monotonic()
    payloads, ended = build(a.samples, a.chunks, a.window, streaming)
    frames = [pad(b"batch") + msgpack.packb(payloads[i:i + a.batch], use_bin_type=True)
              for i in range(0, len(payloads), a.batch)]
    build_s = time.monotonic() - t
    n_events = len(payloads) + 1

    sock = tempfile.mkdtemp(prefix="agge2e")
    out = tempfile.mkdtemp(prefix="agge2e-out")
    ctx = zmq.Context()
    pub = ctx.socket(zmq.XPUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    pub.bind(f"ipc://{sock}/ev")
    ready = ctx.socket(zmq.PULL)
    ready.bind(f"ipc://{sock}/svc_ready_e2e00000")
    args = [a.aggregator, "--socket-dir", sock, "--socket-name", "ev", "--metrics-socket", "met",
            "--metrics-output-dir", out, "--readiness-path", "svc_ready_e2e00000", "--readiness-id", "3",
            "--log-format", "json"] + (["--streaming"] if streaming else []) + a.extra
    log = open(os.path.join(out, "daemon.log"), "wb")
    t0 = time.monotonic()
    proc = subprocess.Popen(args, stderr=log)
    try:
        if not ready.poll(30_000):
            raise SystemExit("no readiness")
        ready.recv()
        ready_ms = (time.monotonic() - t0) * 1000
        if not pub.poll(10_000):
            raise SystemExit("no subscription")
        pub.recv()
        t1 = time.monotonic()
        for f in frames:
            pub.send(f, copy=False)
        pub.send(pad(b"session.ended") + ended)
        t2 = time.monotonic()
        rc = proc.wait(timeout=600)
        t3 = time.monotonic()
    finally:
        if proc.poll() is None:
            proc.kill()
    with open(os.path.join(out, "final_snapshot.json")) as fh:
        final = json.load(fh)
    counters = {m["name"]: m["value"] for m in final["metrics"] if m["type"] == "counter"}
    series = {m["name"]: m["count"] for m in final["metrics"] if m["type"] == "series"}
    want_chunks = a.samples * a.chunks if streaming else 0
    lossless = (counters["total_samples_issued"] == a.samples
                and counters["tracked_samples_completed"] == a.samples
                and (not streaming or series.get("chunk_delta_ns") == want_chunks))
    peak = None
    for line in open(os.path.join(out, "daemon.log")):
        m = re.search(r'"max_rss_bytes":(\d+)', line)
        if m:
            peak = int(m.group(1))
    print(json.dumps({
        "events": n_events, "frames": len(frames), "build_s": round(build_s, 2),
        "ready_ms": round(ready_ms, 1), "exit": rc,
        "publisher_events_per_s": round(n_events / (t2 - t1)),
        "end_to_end_events_per_s": round(n_events / (t3 - t1)),
        "send_s": round(t2 - t1, 3), "end_to_end_s": round(t3 - t1, 3),
        "lossless": lossless, "daemon_max_rss_mb": round(peak / 2**20, 1) if peak else None,
    }))
    pub.close(0); ready.close(0); ctx.term()
    return 0 if lossless and rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
