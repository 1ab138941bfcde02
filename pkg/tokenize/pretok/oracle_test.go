package pretok

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

const oracleDir = "../../../scripts/tokenizer-oracle/node_modules/tokenizers"

// oracleJS splits each text with each pattern using the HF library's Split
// pre-tokenizer (behavior Isolated) and prints the pieces.
const oracleJS = `
const t = require(process.argv[2]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.patterns.map(pat => {
  const j = {version: "1.0", truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: {type: "Split", pattern: {Regex: pat}, behavior: "Isolated", invert: false},
    post_processor: null, decoder: null,
    model: {type: "WordLevel", vocab: {"[UNK]": 0}, unk_token: "[UNK]"}};
  const p = t.Tokenizer.fromString(JSON.stringify(j)).getPreTokenizer();
  return input.texts.map(s => p.preTokenizeString(s).map(x => x[0]));
});
process.stdout.write(JSON.stringify(out));
`

// TestScannerVsHF compares the scanners with the real HF library (the npm
// tokenizers binding) when node and the oracle are installed.
func TestScannerVsHF(t *testing.T) {
	tokoracle.Differential(t)
	if testing.Short() {
		t.Skip("slow")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	dir, err := filepath.Abs(oracleDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skip("tokenizer oracle not installed")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	texts := []string{benchAnswer}
	const nTexts = 20000
	for len(texts) < nTexts {
		if s := randomText(rng, true); utf8.ValidString(s) {
			texts = append(texts, s)
		}
	}
	patterns := scannedPatterns()
	in, _ := json.Marshal(map[string]any{"patterns": patterns, "texts": texts})
	script := filepath.Join(t.TempDir(), "oracle.js")
	if err := os.WriteFile(script, []byte(oracleJS), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, dir)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	outJSON, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	var want [][][]string
	if err := json.Unmarshal(outJSON, &want); err != nil {
		t.Fatal(err)
	}
	for i, p := range patterns {
		m, _ := Compile(p)
		bad := 0
		for j, s := range texts {
			got := splitIsolated(t, m, s)
			if !equalStrings(got, want[i][j]) {
				if bad++; bad <= 3 {
					t.Errorf("pattern %q\ntext %+q\nscanner %+q\nHF      %+q", p, s, got, want[i][j])
				}
			}
		}
		if bad == 0 {
			t.Logf("%q: %d texts equal to HF", p, len(texts))
		}
	}
}

// splitIsolated returns the pieces of HF's Split with behavior Isolated:
// the matches and the non-empty gaps between them, in order.
func splitIsolated(t *testing.T, m Matcher, s string) []string {
	ms, err := m.AppendMatches(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	prev := 0
	for i := 0; i < len(ms); i += 2 {
		if ms[i] > prev {
			out = append(out, s[prev:ms[i]])
		}
		if ms[i+1] > ms[i] {
			out = append(out, s[ms[i]:ms[i+1]])
		}
		prev = ms[i+1]
	}
	if prev < len(s) {
		out = append(out, s[prev:])
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
