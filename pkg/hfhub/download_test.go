package hfhub

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// resolveFake resolves id against the fake hub with a fresh cache folder
// unless opts sets one.
func resolveFake(t *testing.T, f *fakeHub, id string, o Options) (string, error) {
	t.Helper()
	if o.Endpoint == "" {
		o.Endpoint = f.hub.URL
	}
	if o.CacheDir == "" {
		o.CacheDir = t.TempDir()
	}
	return Resolve(context.Background(), id, nil, o)
}

// TestFirstDownloadFillsCacheInHubLayout: the exact huggingface_hub layout:
// blobs named by the LFS sha256 (X-Linked-Etag, not the pointer's ETag) and
// by the git sha1 (weak ETag normalized), relative symlinks, refs/main with
// the bare commit hash, and nothing else (no temporary files).
func TestFirstDownloadFillsCacheInHubLayout(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	r := f.addRepo("org/model", true)
	cacheDir := t.TempDir()
	dir, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(cacheDir, "models--org--model")
	if want := filepath.Join(root, "snapshots", commitA); dir != want {
		t.Errorf("dir = %s, want %s", dir, want)
	}
	tok, cfg := r.etagOf("tokenizer.json"), r.etagOf("tokenizer_config.json")
	if len(tok) != 64 || len(cfg) != 40 {
		t.Fatalf("fixture: etags %q %q", tok, cfg)
	}
	want := map[string]string{
		"blobs":                "dir",
		"blobs/" + tok:         "file " + strconv.Itoa(len(r.files["tokenizer.json"])),
		"blobs/" + cfg:         "file " + strconv.Itoa(len(r.files["tokenizer_config.json"])),
		"refs":                 "dir",
		"refs/main":            "file 40",
		"snapshots":            "dir",
		"snapshots/" + commitA: "dir",
		"snapshots/" + commitA + "/tokenizer.json":        "link -> ../../blobs/" + tok,
		"snapshots/" + commitA + "/tokenizer_config.json": "link -> ../../blobs/" + cfg,
		// The model has no chat-template files: recorded, so a filled
		// cache needs no network.
		".no_exist":            "dir",
		".no_exist/" + commitA: "dir",
		".no_exist/" + commitA + "/chat_template.jinja":       "file 0",
		".no_exist/" + commitA + "/additional_chat_templates": "file 0",
	}
	got := tree(t, root)
	if len(got) != len(want) {
		t.Errorf("cache has %d entries, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if s := mustRead(t, filepath.Join(root, "refs", "main")); s != commitA {
		t.Errorf("refs/main = %q", s)
	}
	for name, body := range r.files {
		if s := mustRead(t, filepath.Join(dir, name)); s != string(body) {
			t.Errorf("%s reads %q, want %q", name, s, body)
		}
	}
	hub, cdn := f.requests()
	if len(hub) != 4 || len(cdn) != 1 {
		t.Errorf("requests: hub %v, cdn %v; want 4 and 1", hub, cdn)
	}
	// The other files are requested, and the template folder listed, at
	// the commit the first resolved to.
	for _, r := range hub[1:] {
		if !strings.Contains(r.Path, "/"+commitA+"/") {
			t.Errorf("request %s is not pinned to %s", r.Path, commitA)
		}
	}
}

// TestOptionalFile404RecordsNoExist: a model without tokenizer_config.json
// resolves; the absence is recorded under .no_exist/<commit>/ as
// huggingface_hub does, and the next resolution needs no request at all.
func TestOptionalFile404RecordsNoExist(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	f.addRepo("org/bare", false)
	cacheDir := t.TempDir()
	dir, err := resolveFake(t, f, "org/bare", Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tokenizer_config.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("tokenizer_config.json: %v, want absent", err)
	}
	marker := filepath.Join(cacheDir, "models--org--bare", ".no_exist", commitA, "tokenizer_config.json")
	if st, err := os.Stat(marker); err != nil || st.Size() != 0 {
		t.Errorf(".no_exist marker: %v", err)
	}
	f.resetRequests()
	if _, err := resolveFake(t, f, "org/bare", Options{CacheDir: cacheDir}); err != nil {
		t.Fatal(err)
	}
	if hub, cdn := f.requests(); len(hub)+len(cdn) != 0 {
		t.Errorf("second resolution made requests: %v %v", hub, cdn)
	}
}

// TestGatedModel: 401 without a token names HF_TOKEN; the token from
// Options, $HF_TOKEN or $HF_HOME/token is sent and accepted.
func TestGatedModel(t *testing.T) {
	home := isolateEnv(t)
	f := newFakeHub(t)
	f.addRepo("meta/gated", true).gated = true

	_, err := resolveFake(t, f, "meta/gated", Options{})
	if err == nil {
		t.Fatal("gated model without a token resolved")
	}
	for _, want := range []string{"access denied", "HTTP 401", "GatedRepo", "HF_TOKEN", "meta/gated"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := resolveFake(t, f, "meta/gated", Options{Token: "wrong"}); err == nil {
		t.Error("wrong token accepted")
	}
	if _, err := resolveFake(t, f, "meta/gated", Options{Token: f.token}); err != nil {
		t.Errorf("Options.Token: %v", err)
	}
	if err := os.WriteFile(filepath.Join(home, "token"), []byte(f.token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := resolveFake(t, f, "meta/gated", Options{}); err != nil {
		t.Errorf("token file $HF_HOME/token: %v", err)
	}
	os.Remove(filepath.Join(home, "token"))
	t.Setenv("HF_TOKEN", f.token)
	if _, err := resolveFake(t, f, "meta/gated", Options{}); err != nil {
		t.Errorf("$HF_TOKEN: %v", err)
	}
}

// TestRedirectToAnotherHostDropsAuthorization: the token reaches the hub
// but never the CDN, whether the CDN is on another port of the same IP or a
// subdomain of the hub (which Go's client alone would trust).
func TestRedirectToAnotherHostDropsAuthorization(t *testing.T) {
	isolateEnv(t)
	cases := []struct {
		name     string
		endpoint string
		cdnBase  string
		client   func(f *fakeHub) *http.Client
	}{
		{name: "other port", client: func(*fakeHub) *http.Client { return nil }},
		{
			name: "subdomain", endpoint: "http://hub.test", cdnBase: "http://cdn.hub.test",
			client: func(f *fakeHub) *http.Client {
				return hostClient(map[string]string{
					"hub.test:80":     f.hub.Listener.Addr().String(),
					"cdn.hub.test:80": f.cdn.Listener.Addr().String(),
				})
			},
		},
		{
			name: "other port of the same host name", endpoint: "http://hub.test", cdnBase: "http://hub.test:8080",
			client: func(f *fakeHub) *http.Client {
				return hostClient(map[string]string{
					"hub.test:80":   f.hub.Listener.Addr().String(),
					"hub.test:8080": f.cdn.Listener.Addr().String(),
				})
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeHub(t)
			f.addRepo("meta/gated", true).gated = true
			if c.cdnBase != "" {
				f.cdnBase = c.cdnBase
			}
			o := Options{Token: f.token, Endpoint: c.endpoint, HTTPClient: c.client(f)}
			if _, err := resolveFake(t, f, "meta/gated", o); err != nil {
				t.Fatal(err)
			}
			hub, cdn := f.requests()
			if len(cdn) != 1 || cdn[0].Auth != "" {
				t.Errorf("CDN requests %+v: want one, without Authorization", cdn)
			}
			for _, r := range hub {
				if r.Auth != "Bearer "+f.token {
					t.Errorf("hub request %s without the token", r.Path)
				}
			}
		})
	}
}

// TestRelativeRedirectKeepsAuthorization: a renamed repository answers
// with a relative redirect on the same origin; the token follows it.
func TestRelativeRedirectKeepsAuthorization(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	f.addRepo("org/new-name", true).gated = true
	f.moved["org/old-name"] = "org/new-name"
	cacheDir := t.TempDir()
	dir, err := resolveFake(t, f, "org/old-name", Options{Token: f.token, CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cacheDir, "models--org--old-name", "snapshots", commitA); dir != want {
		t.Errorf("dir = %s, want %s (cached under the requested name, as huggingface_hub does)", dir, want)
	}
}

func TestHubErrors(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	r := f.addRepo("org/model", true)
	delete(r.files, "tokenizer.json")
	cases := []struct{ id, rev, want string }{
		{"org/model", "", "has no file tokenizer.json"},
		{"org/model", "v9", "revision \"v9\" of org/model not found"},
		{"org/absent", "", "access denied"},
	}
	for _, c := range cases {
		_, err := resolveFake(t, f, c.id, Options{Revision: c.rev})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s@%s: %v, want it to mention %q", c.id, c.rev, err, c.want)
		}
	}
}

// TestNetworkFailure: an unreachable hub is a clear error naming the URL
// and the offline switch; nothing is left in the cache.
func TestNetworkFailure(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	f.addRepo("org/model", true)
	f.hub.Close()
	cacheDir := t.TempDir()
	_, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir})
	if err == nil {
		t.Fatal("resolved with the hub down")
	}
	for _, want := range []string{"cannot reach the hub", f.hub.URL, "HF_HUB_OFFLINE=1", "tokenizer.json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if got := tree(t, cacheDir); len(got) != 0 {
		t.Errorf("cache not empty after a failure: %v", got)
	}
}

// TestCorruptDownloadRejected: LFS content not matching its sha256 is
// refused and no blob or link is written.
func TestCorruptDownloadRejected(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	f.addRepo("org/model", true)
	f.corrupt = true
	cacheDir := t.TempDir()
	_, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir})
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("corrupt download: %v", err)
	}
	for k, v := range tree(t, cacheDir) {
		if v != "dir" {
			t.Errorf("left behind: %s %s", k, v)
		}
	}
}

