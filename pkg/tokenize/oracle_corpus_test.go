package tokenize

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// TestParityOracleCorpus compares token ids with the HF library on every
// installed real tokenizer over this package's own corpus (parityCorpus:
// each tokenizer's added tokens inside text, class-boundary random strings,
// invalid UTF-8), with both a cached and an uncached Counter.
func TestParityOracleCorpus(t *testing.T) {
	tokoracle.Differential(t)
	for _, name := range realModels {
		t.Run(name, func(t *testing.T) {
			dir := modelDir(t, name)
			tok := loadModel(t, name)
			texts := parityCorpus(tok, 1)
			want := oracleEncode(t, filepath.Join(dir, "tokenizer.json"), texts)
			c := tok.NewCounterNoCache()
			bad := 0
			for i, s := range texts {
				if got := tok.Encode(s); !slices.Equal(got, want[i]) {
					if bad++; bad <= 5 {
						t.Errorf("text %d %q:\n got %v\nwant %v", i, clip([]byte(s)), got, want[i])
					}
				}
				if n := c.Count(s); n != len(want[i]) {
					t.Errorf("text %d: uncached count %d, want %d", i, n, len(want[i]))
				}
			}
			t.Logf("%s: %d/%d texts identical", name, len(texts)-bad, len(texts))
		})
	}
}
