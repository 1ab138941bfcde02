#!/usr/bin/env bash
# What does a Prometheus scrape cost the daemon? End-to-end events/s of the
# daemon (scripts/e2e_pub.py: a python3-zmq publisher over real IPC, first
# send -> daemon exit) with --prometheus-addr on every run, without and with
# Debian's prometheus scraping it every 100 ms (the shipped config and
# recording rules of deploy/prometheus, intervals set to 100 ms), in
# alternating order in one invocation; then the median of each and their
# ratio. Between "with" runs the server is stopped with SIGSTOP, so a
# "without" run has no scraper and no server using CPU.
#
# Usage: scripts/bench-scrape.sh [SAMPLES] [PAIRS] [SCRAPE_INTERVAL]
#   SAMPLES          streamed samples per run (11 events each; default 500000)
#   PAIRS            with/without pairs (default 3)
#   SCRAPE_INTERVAL  Prometheus scrape and rule interval (default 100ms)
set -euo pipefail
# go.mod needs Go 1.27: use the approved toolchain unless one is chosen.
[ "${GOTOOLCHAIN:-local}" != local ] || export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."
go build -o bin/ ./cmd/aggregator
samples=${1:-500000}
pairs=${2:-3}
interval=${3:-100ms}
command -v prometheus >/dev/null || { echo "bench-scrape: Debian's prometheus not installed (scripts/install-deps.sh)" >&2; exit 1; }
work=$(mktemp -d /tmp/benchscrape.XXXX)
prom_pid=
cleanup() {
  if [ -n "$prom_pid" ]; then kill -CONT "$prom_pid" 2>/dev/null || true; kill "$prom_pid" 2>/dev/null || true; wait "$prom_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
daemon_port=$(free_port)
prom_port=$(free_port)

# The shipped config and rules, intervals shortened, one target: the
# daemon's endpoint (every run uses the same port).
mkdir -p "$work/prom/runs"
cp deploy/prometheus/aggregator.rules.yml "$work/prom/"
sed -E "s/^(  (scrape_interval|scrape_timeout|evaluation_interval):).*/\1 $interval/" deploy/prometheus/prometheus.yml >"$work/prom/prometheus.yml"
grep -c "$interval" "$work/prom/prometheus.yml" | grep -qx 3 || { echo "bench-scrape: could not set the intervals" >&2; exit 1; }
printf -- "- targets: ['127.0.0.1:%s']\n  labels:\n    run: bench\n" "$daemon_port" >"$work/prom/runs/bench.yml"
prometheus --config.file="$work/prom/prometheus.yml" --storage.tsdb.path="$work/prom/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=error >"$work/prom.log" 2>&1 &
prom_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$prom_port/-/ready" >/dev/null || { cat "$work/prom.log" >&2; exit 1; }
kill -STOP "$prom_pid"

rate() { # prints end_to_end_events_per_s events end_to_end_s
  /usr/bin/python3 scripts/e2e_pub.py --aggregator bin/aggregator --samples "$samples" --chunks 8 \
    -- --prometheus-addr "127.0.0.1:$daemon_port" >"$work/e2e.json"
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["lossless"] and d["exit"]==0, d; print(d["end_to_end_events_per_s"], d["events"], d["end_to_end_s"])' "$work/e2e.json"
}

# scrapes S: successful scrapes of the daemon in the last S seconds.
scrapes() {
  curl -sf "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=count_over_time(aggregator_uptime_seconds{run=\"bench\"}[${1}s])" |
    /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)'
}

echo "bench-scrape: $samples streamed samples/run, scrape every $interval, $pairs pairs" >&2
without=() with=()
n=0
for p in $(seq 1 "$pairs"); do
  # Alternate the order within pairs: without-with, then with-without.
  if [ $((p % 2)) -eq 1 ]; then order="without with"; else order="with without"; fi
  for kind in $order; do
    n=$((n + 1))
    if [ "$kind" = with ]; then kill -CONT "$prom_pid"; sleep 0.5; fi
    read -r r ev s <<<"$(rate)"
    note=""
    if [ "$kind" = with ]; then
      sleep 0.3 # the last scrapes land
      note=$(printf ', "scrapes": %s' "$(scrapes "$(/usr/bin/python3 -c "import math; print(math.ceil($s))")")")
      kill -STOP "$prom_pid"
      with+=("$r")
    else
      without+=("$r")
    fi
    printf '{"run": %d, "scraped": %s, "events": %d, "end_to_end_s": %s, "end_to_end_events_per_s": %d%s}\n' \
      "$n" "$([ "$kind" = with ] && echo true || echo false)" "$ev" "$s" "$r" "$note"
  done
done
/usr/bin/python3 - "${without[*]}" "${with[*]}" "$interval" <<'PY'
import json, statistics, sys
wo = [int(x) for x in sys.argv[1].split()]
wi = [int(x) for x in sys.argv[2].split()]
mw, mi = statistics.median(wo), statistics.median(wi)
print(json.dumps({"scrape_interval": sys.argv[3],
                  "median_events_per_s_without": round(mw), "median_events_per_s_with": round(mi),
                  "ratio_with_over_without": round(mi / mw, 3)}))
PY
