#!/usr/bin/env python3
"""Chat-template token counts for the upstream oracle (shared/oracle/oracle.py).

Used by scripts/gen-chat-golden.sh. Two subcommands:

  golden.py oracle --oracle DIR [--requests-out FILE] -- ORACLE_ARGS...
      Runs oracle.py's main() in this process with OracleTokenCounter's
      message_key/prompt_key replaced, so that each MessageInput/PromptInput
      is looked up by a key holding the WHOLE structured input (oracle.py's
      own keys are upstream's fallback texts, which drop
      chat_template_kwargs, chat_template and tool_choice, and cannot tell a
      template render from its fallback). Keys:
        "\\0message\\0" + {"assistant": {"content", "reasoning_content", "tool_calls"}}
        "\\0prompt\\0"  + {"messages", "tools", "chat_template_kwargs",
                            "chat_template", "tool_choice"}
      the JSON being one line of `aggregator tokens count --chat` input
      (compact json.dumps, ensure_ascii=False, key order kept; values exactly
      as upstream's TokenizationInput holds them: content/reasoning strings,
      merged tool_calls with string arguments, un-normalized messages).
      Plain texts keep oracle.py's key (the text). --requests-out writes, for
      every structured key, its kind, upstream's fallback text (oracle.py's
      original key function, i.e. the text upstream tokenizes when
      apply_chat_template raises) and how many items used it.

  golden.py counts --texts DUMP --requests REQ --config TOKENIZER_CONFIG
                   --tokenizer TOKENIZER_JSON --node-dir DIR -o MAP [--stats F]
      Builds the --token-counts map for the keys of DUMP (oracle.py
      --dump-token-texts) as upstream's BatchTokenizer counts them with the
      real tokenizer and its chat template:
        plain text  HF encode(text, add_special_tokens=False) length (upstream's
                    backend encode_batch; hfmap.js)
        message     count(render [user "", assistant]) - prefix_len - baseline,
                    floored at 0 (_token_count_message / _load_tokenizer)
        prompt      count(render with add_generation_prompt=True and the kwargs)
                    (_token_count_prompt)
        render error  the HF count of the fallback text (len(tokenizer.tokenize)
                    == encode(add_special_tokens=False) length for a fast tokenizer)
      Renders come from render.py (Jinja2 as transformers renders), counts of
      rendered texts from the HF tokenizers library via node (hfmap.js): a
      rendered text is encoded with add_special_tokens=False, so the
      template's own special tokens count once each and no BOS is added,
      as apply_chat_template(tokenize=True) does.
"""

from __future__ import annotations

import sys as _sys

_sys.dont_write_bytecode = True

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MSG = "\x00message\x00"
PROMPT = "\x00prompt\x00"


def _dumps(v) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


# ---------------------------------------------------------------------------
# oracle pass
# ---------------------------------------------------------------------------


def run_oracle(args) -> int:
    sys.path.insert(0, str(Path(args.oracle).resolve()))
    import oracle  # shared/oracle/oracle.py, unmodified

    requests: dict[str, dict] = {}
    orig_message_key = oracle.OracleTokenCounter.message_key
    orig_prompt_key = oracle.OracleTokenCounter.prompt_key

    def note(key: str, kind: str, fallback) -> str:
        r = requests.get(key)
        if r is None:
            r = requests[key] = {"kind": kind, "fallback": fallback(), "n": 0}
        r["n"] += 1
        return key

    def message_key(self, item) -> str:
        req = {
            "assistant": {
                "content": item.content,
                "reasoning_content": item.reasoning,
                "tool_calls": None if item.tool_calls is None else list(item.tool_calls),
            }
        }
        return note(MSG + _dumps(req), "message", lambda: orig_message_key(self, item))

    def prompt_key(self, item) -> str:
        req = {
            "messages": list(item.messages),
            "tools": None if item.tools is None else list(item.tools),
            "chat_template_kwargs": item.chat_template_kwargs,
            "chat_template": item.chat_template,
            "tool_choice": item.tool_choice,
        }
        return note(PROMPT + _dumps(req), "prompt", lambda: orig_prompt_key(self, item))

    oracle.OracleTokenCounter.message_key = message_key
    oracle.OracleTokenCounter.prompt_key = prompt_key
    rc = oracle.main(args.oracle_args)
    if args.requests_out is not None:
        Path(args.requests_out).write_text(_dumps(requests) + "\n", encoding="utf-8")
    return rc


# ---------------------------------------------------------------------------
# counts
# ---------------------------------------------------------------------------


def render_all(config: str, reqs: list[dict]) -> list[dict]:
    lines = [_dumps({"config": config, **r}) for r in reqs]
    out = subprocess.run(
        [sys.executable, str(HERE / "render.py")],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    res = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    if len(res) != len(reqs):
        raise SystemExit(f"golden: render.py answered {len(res)} of {len(reqs)} requests")
    return res


def hf_counts(node_dir: str, tokenizer: str, texts: list[str]) -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="chatgolden_") as tmp:
        src, dst = Path(tmp, "texts.json"), Path(tmp, "map.json")
        src.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        subprocess.run(["node", "hfmap.js", tokenizer, str(src), str(dst)], cwd=node_dir, check=True)
        return json.loads(dst.read_text(encoding="utf-8"))


