package tokenize

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
)

// BenchmarkCountComponents: single-goroutine tokens/s and allocations of
// the normalizers and pre-tokenizers that decide per character with the
// library's tables (\w and \s, punctuation, scripts, Bert's classes,
// grapheme clusters), on the hard corpus's non-English texts (CJK, RTL,
// Indic, Thai, emoji, combining marks, Unicode edge cases).
//
//	go test -run '^$' -bench CountComponents -benchmem -cpu 1 ./pkg/tokenize/
func BenchmarkCountComponents(b *testing.B) {
	var texts []string
	for _, c := range tokcorpus.Small(tokcorpus.DefaultSeed) {
		switch c.Category {
		case "cjk", "rtl-indic-thai", "emoji", "combining", "unicode-edge", "class-boundary":
			texts = append(texts, c.Text)
		}
	}
	bert := map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true}
	variants := []struct {
		name string
		o    synthOpts
	}{
		{"whitespace", synthOpts{preTokenizer: map[string]any{"type": "Whitespace"}}},
		{"whitespacesplit", synthOpts{preTokenizer: map[string]any{"type": "WhitespaceSplit"}}},
		{"bert", synthOpts{normalizer: bert, preTokenizer: map[string]any{"type": "BertPreTokenizer"}}},
		{"digits_scripts", synthOpts{preTokenizer: map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Digits", "individual_digits": true}, map[string]any{"type": "UnicodeScripts"}}}}},
		{"precompiled", synthOpts{normalizer: map[string]any{"type": "Precompiled", "precompiled_charsmap": base64.StdEncoding.EncodeToString(nmtNFKC(b))},
			preTokenizer: map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}}},
	}
	for _, v := range variants {
		v.o.byteFallback = true
		tok, err := Parse(must(json.Marshal(synthJSON(v.o))))
		if err != nil {
			b.Fatal(err)
		}
		benchCounts(b, v.name, func(*testing.B) *Tokenizer { return tok }, texts)
	}
}
