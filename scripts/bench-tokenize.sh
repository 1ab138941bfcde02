#!/usr/bin/env bash
# Single-thread tokens/s of pkg/tokenize vs the Hugging Face tokenizers
# library (Rust, single thread via node), interleaved in one run on the same
# ~4k-token answers, per model; word cache on and off; 1 -> 2 goroutines;
# load time and live heap. Needs the oracle (scripts/install-deps.sh).
# Besides the real files, it builds one tokenizer per other model type:
# wordpiece, wordlevel, unigram (trained by the HF library) and
# tiktoken_cl100k (npm tiktoken's rank file; HF runs the equivalent
# tokenizer.json that transformers' TikTokenConverter builds).
#   scripts/bench-tokenize.sh [-models deepseek_v3,llama3,llama2,qwen3,gptoss,demo,wordpiece,wordlevel,unigram,tiktoken_cl100k] [-texts 16] [-rounds 5]
set -euo pipefail
# go.mod needs Go 1.27: use the approved toolchain unless one is chosen.
[ "${GOTOOLCHAIN:-local}" != local ] || export GOTOOLCHAIN=go1.27.3
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh >/dev/null || true
go build -o "${TMPDIR:-/tmp}/bench-tokenize" ./scripts/bench-tokenize
exec "${TMPDIR:-/tmp}/bench-tokenize" "$@"
