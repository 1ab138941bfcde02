package hfhub

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addTemplates gives r a chat_template.jinja (plain git) and, in
// additional_chat_templates/, tool_use.jinja (LFS) and rag.jinja, plus what
// must not be fetched: a README.md there and a template one folder deeper
// (the listing is not recursive).
func addTemplates(r *fakeRepo) {
	r.files["chat_template.jinja"] = []byte("{{ messages[0].content }}\n")
	r.files["additional_chat_templates/tool_use.jinja"] = []byte("TOOLS {{ tools | length }}")
	r.lfs["additional_chat_templates/tool_use.jinja"] = true
	r.files["additional_chat_templates/rag.jinja"] = []byte("RAG {{ documents }}")
	r.files["additional_chat_templates/README.md"] = []byte("not a template")
	r.files["additional_chat_templates/old/v1.jinja"] = []byte("nested: not listed")
}

// TestChatTemplateFilesDownloaded: chat_template.jinja and the .jinja
// files directly in additional_chat_templates/ are fetched into the
// snapshot, the folder listed (through every page) with the tree API at
// the resolved commit as huggingface_hub's list_repo_tree lists it, the
// token sent to the hub for a gated model; the filled cache then resolves
// with no request, online and offline.
func TestChatTemplateFilesDownloaded(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	f.treePage = 1
	r := f.addRepo("org/model", true)
	r.gated = true
	addTemplates(r)
	cacheDir := t.TempDir()
	dir, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir, Token: f.token})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"chat_template.jinja", "additional_chat_templates/tool_use.jinja", "additional_chat_templates/rag.jinja"} {
		if got := mustRead(t, filepath.Join(dir, name)); got != string(r.files[name]) {
			t.Errorf("%s reads %q, want %q", name, got, r.files[name])
		}
	}
	root := filepath.Join(cacheDir, "models--org--model")
	got := tree(t, root)
	if l := got["snapshots/"+commitA+"/additional_chat_templates/tool_use.jinja"]; l != "link -> ../../../blobs/"+r.etagOf("additional_chat_templates/tool_use.jinja") {
		t.Errorf("tool_use.jinja: %q, want a relative link to its LFS blob", l)
	}
	for k := range got {
		if strings.Contains(k, "README") || strings.Contains(k, "old") || strings.HasPrefix(k, ".no_exist") {
			t.Errorf("cache holds %s", k)
		}
	}
	hub, _ := f.requests()
	var pages int
	for _, q := range hub {
		if q.Auth != "Bearer "+f.token {
			t.Errorf("%s without the token", q.Path)
		}
		if strings.HasPrefix(q.Path, "/api/") {
			pages++
			v, _ := url.ParseQuery(q.Query)
			if q.Path != "/api/models/org/model/tree/"+commitA+"/additional_chat_templates" || v.Get("recursive") != "false" || v.Get("expand") != "false" {
				t.Errorf("tree request %s?%s", q.Path, q.Query)
			}
		}
	}
	if pages != 4 { // README.md, old/, rag.jinja, tool_use.jinja: one per page
		t.Errorf("%d tree pages requested, want 4", pages)
	}

	f.resetRequests()
	for _, offline := range []bool{false, true} {
		got, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir, Offline: offline, Token: f.token})
		if err != nil || got != dir {
			t.Errorf("offline=%v: %q, %v; want %q", offline, got, err, dir)
		}
	}
	if hub, cdn := f.requests(); len(hub)+len(cdn) != 0 {
		t.Errorf("the filled cache made requests: %v %v", hub, cdn)
	}
}

// TestChatTemplateFilesAbsent: a model without template files records
// both misses under .no_exist/<commit>/ (the file as huggingface_hub
// does; the folder, which the tree API answered 404 for, too); the next
// resolution makes no request.
func TestChatTemplateFilesAbsent(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	f.addRepo("org/model", true)
	cacheDir := t.TempDir()
	if _, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"chat_template.jinja", "additional_chat_templates"} {
		st, err := os.Stat(filepath.Join(cacheDir, "models--org--model", ".no_exist", commitA, name))
		if err != nil || !st.Mode().IsRegular() || st.Size() != 0 {
			t.Errorf(".no_exist/%s/%s: %v", commitA, name, err)
		}
	}
	f.resetRequests()
	if _, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir}); err != nil {
		t.Fatal(err)
	}
	if hub, cdn := f.requests(); len(hub)+len(cdn) != 0 {
		t.Errorf("second resolution made requests: %v %v", hub, cdn)
	}
}

