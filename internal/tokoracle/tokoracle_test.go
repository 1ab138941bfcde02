package tokoracle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/tokcorpus"
)

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.Contains(string(b), "module github.com/mlperf-tools/aggregator") {
		t.Fatalf("RepoRoot = %s, go.mod: %v", root, err)
	}
}

// TestSpecialTokensMatchFiles checks that the special-token strings embedded
// in the corpus are real added tokens of the installed tokenizer files.
func TestSpecialTokensMatchFiles(t *testing.T) {
	models := Models()
	if len(models) == 0 {
		t.Skip("no tokenizer files installed (run scripts/install-deps.sh)")
	}
	for _, m := range models {
		name := m.Name
		if name == "llama3_1" {
			name = "llama3"
		}
		want := tokcorpus.SpecialTokens[name]
		if len(want) == 0 {
			t.Errorf("%s: corpus has no special tokens for it", m.Name)
			continue
		}
		b, err := os.ReadFile(m.JSON())
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			AddedTokens []struct{ Content string } `json:"added_tokens"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		have := map[string]bool{}
		for _, a := range f.AddedTokens {
			have[a.Content] = true
		}
		for _, s := range want {
			if !have[s] {
				t.Errorf("%s: %q is not an added token", m.Name, s)
			}
		}
	}
}

func requireOracle(t *testing.T) Model {
	t.Helper()
	if err := Available(); err != nil {
		t.Skip(err)
	}
	m, err := Lookup("llama3")
	if err != nil {
		t.Skip(err)
	}
	return m
}

func TestEncodeKnownIDs(t *testing.T) {
	m := requireOracle(t)
	texts := []string{"Hello world", "<|begin_of_text|>", "", "<|begin_of", "   "}
	got, err := Encode(m.JSON(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(texts) {
		t.Fatalf("%d results for %d texts", len(got), len(texts))
	}
	// Llama-3 ids: "Hello"=9906, " world"=1917, <|begin_of_text|>=128000.
	if !reflect.DeepEqual(got[0], []int{9906, 1917}) {
		t.Errorf("Hello world = %v, want [9906 1917]", got[0])
	}
	if !reflect.DeepEqual(got[1], []int{128000}) {
		t.Errorf("<|begin_of_text|> = %v, want [128000] (added token, add_special_tokens=false)", got[1])
	}
	if len(got[2]) != 0 {
		t.Errorf("empty text = %v, want no tokens", got[2])
	}
	if len(got[3]) < 2 {
		t.Errorf("partial special token = %v, want several tokens", got[3])
	}
	counts, err := Counts(m.JSON(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range texts {
		if counts[i] != len(got[i]) {
			t.Errorf("text %d: Counts %d, Encode %d ids", i, counts[i], len(got[i]))
		}
	}
}

func TestEncodeLargeAndOrder(t *testing.T) {
	m := requireOracle(t)
	big := strings.Repeat("token counting ", 70_000) // ~1 MB
	texts := []string{"a", big, "b b", big[:1000]}
	counts, err := Counts(m.JSON(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if counts[0] != 1 || counts[2] != 2 || counts[1] < 100_000 || counts[3] < 100 {
		t.Errorf("counts = %v", counts)
	}
}

func TestEncodeRejectsInvalidUTF8(t *testing.T) {
	if _, err := Counts("unused.json", []string{"ok", "\xff"}); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("err = %v, want invalid UTF-8", err)
	}
}

func TestEncodeBadTokenizerFile(t *testing.T) {
	requireOracle(t)
	_, err := Counts(filepath.Join(t.TempDir(), "missing.json"), []string{"x"})
	if err == nil {
		t.Fatal("no error for a missing tokenizer file")
	}
}

func TestBenchSingleThreaded(t *testing.T) {
	m := requireOracle(t)
	texts := tokcorpus.Answers4k(2)
	b, err := StartBench(m.JSON(), texts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Counts(m.JSON(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.Counts, want) {
		t.Errorf("bench counts %v, Counts %v", b.Counts, want)
	}
	for i := 0; i < 2; i++ {
		r, err := b.Round()
		if err != nil {
			t.Fatal(err)
		}
		if r.Tokens != want[0]+want[1] || r.WallNS <= 0 || r.TokensPerSec() <= 0 {
			t.Errorf("round %d = %+v", i, r)
		}
		// Single thread: CPU time cannot exceed wall time by much.
		if float64(r.CPUNS) > 1.3*float64(r.WallNS) {
			t.Errorf("round %d: cpu %d ns > wall %d ns: oracle not single-threaded", i, r.CPUNS, r.WallNS)
		}
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
}
