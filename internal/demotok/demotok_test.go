package demotok

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/chattmpl"
	"github.com/mlperf-tools/aggregator/pkg/tokenize"
)

// maxTotal is the size budget of the embedded files (issue 12: at most 2 MB).
const maxTotal = 2 << 20

// TestEmbeddedFiles: the embedded files are the committed model directory,
// within the size budget.
func TestEmbeddedFiles(t *testing.T) {
	total := 0
	for _, name := range Files {
		b, err := fs.ReadFile(FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		disk, err := os.ReadFile(filepath.Join("model", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, disk) {
			t.Errorf("%s: embedded bytes differ from model/%s", name, name)
		}
		total += len(b)
		t.Logf("%s: %d bytes", name, len(b))
	}
	if total > maxTotal {
		t.Errorf("embedded files total %d bytes, budget %d", total, maxTotal)
	}
	entries, err := fs.ReadDir(FS(), ".")
	if err != nil || len(entries) != len(Files) {
		t.Errorf("FS holds %d entries (%v), want %v", len(entries), err, Files)
	}
}

// TestWriteDirLoads: a written directory is a model directory like any
// other: pkg/tokenize loads it (identity = the SHA-256 of tokenizer.json,
// as for every tokenizer) and pkg/chattmpl compiles its template and
// measures its baseline.
func TestWriteDirLoads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "demo")
	if err := WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := verify(dir); err != nil {
		t.Fatal(err)
	}
	assertNoTemp(t, dir)
	tok, err := tokenize.LoadDir(dir)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	sum := sha256.Sum256(file("tokenizer.json"))
	if want := "sha256:" + hex.EncodeToString(sum[:]); tok.Identity() != want {
		t.Errorf("identity %s, want %s", tok.Identity(), want)
	}
	if tok.Config().ChatTemplate == "" || tok.Config().EOSToken == nil || tok.Config().BOSToken == nil {
		t.Errorf("tokenizer_config.json: template %d bytes, bos %v, eos %v", len(tok.Config().ChatTemplate), tok.Config().BOSToken, tok.Config().EOSToken)
	}
	c, err := chattmpl.NewCounter(tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Baseline(); err != nil {
		t.Errorf("baseline render: %v", err)
	}
}

// TestWriteDirConcurrent: writers racing on one directory and readers
// reading it meanwhile only ever see complete files, and no temporary file
// is left behind.
func TestWriteDirConcurrent(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for k := 0; k < 5; k++ {
				if err := WriteDir(dir); err != nil {
					errs <- err
				}
			}
		}()
		go func() {
			defer wg.Done()
			for k := 0; k < 10; k++ {
				if err := verify(dir); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assertNoTemp(t, dir)
}

// TestCacheDir: concurrent first uses agree on one content-addressed
// directory under the user cache dir and leave no staging directory; a
// later call reuses it; a damaged copy is repaired; no cache dir is an
// error.
func TestCacheDir(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	want := filepath.Join(cache, "aggregator", "demotok-"+ID())
	var wg sync.WaitGroup
	dirs := make([]string, 8)
	errs := make([]error, len(dirs))
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = CacheDir()
		}()
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil || dirs[i] != want {
			t.Fatalf("CacheDir #%d = %q, %v; want %q", i, dirs[i], errs[i], want)
		}
	}
	if err := verify(want); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(cache, "aggregator"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("cache parent holds %v (%v), want only demotok-%s", entries, err, ID())
	}
	assertNoTemp(t, want)

	// Damaged: one file edited, the other removed.
	if err := os.WriteFile(filepath.Join(want, "tokenizer.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(want, "tokenizer_config.json")); err != nil {
		t.Fatal(err)
	}
	if dir, err := CacheDir(); err != nil || dir != want {
		t.Fatalf("CacheDir after damage = %q, %v", dir, err)
	}
	if err := verify(want); err != nil {
		t.Fatalf("not repaired: %v", err)
	}

	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	if dir, err := CacheDir(); err == nil {
		t.Errorf("CacheDir without a cache dir = %q, want an error", dir)
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(Files) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %v, want exactly %v", dir, names, Files)
	}
}
