package hfhub

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDefaultCacheDirPrecedence: HF_HUB_CACHE > HUGGINGFACE_HUB_CACHE >
// HF_HOME/hub > XDG_CACHE_HOME/huggingface/hub > ~/.cache/huggingface/hub.
func TestDefaultCacheDirPrecedence(t *testing.T) {
	isolateEnv(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("HF_HOME", "")

	if got, want := DefaultCacheDir(), filepath.Join(home, ".cache", "huggingface", "hub"); got != want {
		t.Errorf("no env: %q, want %q", got, want)
	}
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if got, want := DefaultCacheDir(), "/xdg/huggingface/hub"; got != want {
		t.Errorf("XDG_CACHE_HOME: %q, want %q", got, want)
	}
	t.Setenv("HF_HOME", "~/hfhome")
	if got, want := DefaultCacheDir(), filepath.Join(home, "hfhome", "hub"); got != want {
		t.Errorf("HF_HOME with ~: %q, want %q", got, want)
	}
	t.Setenv("HUGGINGFACE_HUB_CACHE", "/legacy")
	if got, want := DefaultCacheDir(), "/legacy"; got != want {
		t.Errorf("HUGGINGFACE_HUB_CACHE: %q, want %q", got, want)
	}
	t.Setenv("HF_HUB_CACHE", "/hubcache")
	if got, want := DefaultCacheDir(), "/hubcache"; got != want {
		t.Errorf("HF_HUB_CACHE: %q, want %q", got, want)
	}
}

// TestTokenFromEnvAndFile: HF_TOKEN > HUGGING_FACE_HUB_TOKEN > token file
// ($HF_TOKEN_PATH, else $HF_HOME/token), cleaned like huggingface_hub.
func TestTokenFromEnvAndFile(t *testing.T) {
	home := isolateEnv(t)
	if got := envToken(); got != "" {
		t.Errorf("no token anywhere: %q", got)
	}
	if err := os.WriteFile(filepath.Join(home, "token"), []byte("hf_file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := envToken(); got != "hf_file" {
		t.Errorf("token file: %q, want hf_file", got)
	}
	other := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(other, []byte(" hf_path\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HF_TOKEN_PATH", other)
	if got := envToken(); got != "hf_path" {
		t.Errorf("HF_TOKEN_PATH: %q, want hf_path", got)
	}
	t.Setenv("HUGGING_FACE_HUB_TOKEN", "hf_legacy")
	if got := envToken(); got != "hf_legacy" {
		t.Errorf("HUGGING_FACE_HUB_TOKEN: %q", got)
	}
	t.Setenv("HF_TOKEN", "hf_env\n")
	if got := envToken(); got != "hf_env" {
		t.Errorf("HF_TOKEN: %q", got)
	}
}

func TestEnvTrue(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "ON": true, "yes": true, "True": true, "0": false, "": false, "off": false} {
		t.Setenv("HF_HUB_OFFLINE", v)
		if got := envTrue("HF_HUB_OFFLINE"); got != want {
			t.Errorf("HF_HUB_OFFLINE=%q: %v, want %v", v, got, want)
		}
	}
}

// TestCacheWritesLayout: refs (nested for "/" revisions, none for a commit
// revision), relative symlinks at any depth, .no_exist markers, and no
// temporary file left behind.
func TestCacheWritesLayout(t *testing.T) {
	c := repoCache{root: filepath.Join(t.TempDir(), "models--org--m")}
	if err := c.storeBlob("abc", func(w io.Writer) error { _, err := io.WriteString(w, "data"); return err }); err != nil {
		t.Fatal(err)
	}
	if err := c.link(commitA, "tokenizer.json", "abc"); err != nil {
		t.Fatal(err)
	}
	if err := c.link(commitA, "sub/dir/x.json", "abc"); err != nil {
		t.Fatal(err)
	}
	// Relinking replaces the link atomically.
	if err := c.link(commitA, "tokenizer.json", "abc"); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []struct{ rev, commit string }{{"main", commitA}, {"refs/pr/1", commitB}, {commitB, commitB}} {
		if err := c.writeRef(ref.rev, ref.commit); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.markNoExist(commitA, "tokenizer_config.json"); err != nil {
		t.Fatal(err)
	}
	got := tree(t, c.root)
	want := map[string]string{
		"blobs":                             "dir",
		"blobs/abc":                         "file 4",
		"snapshots":                         "dir",
		"snapshots/" + commitA:              "dir",
		"snapshots/" + commitA + "/sub":     "dir",
		"snapshots/" + commitA + "/sub/dir": "dir",
		"snapshots/" + commitA + "/tokenizer.json": "link -> ../../blobs/abc",
		"snapshots/" + commitA + "/sub/dir/x.json": "link -> ../../../../blobs/abc",
		"refs":                 "dir",
		"refs/main":            "file 40",
		"refs/refs":            "dir",
		"refs/refs/pr":         "dir",
		"refs/refs/pr/1":       "file 40",
		".no_exist":            "dir",
		".no_exist/" + commitA: "dir",
		".no_exist/" + commitA + "/tokenizer_config.json": "file 0",
	}
	for _, k := range sortedKeys(got) {
		if got[k] != want[k] {
			t.Errorf("%s: %q, want %q", k, got[k], want[k])
		}
	}
	for _, k := range sortedKeys(want) {
		if _, ok := got[k]; !ok {
			t.Errorf("%s missing", k)
		}
	}
	if s := mustRead(t, c.refPath("main")); s != commitA {
		t.Errorf("refs/main = %q, want %q (no newline, as huggingface_hub writes it)", s, commitA)
	}
	if s := mustRead(t, filepath.Join(c.snapshotDir(commitA), "sub", "dir", "x.json")); s != "data" {
		t.Errorf("nested link reads %q", s)
	}
	commit, ok, err := c.commitFor("main")
	if err != nil || !ok || commit != commitA {
		t.Errorf("commitFor(main) = %q, %v, %v", commit, ok, err)
	}
	if st := c.state(commitA, "tokenizer_config.json"); st != fileNotExist {
		t.Errorf("state of marked file = %v", st)
	}
	if st := c.state(commitA, "tokenizer.json"); st != filePresent {
		t.Errorf("state of linked file = %v", st)
	}
	if st := c.state(commitA, "nope.json"); st != fileUnknown {
		t.Errorf("state of unknown file = %v", st)
	}
}

func TestCommitForRejectsCorruptRef(t *testing.T) {
	c := repoCache{root: t.TempDir()}
	if err := os.MkdirAll(filepath.Join(c.root, "refs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.refPath("main"), []byte("../../../etc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.commitFor("main"); err == nil || !strings.Contains(err.Error(), "corrupt cache ref") {
		t.Errorf("commitFor with an escaping ref: %v", err)
	}
}

// TestDanglingLinkIsNotPresent: a snapshot symlink whose blob is gone counts
// as missing, so it is downloaded again rather than failing at load.
func TestDanglingLinkIsNotPresent(t *testing.T) {
	c := repoCache{root: t.TempDir()}
	if err := c.storeBlob("abc", func(w io.Writer) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := c.link(commitA, "tokenizer.json", "abc"); err != nil {
		t.Fatal(err)
	}
	os.Remove(c.blobPath("abc"))
	if st := c.state(commitA, "tokenizer.json"); st != fileUnknown {
		t.Errorf("dangling link state = %v, want unknown", st)
	}
}
