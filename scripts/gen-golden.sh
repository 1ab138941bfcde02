#!/usr/bin/env bash
# Regenerates testdata/replay/<case>/expected.json with the UPSTREAM Python
# aggregator (the oracle in ../shared/oracle, which imports a checkout of
# mlcommons/endpoints at $UPSTREAM, default /tmp/ref/endpoints). The expected
# values are upstream's, never ours. Developer-only: CI uses the committed files.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
oracle=${ORACLE:-$here/../shared/oracle}
upstream=${UPSTREAM:-/tmp/ref/endpoints}
py=/usr/bin/python3
cd "$here/testdata/replay"
gen() { # name "oracle args" gen-args...
  local name=$1 oargs=$2; shift 2
  mkdir -p "$name"
  "$py" "$oracle/gen_events.py" -o "/tmp/golden_$name.jsonl" "$@" >/dev/null
  # shellcheck disable=SC2086
  "$py" "$oracle/oracle.py" "/tmp/golden_$name.jsonl" --upstream "$upstream" -o "$name/expected.json" \
    $oargs --token-source none --scrub-volatile
  gzip -9nc "/tmp/golden_$name.jsonl" > "$name/events.jsonl.gz"
  echo "$oargs" > "$name/args"
}
gen streaming "--streaming" -n 300 --seed 11 --prompt-words 20 --output-words 30
gen nonstreaming "" -n 300 --seed 12 --no-streaming --prompt-words 20 --output-words 30
gen earlystop "--streaming --early-stopping" -n 1500 --seed 13 --prompt-words 8 --output-words 12 --tail-rate 0.05
gen edgecases "--streaming" -n 400 --seed 14 --blocks 3 --error-rate 0.1 --tail-rate 0.05 \
  --dup-issued-rate 0.05 --lost-rate 0.05 --after-ended 40 --prompt-words 10 --output-words 15
# interrupted: the streaming case cut at 60% (no ENDED), finished by upstream's SIGTERM path.
n=$(wc -l < /tmp/golden_streaming.jsonl)
mkdir -p interrupted
head -n $((n * 6 / 10)) /tmp/golden_streaming.jsonl > /tmp/golden_interrupted.jsonl
"$py" "$oracle/oracle.py" /tmp/golden_interrupted.jsonl --upstream "$upstream" -o interrupted/expected.json \
  --streaming --token-source none --missing-ended interrupt --scrub-volatile
gzip -9nc /tmp/golden_interrupted.jsonl > interrupted/events.jsonl.gz
echo "--streaming --missing-ended interrupt" > interrupted/args
