package tokenize

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/tokoracle"
)

// The oracle is the official Rust library through its Node binding,
// installed under scripts/tokenizer-oracle (tests skip without it).

func oracleModules(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "tokenizer-oracle", "node_modules")
	if _, err := os.Stat(filepath.Join(dir, "tokenizers")); err != nil {
		t.Skip("oracle not installed (scripts/tokenizer-oracle/node_modules/tokenizers)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found")
	}
	return dir
}

// realModels are the tokenizer files installed with the oracle, and the
// demo tokenizer committed in the repository (internal/demotok).
var realModels = []string{"deepseek_v3", "llama3", "llama3_1", "qwen3", "gptoss", "llama2", "gemma3", "demo"}

// modelDir returns the model directory of name (tokoracle.Lookup), skipping
// the test when the oracle or the files are not installed.
func modelDir(t testing.TB, name string) string {
	oracleModules(t)
	m, err := tokoracle.Lookup(name)
	if err != nil {
		t.Skip(err)
	}
	return m.Dir
}

var (
	loadedMu sync.Mutex
	loaded   = map[string]*Tokenizer{}
)

// loadModel loads a real model's tokenizer once per test binary (a load
// takes seconds under -race; a Tokenizer is safe for concurrent use).
func loadModel(t testing.TB, name string) *Tokenizer {
	t.Helper()
	dir := modelDir(t, name)
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if tok, ok := loaded[name]; ok {
		return tok
	}
	tok, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	loaded[name] = tok
	return tok
}

// oracleEncode returns HF's ids for each text (texts are raw bytes).
func oracleEncode(t testing.TB, path string, texts []string) [][]int {
	t.Helper()
	mods := oracleModules(t)
	items := make([]string, len(texts))
	for i, s := range texts {
		items[i] = base64.StdEncoding.EncodeToString([]byte(s))
	}
	req, _ := json.Marshal(map[string]any{"path": path, "items": items})
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("node", filepath.Join(filepath.Dir(file), "testdata", "oracle.js"))
	cmd.Env = append(os.Environ(), "ORACLE_NODE_MODULES="+mods)
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, stderr.String())
	}
	var ids [][]int
	if err := json.Unmarshal(out, &ids); err != nil {
		t.Fatalf("oracle output: %v", err)
	}
	return ids
}

// writeTokenizerJSON writes a synthetic tokenizer.json for unit tests.
func writeTokenizerJSON(t testing.TB, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
