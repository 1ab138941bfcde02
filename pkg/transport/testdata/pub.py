"""Test peer: a libzmq PUB (XPUB, so it can wait for a subscriber) for the
transport tests. Sends --count frames of TOPIC(40, NUL-padded) + payload,
then an END frame, and prints a JSON summary on stdout."""
import argparse
import json
import sys
import time

import msgpack
import zmq

TOPIC_SIZE = 40


def topic(name: str) -> bytes:
    return name.encode().ljust(TOPIC_SIZE, b"\0")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--tag", default="A", help="payload tag, lets tests tell publishers apart")
    ap.add_argument("--size", type=int, default=64, help="payload size of plain frames")
    ap.add_argument("--batch", type=int, default=0, help="records per batch frame (0 = plain frames)")
    ap.add_argument("--record-size", type=int, default=100)
    ap.add_argument("--interval", type=float, default=0.0)
    ap.add_argument("--multipart", action="store_true", help="send topic and payload as two parts")
    ap.add_argument("--heartbeat-ivl", type=int, default=0, help="ZMQ_HEARTBEAT_IVL ms")
    ap.add_argument("--heartbeat-timeout", type=int, default=0, help="ZMQ_HEARTBEAT_TIMEOUT ms")
    ap.add_argument("--no-wait-sub", action="store_true")
    ap.add_argument("--sub-timeout", type=float, default=20.0)
    ap.add_argument("--hold", type=float, default=0.0, help="seconds to stay bound after sending")
    a = ap.parse_args()

    ctx = zmq.Context()
    s = ctx.socket(zmq.XPUB)
    s.setsockopt(zmq.SNDHWM, 0)
    if a.heartbeat_ivl:
        s.setsockopt(zmq.HEARTBEAT_IVL, a.heartbeat_ivl)
    if a.heartbeat_timeout:
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, a.heartbeat_timeout)
    s.bind(a.endpoint)
    print("BOUND", flush=True)
    if not a.no_wait_sub:
        if not s.poll(int(a.sub_timeout * 1000)):
            print("no subscriber", file=sys.stderr)
            sys.exit(2)
        s.recv()  # b"\x01" + prefix
        print("SUBSCRIBED", flush=True)

    if a.batch:
        rec = b"r" * a.record_size
        frame = topic("batch") + msgpack.packb([rec] * a.batch, use_bin_type=True)
    t0 = time.perf_counter()
    nbytes = 0
    for i in range(a.count):
        if a.batch:
            f = frame
        else:
            f = topic("sample.complete") + (b"%s%08d" % (a.tag.encode(), i)).ljust(a.size, b".")
        if a.multipart:
            s.send_multipart([f[:TOPIC_SIZE], f[TOPIC_SIZE:]])
        else:
            s.send(f)
        nbytes += len(f)
        if a.interval:
            time.sleep(a.interval)
    t_send = time.perf_counter() - t0
    s.send(topic("END") + a.tag.encode())
    if a.hold:
        time.sleep(a.hold)
    s.close(linger=-1)
    ctx.term()  # returns once everything queued has been handed to the kernel
    t_all = time.perf_counter() - t0
    print(json.dumps({"sent": a.count, "bytes": nbytes, "send_s": t_send, "total_s": t_all}), flush=True)


if __name__ == "__main__":
    main()