// TestChatTemplatesCompleteOlderCache: a cache filled before template
// files were fetched (by an older aggregator, or a Python tool that
// fetched only tokenizer.json and tokenizer_config.json): offline it is
// used as it is, with whatever templates its snapshot has (transformers'
// list_repo_templates offline lists the snapshot folder); online only the
// unknown template entries are asked for, at the cached commit.
func TestChatTemplatesCompleteOlderCache(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	r := f.addRepo("org/model", true)
	addTemplates(r)
	cacheDir := t.TempDir()
	dir, err := Resolve(context.Background(), "org/model", TokenizerFiles[:2], Options{CacheDir: cacheDir, Endpoint: f.hub.URL})
	if err != nil {
		t.Fatal(err)
	}
	f.resetRequests()
	if got, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir, Offline: true}); err != nil || got != dir {
		t.Fatalf("offline: %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "chat_template.jinja")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("offline fetched chat_template.jinja: %v", err)
	}
	if got, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir}); err != nil || got != dir {
		t.Fatalf("online: %q, %v", got, err)
	}
	hub, _ := f.requests()
	var paths []string
	for _, q := range hub {
		paths = append(paths, q.Path)
	}
	want := []string{
		"/org/model/resolve/" + commitA + "/chat_template.jinja",
		"/api/models/org/model/tree/" + commitA + "/additional_chat_templates",
		"/org/model/resolve/" + commitA + "/additional_chat_templates/rag.jinja",
		"/org/model/resolve/" + commitA + "/additional_chat_templates/tool_use.jinja",
	}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("requests\n%s\nwant\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	if got := mustRead(t, filepath.Join(dir, "additional_chat_templates", "rag.jinja")); got != string(r.files["additional_chat_templates/rag.jinja"]) {
		t.Errorf("rag.jinja %q", got)
	}
}

// TestChatTemplateListingFails: the tree API failing (a server error) or
// a listed template failing to download leave the folder unknown (no
// marker, no partial folder in the snapshot) so a later resolution lists
// it again; a listing error is a warning (transformers then falls back to
// the cached snapshot's folder), a failed download of a listed file an
// error, as in transformers.
func TestChatTemplateListingFails(t *testing.T) {
	isolateEnv(t)
	f := newFakeHub(t)
	r := f.addRepo("org/model", true)
	addTemplates(r)
	cacheDir := t.TempDir()
	f.treeDown = true
	var logs bytes.Buffer
	dir, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "cannot list an optional folder") {
		t.Errorf("no warning: %s", logs.String())
	}
	cache := repoCache{root: filepath.Join(cacheDir, "models--org--model")}
	if s := cache.folderState(commitA, "additional_chat_templates"); s != fileUnknown {
		t.Errorf("folder state %v after a failed listing, want unknown", s)
	}
	f.treeDown = false
	f.failFile = "additional_chat_templates/tool_use.jinja"
	if _, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir}); err == nil || !strings.Contains(err.Error(), "tool_use.jinja") {
		t.Errorf("a failed template download: %v, want an error naming it", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "additional_chat_templates")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial folder left in the snapshot: %v", err)
	}
	f.failFile = ""
	if _, err := resolveFake(t, f, "org/model", Options{CacheDir: cacheDir}); err != nil {
		t.Fatal(err)
	}
	if s := cache.folderState(commitA, "additional_chat_templates"); s != filePresent {
		t.Errorf("folder state %v, want present", s)
	}
}

// TestNextLink parses the pagination header as requests' Response.links.
func TestNextLink(t *testing.T) {
	for in, want := range map[string]string{
		`<https://hub/api/x?cursor=a>; rel="next"`:                     "https://hub/api/x?cursor=a",
		`<https://hub/p>; rel="prev", <https://hub/n?c=1,2>; rel=next`: "https://hub/n?c=1,2",
		`<https://hub/p>; rel="prev", <https://hub/n?c=12>; rel=next`:  "https://hub/n?c=12",
		`<https://hub/n>; type="x"; rel="next"`:                        "https://hub/n",
		``:                                                             "",
		`https://hub/n; rel="next"`:                                    "",
		`<https://hub/first>; rel="first", <https://hub/second>; rel="next last"`: "",
	} {
		if got := nextLink([]string{in}); got != want {
			t.Errorf("nextLink(%q) = %q, want %q", in, got, want)
		}
	}
}