def run_counts(args) -> int:
    texts = json.loads(Path(args.texts).read_text(encoding="utf-8"))
    requests = json.loads(Path(args.requests).read_text(encoding="utf-8"))
    config = str(Path(args.config).resolve())

    plain = [t for t in texts if not t.startswith("\x00")]
    structured = [t for t in texts if t.startswith("\x00")]
    unknown = [t for t in structured if t not in requests or not (t.startswith(MSG) or t.startswith(PROMPT))]
    if unknown:
        raise SystemExit(f"golden: {len(unknown)} structured key(s) without a request record")

    reqs = [{"op": "prefix"}, {"op": "with_assistant"}]
    for key in structured:
        if key.startswith(MSG):
            body = json.loads(key[len(MSG):])["assistant"]
            reqs.append({"op": "message", **body})
        else:
            reqs.append({"op": "prompt", **json.loads(key[len(PROMPT):])})
    res = render_all(config, reqs)

    need = set(plain)
    for r in res:
        if "text" in r:
            need.add(r["text"])
    for key, r in zip(structured, res[2:]):
        if "text" not in r:
            need.add(requests[key]["fallback"])
    hf = hf_counts(args.node_dir, str(Path(args.tokenizer).resolve()), sorted(need))

    # _load_tokenizer: a failing baseline render leaves prefix_len = baseline = 0.
    if "text" in res[0] and "text" in res[1]:
        prefix_len = hf[res[0]["text"]]
        baseline = hf[res[1]["text"]] - prefix_len
        baseline_error = None
    else:
        prefix_len = baseline = 0
        baseline_error = res[0].get("error") or res[1].get("error")

    out: dict[str, int] = {t: hf[t] for t in plain}
    stats = {
        "prefix_len": prefix_len,
        "baseline": baseline,
        "baseline_error": baseline_error,
        "distinct_keys": {"text": len(plain), "message": 0, "prompt": 0},
        "items": {"text": None, "message": 0, "prompt": 0},
        "fallback_distinct": {"message": 0, "prompt": 0},
        "fallback_items": {"message": 0, "prompt": 0},
        "fallback_errors": collections.Counter(),
        "floored_at_zero": 0,
        "zero_counts": {"message": 0, "prompt": 0},
    }
    for key, r in zip(structured, res[2:]):
        rec = requests[key]
        kind = rec["kind"]
        stats["distinct_keys"][kind] += 1
        stats["items"][kind] += rec["n"]
        if "text" in r:
            n = hf[r["text"]]
            if kind == "message":
                n -= prefix_len + baseline
                if n < 0:
                    stats["floored_at_zero"] += 1
                    n = 0
        else:
            fb = rec["fallback"]
            n = hf[fb] if fb else 0
            stats["fallback_distinct"][kind] += 1
            stats["fallback_items"][kind] += rec["n"]
            stats["fallback_errors"][r["error"]] += rec["n"]
        if n == 0:
            stats["zero_counts"][kind] += 1
        out[key] = n

    Path(args.out).write_text(json.dumps(out, ensure_ascii=False) + "\n", encoding="utf-8")
    stats["fallback_errors"] = dict(stats["fallback_errors"])
    if args.stats is not None:
        Path(args.stats).write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stderr.write(
        f"golden: prefix_len={prefix_len} baseline={baseline}; distinct keys {stats['distinct_keys']}; "
        f"fallbacks {stats['fallback_distinct']} distinct / {stats['fallback_items']} items\n"
    )
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("oracle", help="run shared/oracle/oracle.py with whole-input keys")
    o.add_argument("--oracle", required=True, help="shared/oracle directory")
    o.add_argument("--requests-out", help="write {key: {kind, fallback, n}} for structured keys")
    o.add_argument("oracle_args", nargs=argparse.REMAINDER, help="-- then oracle.py's arguments")
    c = sub.add_parser("counts", help="build the token-count map")
    c.add_argument("--texts", required=True)
    c.add_argument("--requests", required=True)
    c.add_argument("--config", required=True, help="tokenizer_config.json (chat_template)")
    c.add_argument("--tokenizer", required=True, help="tokenizer.json")
    c.add_argument("--node-dir", required=True, help="scripts/tokenizer-oracle")
    c.add_argument("-o", "--out", required=True)
    c.add_argument("--stats")
    args = p.parse_args()
    if args.cmd == "oracle":
        if args.oracle_args and args.oracle_args[0] == "--":
            args.oracle_args = args.oracle_args[1:]
        return run_oracle(args)
    return run_counts(args)


if __name__ == "__main__":
    sys.exit(main())
