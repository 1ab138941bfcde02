"""Cross-check helper for encode_test.go (run by /usr/bin/python3).

mode "decode": read length-prefixed frames from argv[2], decode them with
python3-msgpack the way upstream's subscriber does, print one compact JSON
line per record.
mode "encode": build records the way msgspec encodes EventRecord (dict in
field order, data as the full tagged array), write length-prefixed frames
to argv[2]: a batch frame of all records, then one single-record frame.
"""
import json
import struct
import sys

import msgpack

TOPIC = 40
BATCH = b"batch".ljust(TOPIC, b"\0")


def frames(path):
    data = open(path, "rb").read()
    i = 0
    while i < len(data):
        (n,) = struct.unpack(">I", data[i : i + 4])
        yield data[i + 4 : i + 4 + n]
        i += 4 + n


def decode(path):
    for raw in frames(path):
        if raw[:TOPIC] == BATCH:
            payloads = msgpack.unpackb(raw[TOPIC:], raw=False)
            assert all(type(p) is bytes for p in payloads), "batch items must be bin"
        else:
            payloads = [raw[TOPIC:]]
        for p in payloads:
            if p:
                obj = msgpack.unpackb(p, raw=False, strict_map_key=False)
                print(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


def rec(event_type, ts, uuid="", conv="", turn=None, data=None, **extra):
    d = {"event_type": event_type, "timestamp_ns": ts, "sample_uuid": uuid,
         "conversation_id": conv, "turn": turn, "data": data}
    d.update(extra)
    return d


RECORDS = [
    rec("session.started", 1),
    rec("sample.issued", 2**40, "u1", data=["PromptData", None, [1, 200, 70000, 2**33], None, None, None, None, None]),
    rec("sample.issued", 3, "u2", "conv", 7, ["PromptData", "héllo wörld " * 30, None, None, None, None, None, None]),
    rec("sample.issued", 4, "u3", data=["PromptData", None, None,
        [{"role": "user", "content": "hi"}], [{"type": "function", "function": {"name": "f"}}],
        {"enable_thinking": False}, "{{ x }}", "auto"]),
    rec("sample.recv_first", 5, "u1"),
    rec("sample.complete", 6, "u1", data=["TextModelOutput", ["a", "b", "ç"], ["r"], None],
        finish_reason="stop", worker_id=3),
    rec("sample.complete", 7, "u2", data=["TextModelOutput", "x" * 300, None,
        [[{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{"}}]]], finish_reason="tool_calls"),
    rec("error.client", 8, "u3", data=["ErrorData", "ClientError", "boom"]),
    rec("sample.recv_non_first", -5, "u1", worker_id=-100000),
]


def encode(path):
    payloads = [msgpack.packb(r, use_bin_type=True) for r in RECORDS]
    out = [BATCH + msgpack.packb(payloads, use_bin_type=True),
           RECORDS[4]["event_type"].encode().ljust(TOPIC, b"\0") + payloads[4]]
    with open(path, "wb") as f:
        for fr in out:
            f.write(struct.pack(">I", len(fr)) + fr)
    for p in payloads:
        print(p.hex())


if __name__ == "__main__":
    {"decode": decode, "encode": encode}[sys.argv[1]](sys.argv[2])
