#!/usr/bin/env bash
# Does `aggregator watch` slow the daemon? End-to-end events/s of the daemon
# (scripts/e2e_pub.py: a python3-zmq publisher over real IPC, first send ->
# daemon exit) without and with a watcher attached to its snapshot socket,
# alternating (without, with, with, without, ...) in one invocation, then the
# median of each and their ratio.
#
# Usage: scripts/bench-watch.sh [SAMPLES] [PAIRS] [PUBLISH_INTERVAL]
#   SAMPLES           streamed samples per run (11 events each; default 200000)
#   PAIRS             with/without pairs (default 3)
#   PUBLISH_INTERVAL  the daemon's --publish-interval, seconds (default 0.05:
#                     20 snapshots/s, 5x the benchmark's default rate)
#   WATCH_MODE=tty|plain  tty (default when tmux is installed): the watcher
#                     runs in a 120x40 tmux pane and redraws the full view;
#                     plain: `watch --plain --interval 0`, one line per
#                     snapshot, to a file.
#
# The watcher is started by a wrapper that e2e_pub.py launches as the
# "aggregator": it reads the daemon's --socket-dir/--metrics-socket from the
# argument list, starts `aggregator watch` on them (it waits for the socket),
# then execs the daemon. Each "with" run checks that the watcher showed the
# final snapshot.
set -euo pipefail
# go.mod needs Go 1.27: use the approved toolchain unless one is chosen.
[ "${GOTOOLCHAIN:-local}" != local ] || export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."
go build -o bin/ ./cmd/aggregator
samples=${1:-200000}
pairs=${2:-3}
interval=${3:-0.05}
mode=${WATCH_MODE:-}
if [ -z "$mode" ]; then
  if command -v tmux >/dev/null; then mode=tty; else mode=plain; fi
fi
agg=$(pwd)/bin/aggregator
work=$(mktemp -d /tmp/benchwatch.XXXX)
tsock=$work/tmux.sock
cleanup() {
  [ "$mode" = tty ] && tmux -S "$tsock" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
printf 'set -g remain-on-exit on\nset -g status off\n' >"$work/tmux.conf"

# The wrapper: start a watcher on the daemon's snapshot socket, exec the daemon.
cat >"$work/with-watch" <<EOF
#!/usr/bin/env bash
dir= met= prev=
for a in "\$@"; do
  case \$prev in --socket-dir) dir=\$a ;; --metrics-socket) met=\$a ;; esac
  prev=\$a
done
n=\$(cat "$work/run")
if [ "$mode" = tty ]; then
  tmux -f "$work/tmux.conf" -S "$tsock" new-session -d -s "r\$n" -x 120 -y 40 \\
    "$agg" watch --socket-dir "\$dir" --metrics-socket "\$met"
else
  "$agg" watch --socket-dir "\$dir" --metrics-socket "\$met" --plain --interval 0 \\
    >"$work/watch.\$n.out" 2>"$work/watch.\$n.err" &
fi
exec "$agg" "\$@"
EOF
chmod +x "$work/with-watch"

rate() { # $1 = aggregator binary; prints end_to_end_events_per_s
  /usr/bin/python3 scripts/e2e_pub.py --aggregator "$1" --samples "$samples" --chunks 8 \
    -- --publish-interval "$interval" >"$work/e2e.json"
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["lossless"] and d["exit"]==0, d; print(d["end_to_end_events_per_s"], d["events"], d["end_to_end_s"])' "$work/e2e.json"
}

# watched N: did run N's watcher show the final snapshot? Prints how many
# snapshots it rendered where it can tell (plain mode).
watched() {
  local n=$1 i
  for i in $(seq 1 50); do
    if [ "$mode" = tty ]; then
      if tmux -S "$tsock" capture-pane -p -S - -t "r$n" 2>/dev/null | grep -q 'state complete (final)'; then
        echo "final view shown"; return 0
      fi
    elif grep -q '^state=complete' "$work/watch.$n.out" 2>/dev/null; then
      echo "$(grep -c '^state=' "$work/watch.$n.out") snapshot lines"; return 0
    fi
    sleep 0.1
  done
  echo "watcher $n never showed the final snapshot" >&2
  return 1
}

echo "bench-watch: $samples streamed samples/run, --publish-interval $interval, watcher mode $mode, $pairs pairs" >&2
without=() with=()
n=0
for p in $(seq 1 "$pairs"); do
  # Alternate the order within pairs: without-with, then with-without.
  if [ $((p % 2)) -eq 1 ]; then order="without with"; else order="with without"; fi
  for kind in $order; do
    n=$((n + 1))
    echo "$n" >"$work/run"
    if [ "$kind" = with ]; then
      out=$(rate "$work/with-watch")
      note=$(watched "$n")
    else
      out=$(rate "$agg")
      note=""
    fi
    read -r r ev s <<<"$out"
    printf '{"run": %d, "watcher": %s, "events": %d, "end_to_end_s": %s, "end_to_end_events_per_s": %d%s}\n' \
      "$n" "$([ "$kind" = with ] && echo true || echo false)" "$ev" "$s" "$r" \
      "$([ -n "$note" ] && printf ', "watcher_saw": "%s"' "$note")"
    if [ "$kind" = with ]; then with+=("$r"); else without+=("$r"); fi
  done
done
/usr/bin/python3 - "${without[*]}" "${with[*]}" "$interval" "$mode" <<'PY'
import json, statistics, sys
wo = [int(x) for x in sys.argv[1].split()]
wi = [int(x) for x in sys.argv[2].split()]
mw, mi = statistics.median(wo), statistics.median(wi)
print(json.dumps({"publish_interval_s": float(sys.argv[3]), "watcher_mode": sys.argv[4],
                  "median_events_per_s_without": round(mw), "median_events_per_s_with": round(mi),
                  "ratio_with_over_without": round(mi / mw, 3)}))
PY
