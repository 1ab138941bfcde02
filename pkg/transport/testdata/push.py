"""Test peer: the daemon's side of readiness as upstream's send_ready_signal
does it with libzmq: PUSH-connect, send the msgpack int id, close with a
linger. Prints SENT."""
import argparse

import msgpack
import zmq


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--id", type=int, required=True)
    a = ap.parse_args()
    ctx = zmq.Context()
    s = ctx.socket(zmq.PUSH)
    s.setsockopt(zmq.LINGER, 5000)
    s.connect(a.endpoint)
    s.send(msgpack.packb(a.id))
    s.close()
    ctx.term()
    print("SENT", flush=True)


if __name__ == "__main__":
    main()
