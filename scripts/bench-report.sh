#!/usr/bin/env bash
# Time and size of `aggregator report --html` on the final snapshot of a
# large run. Usage: scripts/bench-report.sh [SNAPSHOT.json]
# Without an argument, makes the final snapshot of a SAMPLES-sample
# (default 1000000) non-streaming run with scripts/e2e_pub.py (real IPC,
# python3-zmq) and keeps it as bin/bench-report/final_snapshot.json; RUNS
# (default 5) timed runs each of the text report and of --html, best kept.
# Prints one JSON line.
set -euo pipefail
# go.mod needs Go 1.27: use the approved toolchain unless one is chosen.
[ "${GOTOOLCHAIN:-local}" != local ] || export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."
go build -o bin/ ./cmd/aggregator
samples=${SAMPLES:-1000000}
runs=${RUNS:-5}
work=bin/bench-report
mkdir -p "$work"
snap=${1:-}
if [ -z "$snap" ]; then
  snap=$work/final_snapshot.json
  # e2e_pub.py leaves its output directory in $TMPDIR: give it a private one.
  tmp=$(mktemp -d /tmp/benchrep.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  TMPDIR=$tmp /usr/bin/python3 scripts/e2e_pub.py --aggregator bin/aggregator \
    --samples "$samples" --no-streaming >"$work/e2e.json"
  cp "$tmp"/agge2e-out*/final_snapshot.json "$snap"
else
  samples=null
fi
now() { date +%s%N; }
best() { # best wall time in ms of RUNS runs of "$@"
  local b="" t0 t1 ms
  for _ in $(seq "$runs"); do
    t0=$(now); "$@" >/dev/null; t1=$(now)
    ms=$(( (t1 - t0) / 1000 ))
    if [ -z "$b" ] || [ "$ms" -lt "$b" ]; then b=$ms; fi
  done
  printf '%d.%03d' $((b / 1000)) $((b % 1000))
}
text_ms=$(best bin/aggregator report "$snap")
html_ms=$(best bin/aggregator report "$snap" --html "$work/report.html")
plots=$(grep -c '<svg ' "$work/report.html")
printf '{"samples": %s, "snapshot": "%s", "snapshot_bytes": %d, "runs": %d, "text_best_ms": %s, "html_best_ms": %s, "html_bytes": %d, "plots": %d}\n' \
  "$samples" "$snap" "$(stat -c %s "$snap")" "$runs" "$text_ms" "$html_ms" "$(stat -c %s "$work/report.html")" "$plots"
