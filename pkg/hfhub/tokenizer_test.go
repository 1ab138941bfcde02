package hfhub

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResolveTokenizerTiktoken: a repository without tokenizer.json but
// with a tiktoken rank file resolves to a snapshot holding the rank file
// and the config; a repository with tokenizer.json never asks for rank
// files; one with neither is an error naming what was looked for; and the
// second resolution is served by the cache alone.
func TestResolveTokenizerTiktoken(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	r := f.addRepo("org/kimi", true)
	delete(r.files, "tokenizer.json")
	r.files["tiktoken.model"] = []byte("IQ== 0\n")
	r.lfs["tiktoken.model"] = true
	f.addRepo("org/plain", true)
	none := f.addRepo("org/none", true)
	delete(none.files, "tokenizer.json")
	cacheDir := t.TempDir()
	o := Options{CacheDir: cacheDir, Endpoint: f.hub.URL}

	dir, err := ResolveTokenizer(context.Background(), "org/kimi", o)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"tiktoken.model", "tokenizer_config.json"} {
		if got := mustRead(t, filepath.Join(dir, n)); got != string(r.files[n]) {
			t.Errorf("%s: %q", n, got)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err == nil {
		t.Error("tokenizer.json in the snapshot")
	}

	f.resetRequests()
	if _, err := ResolveTokenizer(context.Background(), "org/plain", o); err != nil {
		t.Fatal(err)
	}
	hub, _ := f.requests()
	for _, q := range hub {
		if strings.Contains(q.Path, "tiktoken") || strings.Contains(q.Path, "tokenizer.model") {
			t.Errorf("asked for a rank file of a model with tokenizer.json: %s", q.Path)
		}
	}

	if _, err := ResolveTokenizer(context.Background(), "org/none", o); err == nil ||
		!strings.Contains(err.Error(), "no tokenizer.json and no tiktoken rank file (tiktoken.model, tokenizer.model") {
		t.Errorf("model with neither: %v", err)
	}

	f.hub.Close()
	f.cdn.Close()
	again, err := ResolveTokenizer(context.Background(), "org/kimi", o)
	if err != nil || again != dir {
		t.Errorf("from the cache: %q, %v; want %q", again, err, dir)
	}
}
