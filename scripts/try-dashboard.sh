#!/usr/bin/env bash
# Try the dashboards: Debian's prometheus with the shipped config and
# recording rules (deploy/prometheus) on 127.0.0.1:${PROM_PORT:-9090}, and a
# paced streaming run of the daemon serving --prometheus-addr :9464 (the
# target of deploy/prometheus/runs/local.yml, run "local"): upstream's
# streaming golden played by a real libzmq publisher
# (cmd/aggregator/testdata/launcher.py), RUNS times (default 1, ~35 s each).
# Prometheus keeps running afterwards until Ctrl-C, so the run stays on the
# graphs; point Grafana at it (deploy/grafana).
#
# Usage: make build && scripts/try-dashboard.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
port=${PROM_PORT:-9090}
[ -x bin/aggregator ] || { echo "try-dashboard: build first (make build)" >&2; exit 1; }
command -v prometheus >/dev/null || { echo "try-dashboard: Debian's prometheus not installed (scripts/install-deps.sh, or apt-get install prometheus)" >&2; exit 1; }
work=$(mktemp -d /tmp/aggtry.XXXX)
prom_pid=
cleanup() {
  if [ -n "$prom_pid" ]; then kill "$prom_pid" 2>/dev/null || true; wait "$prom_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
prometheus --config.file=deploy/prometheus/prometheus.yml --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$port" --log.level=warn >"$work/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
  kill -0 "$prom_pid" 2>/dev/null || { cat "$work/prometheus.log" >&2; exit 1; }
  sleep 0.1
done
echo "Prometheus: http://127.0.0.1:$port (rules: http://127.0.0.1:$port/rules, targets: http://127.0.0.1:$port/targets)"
echo "QPS graph:  http://127.0.0.1:$port/graph?g0.expr=run:aggregator_samples_completed:rate10s&g0.range_input=5m"
for i in $(seq 1 "$runs"); do
  mkdir -p "$work/s$i" "$work/out$i"
  echo "run $i/$runs: aggregator --streaming --prometheus-addr :9464 (metrics: http://127.0.0.1:9464/metrics) ..."
  /usr/bin/python3 cmd/aggregator/testdata/launcher.py --aggregator bin/aggregator --socket-dir "$work/s$i" \
    --out "$work/out$i" --events testdata/replay/streaming/events.jsonl.gz --batch 10 --pace 0.1 \
    -- --streaming --prometheus-addr :9464 --prometheus-linger 5s --log-level warn >/dev/null
  echo "run $i done: $(bin/aggregator report "$work/out$i/final_snapshot.json" | head -3 | tr '\n' ' ')"
done
echo "Prometheus keeps the runs; Ctrl-C stops it."
wait "$prom_pid"
