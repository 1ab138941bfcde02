#!/usr/bin/env bash
# A/B end-to-end throughput: two builds of the daemon, alternated in one run
# on the same machine (shared machines are noisy: compare the ratio).
# Usage: scripts/bench-ab.sh OLD_BIN_DIR NEW_BIN_DIR [ROUNDS] [SAMPLES]
#   e.g. git worktree add /tmp/before <rev> && (cd /tmp/before && go build -o /tmp/a/ ./cmd/...)
#        go build -o /tmp/b/ ./cmd/... && scripts/bench-ab.sh /tmp/a /tmp/b 3 100000
# Prints each run's events/s (streaming and non-streaming) and the medians
# with the new/old ratio.
set -euo pipefail
old=$1 new=$2 rounds=${3:-3} samples=${4:-100000}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
declare -A runs
for r in $(seq "$rounds"); do
  for side in old new; do
    dir=${!side}
    for mode in streaming nonstreaming; do
      flag=""; [ "$mode" = nonstreaming ] && flag=--no-streaming
      line=$("$py" "$here/e2e_pub.py" --aggregator "$dir/aggregator" --samples "$samples" $flag)
      eps=$("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["end_to_end_events_per_s"])' "$line")
      echo "round $r $side $mode events/s $eps"
      runs[$side.$mode]+="$eps "
    done
  done
done
for mode in streaming nonstreaming; do
  "$py" - "${runs[old.$mode]}" "${runs[new.$mode]}" "$mode" <<'PY'
import statistics, sys
old = [float(x) for x in sys.argv[1].split()]
new = [float(x) for x in sys.argv[2].split()]
mo, mn = statistics.median(old), statistics.median(new)
print(f"{sys.argv[3]}: median events/s old {mo:,.0f} new {mn:,.0f} new/old {mn/mo:.3f}")
PY
done
