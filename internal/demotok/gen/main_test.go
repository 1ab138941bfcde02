package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// TestGeneratedFilesCurrent: the generator, run now, makes exactly the
// committed files (so they are reproducible from the repository, and the
// generator is deterministic: the committed files came from an earlier
// run). It needs the HF library (node, scripts/install-deps.sh), not the
// network. A failure after a change of the corpus, the template, the
// oracle version or the Go toolchain (the corpus uses Go's Unicode tables)
// means: run `go generate ./internal/demotok` and
// scripts/tokenizer-oracle/regen-expected.sh -model demo, and commit.
func TestGeneratedFilesCurrent(t *testing.T) {
	if err := tokoracle.Available(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	if err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "model", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the generator makes %d bytes that differ from the committed %d (first at byte %d); run go generate ./internal/demotok and scripts/tokenizer-oracle/regen-expected.sh -model demo",
				name, len(got), len(want), firstDiff(got, want))
		}
	}
}

// TestTrainingText: the training text is deterministic, valid UTF-8, and
// holds every byte valid UTF-8 can contain (so every text is covered by
// the vocabulary byte by byte).
func TestTrainingText(t *testing.T) {
	a, b := TrainingText(), TrainingText()
	if !bytes.Equal(a, b) {
		t.Fatal("two calls give different texts")
	}
	if !utf8.Valid(a) {
		t.Fatal("not valid UTF-8")
	}
	var seen [256]bool
	for _, c := range a {
		seen[c] = true
	}
	for c := range 256 {
		impossible := c == 0xC0 || c == 0xC1 || c >= 0xF5
		if seen[c] == impossible {
			t.Errorf("byte %#02x: seen %v", c, seen[c])
		}
	}
}

func firstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
