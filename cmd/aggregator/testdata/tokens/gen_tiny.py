#!/usr/bin/env python3
"""Writes tiny/tokenizer.json: a GPT-2-style byte-level BPE tokenizer with a
256-byte vocabulary, a dozen merges and one special token (<|end|>). It
loads in milliseconds, so the CLI plumbing tests of `aggregator tokens
count` run fast (under -race too); its counts are checked against the HF
oracle by TestTokensCountMatchesOracle like the real files."""
import json
import os

# GPT-2's bytes_to_unicode table.
bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
cs = bs[:]
n = 0
for b in range(256):
    if b not in bs:
        bs.append(b)
        cs.append(256 + n)
        n += 1
byte2u = {b: chr(c) for b, c in zip(bs, cs)}
vocab = {byte2u[b]: b for b in range(256)}
merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("e", "r"), ("o", "n"),
          ("Ġ", "w"), ("o", "r"), ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld")]
for a, b in merges:
    vocab[a + b] = len(vocab)
end_id = len(vocab)
vocab["<|end|>"] = end_id
tok = {
    "version": "1.0",
    "truncation": None,
    "padding": None,
    "added_tokens": [{"id": end_id, "content": "<|end|>", "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": False, "special": True}],
    "normalizer": None,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    "post_processor": None,
    "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
              "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
              "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny", "tokenizer.json")
with open(out, "w", encoding="utf-8") as f:
    json.dump(tok, f, ensure_ascii=False, indent=1)
    f.write("\n")