func TestNotAHub(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	f.addRepo("org/model", true)
	f.noCommit = true
	_, err := resolveFake(t, f, "org/model", Options{})
	if err == nil || !strings.Contains(err.Error(), "does not look like a Hugging Face hub") {
		t.Fatalf("server without X-Repo-Commit: %v", err)
	}
}

// TestRevisions: a branch with "/" is one escaped URL segment and nested
// folders under refs/; a commit hash writes no ref.
func TestRevisions(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	r := f.addRepo("org/model", true)
	r.refs["refs/pr/1"] = commitB
	cacheDir := t.TempDir()
	dir, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir, Revision: "refs/pr/1"})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(cacheDir, "models--org--model")
	if want := filepath.Join(root, "snapshots", commitB); dir != want {
		t.Errorf("dir = %s, want %s", dir, want)
	}
	if s := mustRead(t, filepath.Join(root, "refs", "refs", "pr", "1")); s != commitB {
		t.Errorf("refs/refs/pr/1 = %q", s)
	}
	hub, _ := f.requests()
	if len(hub) == 0 || hub[0].Path != "/org/model/resolve/refs%2Fpr%2F1/tokenizer.json" {
		t.Errorf("first request %v", hub)
	}

	cacheDir = t.TempDir()
	if _, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir, Revision: commitA}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cacheDir, "models--org--model", "refs")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a commit revision wrote refs/: %v", err)
	}
	// And it is then found in the cache by that commit, offline.
	if _, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir, Revision: commitA, Offline: true}); err != nil {
		t.Errorf("offline by commit: %v", err)
	}
}

// TestConcurrentResolutions: resolvers racing on one cache (as two daemons
// would) all succeed, agree, and leave an intact cache with no temporary
// files.
func TestConcurrentResolutions(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	r := f.addRepo("org/model", true)
	cacheDir := t.TempDir()
	const n = 8
	var wg sync.WaitGroup
	dirs := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = resolveFake(t, f, "org/model", Options{CacheDir: cacheDir})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || dirs[i] != dirs[0] {
			t.Errorf("resolver %d: %q, %v", i, dirs[i], errs[i])
		}
	}
	for name, body := range r.files {
		if s := mustRead(t, filepath.Join(dirs[0], name)); s != string(body) {
			t.Errorf("%s reads %q", name, s)
		}
	}
	for k := range tree(t, cacheDir) {
		if strings.HasSuffix(k, ".incomplete") {
			t.Errorf("temporary file left: %s", k)
		}
	}
}
