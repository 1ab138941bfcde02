#!/usr/bin/env bash
# End-to-end throughput over real IPC from a python3-zmq publisher, and the
# daemon's peak RSS. Usage: scripts/bench-e2e.sh [SAMPLES] [CHUNKS]
# Prints one JSON line per run (streaming, then non-streaming).
set -euo pipefail
# go.mod needs Go 1.27: use the approved toolchain unless one is chosen.
[ "${GOTOOLCHAIN:-local}" != local ] || export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."
go build -o bin/ ./cmd/aggregator
samples=${1:-100000}
chunks=${2:-8}
/usr/bin/python3 scripts/e2e_pub.py --aggregator bin/aggregator --samples "$samples" --chunks "$chunks"
/usr/bin/python3 scripts/e2e_pub.py --aggregator bin/aggregator --samples "$samples" --no-streaming
