#!/usr/bin/python3
"""Launch the aggregator the way the endpoints benchmark does, with real libzmq.

Binds the event PUB (an XPUB, so we can wait for the daemon's subscription
instead of sleeping) and the readiness PULL, connects a snapshot SUB first,
spawns the daemon with the benchmark's argument list, waits for readiness,
publishes the records of an events.jsonl (batch frames and single frames, as
upstream's publisher does), and records every live snapshot frame it sees.

Prints one JSON object on stdout: readiness id and latency, exit code,
snapshots (decoded), and what was sent.
"""
import argparse
import gzip
import json
import os
import signal
import subprocess
import sys
import time

import msgpack
import zmq

TOPIC = 40


def pad(t: bytes) -> bytes:
    return t.ljust(TOPIC, b"\0")


def load(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def counters(snap):
    return tuple(m[2] for m in snap[4] if m[0] == "counter")


def wait_quiet(snaps, drain, timeout=15.0):
    """Wait until the daemon has folded everything sent: two consecutive live
    snapshots with identical counters (at least 0.6 s after the last send)."""
    deadline = time.monotonic() + timeout
    time.sleep(0.6)
    seen = len(snaps)
    stable = 0
    last = None
    while time.monotonic() < deadline and stable < 2:
        drain()
        while seen < len(snaps):
            c = counters(snaps[seen])
            stable = stable + 1 if c == last else 0
            last = c
            seen += 1
        time.sleep(0.05)


def wait_log(out, text, timeout, count=1):
    """Wait until the daemon's log contains text count times; True if it did."""
    deadline = time.monotonic() + timeout
    path = os.path.join(out, "daemon.log")
    while time.monotonic() < deadline:
        with open(path, "rb") as f:
            if f.read().count(text.encode()) >= count:
                return True
        time.sleep(0.005)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aggregator", required=True)
    ap.add_argument("--socket-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--events", required=True)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--mode", choices=["ended", "sigterm", "sigint"], default="ended")
    ap.add_argument("--stop-after", type=int, default=0, help="records to send before the signal")
    ap.add_argument("--garbage", action="store_true", help="mix malformed items into batches")
    ap.add_argument("--pace", type=float, default=0.0, help="seconds to sleep between frames")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--restart-at", type=int, default=0,
                    help="close the event PUB after this many records and bind a new one (publisher restart)")
    ap.add_argument("--python-module", default="",
                    help="spawn `sys.executable -m MODULE ARGS` (as the benchmark's ServiceLauncher does) instead of --aggregator")
    ap.add_argument("--settle", type=float, default=0.0,
                    help="seconds to wait after the daemon subscribed, before sending (lets the snapshot SUB connect)")
    ap.add_argument("--sigterm-on-log", default="",
                    help="mode ended: once the daemon log contains this text, send SIGTERM (--sigterms times)")
    ap.add_argument("--sigterms", type=int, default=1)
    ap.add_argument("--hold", action="append", default=[], metavar="AT:COUNT:TEXT",
                    help="before sending record AT (or the session.ended record when AT is 'ended'), wait until "
                         "the daemon log contains TEXT COUNT times; repeatable")
    ap.add_argument("--rest-on-log", default="",
                    help="mode sigterm: once the daemon log contains this text, send the records after --stop-after")
    ap.add_argument("--inherit-stderr", action="store_true",
                    help="the daemon writes to this process's stderr (a terminal in tmux tests), not OUT/daemon.log")
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()

    records = load(a.events)
    holds = []
    for h in a.hold:
        at, count, text = h.split(":", 2)
        if at == "ended":
            at = next(j for j, r in enumerate(records) if r["event_type"] == "session.ended")
        holds.append((int(at), int(count), text))
    ctx = zmq.Context()
    pub = ctx.socket(zmq.XPUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    pub.bind(f"ipc://{a.socket_dir}/ev")
    ready = ctx.socket(zmq.PULL)
    ready_name = "svc_ready_1a2b3c4d"
    ready.bind(f"ipc://{a.socket_dir}/{ready_name}")
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(f"ipc://{a.socket_dir}/met")

    cmd = [sys.executable, "-m", a.python_module] if a.python_module else [a.aggregator]
    args = [*cmd, "--socket-dir", a.socket_dir, "--socket-name", "ev",
            "--metrics-socket", "met", "--metrics-output-dir", a.out,
            *a.extra, "--readiness-path", ready_name, "--readiness-id", "7"]
    t0 = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=None if a.inherit_stderr else open(os.path.join(a.out, "daemon.log"), "wb"))
    result = {"args": args[len(cmd):]}
    try:
        if not ready.poll(30_000):
            raise SystemExit("no readiness signal within 30 s")
        result["ready_id"] = msgpack.unpackb(ready.recv())
        result["ready_ms"] = (time.monotonic() - t0) * 1000
        # Wait for the daemon's subscription (XPUB delivers it as \x01).
        if not pub.poll(10_000):
            raise SystemExit("daemon never subscribed")
        result["subscription"] = pub.recv().hex()
        time.sleep(a.settle)

        snaps = []

        def drain_snaps():
            while sub.poll(0):
                snaps.append(msgpack.unpackb(sub.recv()[TOPIC:], raw=False))

        limit = a.stop_after if a.mode != "ended" and a.stop_after else len(records)
        sent = 0
        i = 0
        garbage = 0
        restarted = False
        while i < limit:
            if a.restart_at and not restarted and i >= a.restart_at:
                # Publisher restart: a new socket binds the same path; the
                # daemon must notice, redial and subscribe again.
                # Let what was sent reach the daemon first: frames still
                # queued in libzmq die with the socket, as in any restart.
                time.sleep(0.5)
                pub.close(2000)
                time.sleep(0.3)
                pub = ctx.socket(zmq.XPUB)
                pub.setsockopt(zmq.SNDHWM, 0)
                pub.bind(f"ipc://{a.socket_dir}/ev")
                if not pub.poll(10_000):
                    raise SystemExit("daemon never re-subscribed after the restart")
                pub.recv()
                restarted = True
                result["restarted"] = True
            end = min(i + a.batch, limit)
            for at, count, text in holds:
                if i <= at < end:
                    if at > i:
                        end = at  # send up to the hold point first
                    else:
                        ok = wait_log(a.out, text, a.timeout, count)
                        result["log_seen"] = ok and result.get("log_seen", True)
            chunk = records[i:end]
            i += len(chunk)
            if len(chunk) == 1:
                r = chunk[0]
                pub.send(pad(r["event_type"].encode()) + msgpack.packb(r, use_bin_type=True))
            else:
                items = [msgpack.packb(r, use_bin_type=True) for r in chunk]
                if a.garbage:
                    items.insert(len(items) // 2, b"\xc1not msgpack")
                    items.insert(0, msgpack.packb({"event_type": "no.such"}))
                    items.append(b"")  # empty items are skipped
                    garbage += 2
                pub.send(pad(b"batch") + msgpack.packb(items, use_bin_type=True))
            sent += len(chunk)
            if a.pace:
                time.sleep(a.pace)
            drain_snaps()
        result["sent"] = sent
        result["garbage"] = garbage
        if a.mode == "sigint":
            time.sleep(0.6)
            drain_snaps()
            proc.send_signal(signal.SIGINT)
            time.sleep(0.6)
            result["alive_after_sigint"] = proc.poll() is None
            rest = records[limit:]
            for j in range(0, len(rest), a.batch):
                items = [msgpack.packb(r, use_bin_type=True) for r in rest[j:j + a.batch]]
                pub.send(pad(b"batch") + msgpack.packb(items, use_bin_type=True))
            result["sent"] += len(rest)
        elif a.mode == "sigterm":
            if sent:
                wait_quiet(snaps, drain_snaps)
            else:
                time.sleep(0.3)
            proc.send_signal(signal.SIGTERM)
            if a.rest_on_log:
                result["log_seen"] = wait_log(a.out, a.rest_on_log, a.timeout)
                rest = records[limit:]
                for j in range(0, len(rest), a.batch):
                    items = [msgpack.packb(r, use_bin_type=True) for r in rest[j:j + a.batch]]
                    pub.send(pad(b"batch") + msgpack.packb(items, use_bin_type=True))
                result["sent"] += len(rest)
        if a.mode == "ended" and a.sigterm_on_log:
            result["log_seen"] = wait_log(a.out, a.sigterm_on_log, a.timeout)
            for _ in range(a.sigterms):
                proc.send_signal(signal.SIGTERM)
                time.sleep(0.05)
        deadline = time.monotonic() + a.timeout
        while proc.poll() is None and time.monotonic() < deadline:
            drain_snaps()
            time.sleep(0.02)
        time.sleep(0.1)
        drain_snaps()
        if proc.poll() is None:
            proc.kill()
            result["killed"] = True
        result["exit"] = proc.wait()
        result["snapshots"] = snaps
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for s in (pub, ready, sub):
            s.close(0)
        ctx.term()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
