#!/usr/bin/env bash
# Regenerates testdata/tokenize/expected/<model>.json (text hash -> token
# count) from the live oracle (Hugging Face tokenizers via Node) for the
# parity corpus of internal/tokcorpus. Run after changing the corpus, the
# oracle version or a tokenizer file; commit the result.
#   scripts/tokenizer-oracle/regen-expected.sh [-model NAME]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
scripts/install-deps.sh >/dev/null || true
exec go run ./internal/tokoracle/cmd/regen-expected "$@"
