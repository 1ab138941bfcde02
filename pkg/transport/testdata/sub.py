"""Test peer: a libzmq SUB for the transport tests.

--mode read:  receive until an END frame (or --timeout), print JSON summary.
--mode stuck: connect, subscribe, never call recv (tiny RCVHWM/RCVBUF so
              back-pressure reaches the publisher quickly), sleep until killed.
"""
import argparse
import json
import time

import zmq

TOPIC_SIZE = 40


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--mode", choices=["read", "stuck"], default="read")
    ap.add_argument("--topic", default="")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--heartbeat-ivl", type=int, default=0)
    ap.add_argument("--heartbeat-timeout", type=int, default=0)
    a = ap.parse_args()

    ctx = zmq.Context()
    s = ctx.socket(zmq.SUB)
    if a.mode == "stuck":
        s.setsockopt(zmq.RCVHWM, 1)
        s.setsockopt(zmq.RCVBUF, 4096)
    if a.heartbeat_ivl:
        s.setsockopt(zmq.HEARTBEAT_IVL, a.heartbeat_ivl)
    if a.heartbeat_timeout:
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, a.heartbeat_timeout)
    for t in a.topic.split(","):  # comma-separated prefixes; "" = everything
        s.setsockopt(zmq.SUBSCRIBE, t.encode())
    s.connect(a.endpoint)
    print("CONNECTED", flush=True)

    if a.mode == "stuck":
        while True:
            time.sleep(3600)

    frames = 0
    nbytes = 0
    seqs = []
    topics = {}
    end = False
    deadline = time.monotonic() + a.timeout
    t_first = None
    while time.monotonic() < deadline:
        if not s.poll(100):
            continue
        f = s.recv()
        if t_first is None:
            t_first = time.perf_counter()
        t = f[:TOPIC_SIZE].rstrip(b"\0").decode()
        topics[t] = topics.get(t, 0) + 1
        if t == "END":
            end = True
            break
        frames += 1
        nbytes += len(f)
        try:
            seqs.append(int(f[TOPIC_SIZE:TOPIC_SIZE + 8]))
        except ValueError:
            pass
    elapsed = (time.perf_counter() - t_first) if t_first is not None else 0.0
    print(json.dumps({"frames": frames, "bytes": nbytes, "end": end, "seqs": seqs,
                      "topics": topics, "elapsed_s": elapsed}), flush=True)
    s.close(linger=0)
    ctx.term()


if __name__ == "__main__":
    main()
