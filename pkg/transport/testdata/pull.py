"""Test peer: the benchmark's readiness PULL. Binds, prints BOUND, waits for
one message and prints the msgpack-decoded identity as JSON."""
import argparse
import json
import sys

import msgpack
import zmq


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()
    ctx = zmq.Context()
    s = ctx.socket(zmq.PULL)
    s.bind(a.endpoint)
    print("BOUND", flush=True)
    if not s.poll(int(a.timeout * 1000)):
        print("timeout", file=sys.stderr)
        sys.exit(3)
    raw = s.recv()
    print(json.dumps({"id": msgpack.unpackb(raw), "raw": raw.hex()}), flush=True)
    s.close(linger=0)
    ctx.term()


if __name__ == "__main__":
    main()
