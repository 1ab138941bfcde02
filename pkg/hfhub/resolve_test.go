package hfhub

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocalDirectory(t *testing.T) {
	isolateEnv(t)
	dir := t.TempDir()
	if _, err := Resolve(context.Background(), dir, nil, Options{}); err == nil || !strings.Contains(err.Error(), "has no tokenizer.json") {
		t.Errorf("empty local dir: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve(context.Background(), filepath.Join(dir, "tokenizer.json"), nil, Options{}); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("path of a file: %v", err)
	}
	got, err := Resolve(context.Background(), dir, nil, Options{})
	if err != nil || got != dir {
		t.Errorf("local dir: %q, %v; want %q as is", got, err, dir)
	}
	// A relative directory wins over a model id of the same spelling, as
	// in transformers.
	t.Chdir(filepath.Dir(dir))
	rel := filepath.Base(dir)
	if got, err := Resolve(context.Background(), rel, nil, Options{}); err != nil || got != rel {
		t.Errorf("relative dir: %q, %v", got, err)
	}
}

// TestCacheHitWithServerStopped: once downloaded, resolution is served by
// the cache alone, online mode included: the hub is down and never asked.
func TestCacheHitWithServerStopped(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	f.addRepo("org/model", true)
	cacheDir := t.TempDir()
	first, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	f.hub.Close()
	f.cdn.Close()
	second, err := Resolve(context.Background(), "org/model", nil, Options{CacheDir: cacheDir, Endpoint: f.hub.URL})
	if err != nil || second != first {
		t.Errorf("second resolution: %q, %v; want %q", second, err, first)
	}
}

// TestOffline: with the cache (HF_HUB_OFFLINE, TRANSFORMERS_OFFLINE or
// Options.Offline) the snapshot is returned without a request; without it
// the error wraps ErrNotCached and says where it looked.
func TestOffline(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	f.addRepo("org/model", true)
	cacheDir := t.TempDir()
	want, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	f.resetRequests()
	for _, env := range []string{"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", ""} {
		t.Run("cached "+env, func(t *testing.T) {
			o := Options{CacheDir: cacheDir, Endpoint: f.hub.URL}
			if env == "" {
				o.Offline = true
			} else {
				t.Setenv(env, "1")
			}
			got, err := Resolve(context.Background(), "org/model", nil, o)
			if err != nil || got != want {
				t.Errorf("%q, %v; want %q", got, err, want)
			}
		})
	}
	// Offline with the optional file neither cached nor known absent: the
	// snapshot is still good.
	os.Remove(filepath.Join(want, "tokenizer_config.json"))
	if got, err := Resolve(context.Background(), "org/model", nil, Options{CacheDir: cacheDir, Offline: true}); err != nil || got != want {
		t.Errorf("offline without the optional file: %q, %v", got, err)
	}
	if hub, cdn := f.requests(); len(hub)+len(cdn) != 0 {
		t.Errorf("offline resolutions made requests: %v %v", hub, cdn)
	}

	root := filepath.Join(cacheDir, "models--org--model")
	cases := []struct {
		name  string
		id    string
		rev   string
		setup func()
		want  []string
	}{
		{"no model folder", "org/other", "", nil, []string{"org/other", filepath.Join(cacheDir, "models--org--other")}},
		{"no such revision", "org/model", "v2", nil, []string{`"v2"`, filepath.Join(root, "refs", "v2"), filepath.Join(root, "snapshots", "v2")}},
		{"ref without snapshot", "org/model", "dev", func() {
			os.WriteFile(filepath.Join(root, "refs", "dev"), []byte(commitB), 0o644)
		}, []string{filepath.Join(root, "refs", "dev"), commitB}},
		{"snapshot without tokenizer.json", "org/model", "", func() {
			os.Remove(filepath.Join(want, "tokenizer.json"))
		}, []string{"tokenizer.json", want}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup()
			}
			t.Setenv("HF_HUB_OFFLINE", "1")
			_, err := Resolve(context.Background(), c.id, nil, Options{CacheDir: cacheDir, Revision: c.rev, Endpoint: f.hub.URL})
			if !errors.Is(err, ErrNotCached) {
				t.Fatalf("err = %v, want ErrNotCached", err)
			}
			for _, w := range append(c.want, "offline") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if hub, cdn := f.requests(); len(hub)+len(cdn) != 0 {
		t.Errorf("offline misses made requests: %v %v", hub, cdn)
	}
}

// TestEnvironment: HF_ENDPOINT and HF_HUB_CACHE are used when Options
// leave them empty; HF_HOME/hub when HF_HUB_CACHE is unset; Options win
// over the environment.
func TestEnvironment(t *testing.T) {
	home := isolateEnv(t)
	f := newFakeHub(t)
	f.addRepo("org/model", true)

	t.Setenv("HF_ENDPOINT", f.hub.URL+"/")
	dir, err := Resolve(context.Background(), "org/model", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, "hub", "models--org--model", "snapshots", commitA); dir != want {
		t.Errorf("HF_HOME: %s, want %s", dir, want)
	}

	hubCache := t.TempDir()
	t.Setenv("HF_HUB_CACHE", hubCache)
	dir, err = Resolve(context.Background(), "org/model", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dir, hubCache+string(filepath.Separator)) {
		t.Errorf("HF_HUB_CACHE: %s not under %s", dir, hubCache)
	}

	// Options.Endpoint over HF_ENDPOINT, Options.CacheDir over HF_HUB_CACHE.
	t.Setenv("HF_ENDPOINT", "http://127.0.0.1:1")
	optCache := t.TempDir()
	dir, err = Resolve(context.Background(), "org/model", nil, Options{Endpoint: f.hub.URL, CacheDir: optCache})
	if err != nil || !strings.HasPrefix(dir, optCache) {
		t.Errorf("Options over env: %q, %v", dir, err)
	}
	t.Setenv("HF_ENDPOINT", "ftp://nope")
	if _, err := Resolve(context.Background(), "org/x", nil, Options{CacheDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "HF_ENDPOINT") {
		t.Errorf("bad HF_ENDPOINT: %v", err)
	}
}

// TestBadNamesRejected: names that could escape the cache fail before any
// file is created or request made.
func TestBadNamesRejected(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	cacheDir := t.TempDir()
	// ("..", an existing directory, is a local path: see TestLocalDirectory.)
	for _, name := range []string{"../x", "a/../../x", "/nonexistent/abs", `org\..\x`, "a//b", "a/b/c", ".git/x", "-rf/x", "org/", ""} {
		_, err := resolveFake(t, f, name, Options{CacheDir: cacheDir})
		if err == nil || !strings.Contains(err.Error(), "invalid model id") {
			t.Errorf("%q: %v, want an invalid model id error", name, err)
		}
	}
	for _, rev := range []string{"..", "../../x", "a/../b", "/main", ".hidden", `a\b`} {
		_, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir, Revision: rev})
		if err == nil || !strings.Contains(err.Error(), "invalid revision") {
			t.Errorf("revision %q: %v", rev, err)
		}
	}
	if _, err := Resolve(context.Background(), "org/model", []File{{Name: "../x"}}, Options{CacheDir: cacheDir}); err == nil {
		t.Error("escaping file name accepted")
	}
	if got := tree(t, cacheDir); len(got) != 0 {
		t.Errorf("cache touched: %v", got)
	}
	if hub, _ := f.requests(); len(hub) != 0 {
		t.Errorf("requests made: %v", hub)
	}
}

// TestOptionalFileWithHubDown: the cache has tokenizer.json but nothing
// about tokenizer_config.json; the hub is unreachable: like
// huggingface_hub, fall back to the cached snapshot (with a warning).
func TestOptionalFileWithHubDown(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	f.addRepo("org/model", true)
	cacheDir := t.TempDir()
	want, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(want, "tokenizer_config.json"))

	// Hub up: only the missing file is fetched, at the cached commit.
	f.resetRequests()
	if got, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir}); err != nil || got != want {
		t.Fatalf("completing: %q, %v", got, err)
	}
	hub, _ := f.requests()
	if len(hub) != 1 || hub[0].Path != "/org/model/resolve/"+commitA+"/tokenizer_config.json" {
		t.Errorf("completing requests: %v", hub)
	}

	os.Remove(filepath.Join(want, "tokenizer_config.json"))
	f.hub.Close()
	var logs bytes.Buffer
	got, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil || got != want {
		t.Errorf("hub down: %q, %v; want %q", got, err, want)
	}
	if !strings.Contains(logs.String(), "hub unreachable") {
		t.Errorf("no warning logged: %s", logs.String())
	}
}

// TestStaleRefWithMissingRequiredFile: the cached snapshot lacks the
// required file: everything is fetched from the revision afresh, so the
// new snapshot is complete.
func TestStaleRefWithMissingRequiredFile(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	r := f.addRepo("org/model", true)
	cacheDir := t.TempDir()
	old, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(old, "tokenizer.json"))
	r.refs["main"] = commitB
	dir, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(dir) != commitB {
		t.Errorf("dir %s, want the new commit %s", dir, commitB)
	}
	for name := range r.files {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("new snapshot lacks %s: %v", name, err)
		}
	}
	if s := mustRead(t, filepath.Join(cacheDir, "models--org--model", "refs", "main")); s != commitB {
		t.Errorf("refs/main = %q, want %q", s, commitB)
	}
}
