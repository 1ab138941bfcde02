package hfhub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// isolateEnv clears every variable Resolve reads and points HF_HOME at a
// temporary folder and HF_ENDPOINT at a closed port, so no test can reach
// the real hub or the real cache by accident.
func isolateEnv(t *testing.T) (home string) {
	t.Helper()
	home = t.TempDir()
	for _, k := range []string{"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME", "HF_TOKEN",
		"HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"} {
		t.Setenv(k, "")
	}
	t.Setenv("HF_HOME", home)
	t.Setenv("HF_ENDPOINT", "http://127.0.0.1:1")
	return home
}

// fakeRepo is one model repository on the fake hub.
type fakeRepo struct {
	refs  map[string]string // revision (branch, tag) → commit
	files map[string][]byte // at every commit
	lfs   map[string]bool   // served through a redirect to the CDN
	gated bool              // needs the hub's token
}

// request is one request the fake hub or CDN received.
type request struct {
	Path  string // escaped path
	Query string // raw query
	Auth  string // Authorization header
}

// fakeHub plays huggingface.co's resolve endpoint and its LFS CDN.
type fakeHub struct {
	t        *testing.T
	hub, cdn *httptest.Server
	// cdnBase is the URL the hub redirects LFS files to (the CDN server
	// under another host name, see hostClient).
	cdnBase string
	token   string // the token gated repositories accept

	mu       sync.Mutex
	repos    map[string]*fakeRepo
	hubReqs  []request
	cdnReqs  []request
	corrupt  bool              // CDN serves bytes that do not match the sha256
	noCommit bool              // hub omits X-Repo-Commit (not a hub)
	moved    map[string]string // renamed repositories: old id → new id (relative redirect)
	treePage int               // entries per page of a tree listing (0: all on one)
	treeDown bool              // the tree API answers 500
	failFile string            // this file answers 500
}

const (
	commitA = "0123456789abcdef0123456789abcdef01234567"
	commitB = "89abcdef0123456789abcdef0123456789abcdef"
)

func newFakeHub(t *testing.T) *fakeHub {
	t.Helper()
	f := &fakeHub{t: t, token: "hf_secret", repos: map[string]*fakeRepo{}, moved: map[string]string{}}
	f.hub = httptest.NewServer(http.HandlerFunc(f.serveHub))
	f.cdn = httptest.NewServer(http.HandlerFunc(f.serveCDN))
	f.cdnBase = f.cdn.URL
	t.Cleanup(f.hub.Close)
	t.Cleanup(f.cdn.Close)
	return f
}

// addRepo adds a repository with tokenizer.json (LFS) and, unless
// withConfig is false, tokenizer_config.json (plain git).
func (f *fakeHub) addRepo(id string, withConfig bool) *fakeRepo {
	r := &fakeRepo{
		refs:  map[string]string{"main": commitA},
		files: map[string][]byte{"tokenizer.json": []byte(`{"model":{"type":"BPE"},"id":"` + id + `"}`)},
		lfs:   map[string]bool{"tokenizer.json": true},
	}
	if withConfig {
		r.files["tokenizer_config.json"] = []byte(`{"add_bos_token":true}`)
	}
	f.mu.Lock()
	f.repos[id] = r
	f.mu.Unlock()
	return r
}

func gitBlobSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// etagOf is the blob name the cache must use for a file of the repository.
func (r *fakeRepo) etagOf(name string) string {
	if r.lfs[name] {
		return sha256Hex(r.files[name])
	}
	return gitBlobSHA1(r.files[name])
}

func (f *fakeHub) serveHub(w http.ResponseWriter, req *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hubReqs = append(f.hubReqs, request{Path: req.URL.EscapedPath(), Query: req.URL.RawQuery, Auth: req.Header.Get("Authorization")})
	path := req.URL.EscapedPath()
	if strings.HasPrefix(path, "/api/models/") {
		f.serveTree(w, req)
		return
	}
	i := strings.Index(path, "/resolve/")
	if i < 0 {
		http.NotFound(w, req)
		return
	}
	id := strings.TrimPrefix(path[:i], "/")
	rest := strings.SplitN(path[i+len("/resolve/"):], "/", 2)
	if len(rest) != 2 {
		http.NotFound(w, req)
		return
	}
	rev, _ := url.PathUnescape(rest[0])
	name, _ := url.PathUnescape(rest[1])
	if to, ok := f.moved[id]; ok {
		w.Header().Set("Location", "/"+to+path[i:])
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	r := f.repos[id]
	if r == nil {
		w.Header().Set(headerErrorCode, "RepoNotFound")
		w.Header().Set(headerErrorMessage, "Repository not found")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.gated && req.Header.Get("Authorization") != "Bearer "+f.token {
		w.Header().Set(headerErrorCode, "GatedRepo")
		w.Header().Set(headerErrorMessage, "Access to model "+id+" is restricted. You must have access to it and be authenticated to access it. Please log in.")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	commit, ok := r.refs[rev]
	if !ok {
		for _, c := range r.refs {
			if c == rev {
				commit, ok = c, true
			}
		}
	}
	if !ok {
		w.Header().Set(headerErrorCode, "RevisionNotFound")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if !f.noCommit {
		w.Header().Set(headerRepoCommit, commit)
	}
	body, ok := r.files[name]
	if name == f.failFile {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if !ok {
		w.Header().Set(headerErrorCode, "EntryNotFound")
		w.Header().Set(headerErrorMessage, "Entry not found")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if r.lfs[name] {
		sum := sha256Hex(body)
		w.Header().Set("ETag", `"`+gitBlobSHA1([]byte("pointer"))+`"`) // the pointer's, to be ignored
		w.Header().Set(headerLinkedETag, `"`+sum+`"`)
		w.Header().Set("X-Linked-Size", fmt.Sprint(len(body)))
		w.Header().Set("Location", f.cdnBase+"/lfs/"+sum)
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("ETag", `W/"`+gitBlobSHA1(body)+`"`)
	w.Write(body)
}

// serveTree plays the hub's tree API as huggingface_hub's list_repo_tree
// reads it: GET /api/models/{id}/tree/{quoted rev}/{quoted folder}, a JSON
// array of {type, oid, size, path} for the folder's direct entries (files
// and directories), paged by a Link header with rel="next" and a cursor;
// 404 EntryNotFound for a folder the commit does not have. Called with
// f.mu held.
func (f *fakeHub) serveTree(w http.ResponseWriter, req *http.Request) {
	rest := strings.TrimPrefix(req.URL.EscapedPath(), "/api/models/")
	i := strings.Index(rest, "/tree/")
	if i < 0 || f.treeDown {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	id := rest[:i]
	if to, ok := f.moved[id]; ok {
		w.Header().Set("Location", "/api/models/"+to+rest[i:]+"?"+req.URL.RawQuery)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	parts := strings.SplitN(rest[i+len("/tree/"):], "/", 2)
	rev, _ := url.PathUnescape(parts[0])
	folder := ""
	if len(parts) == 2 {
		folder, _ = url.PathUnescape(parts[1])
	}
	r := f.repos[id]
	if r == nil {
		w.Header().Set(headerErrorCode, "RepoNotFound")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.gated && req.Header.Get("Authorization") != "Bearer "+f.token {
		w.Header().Set(headerErrorCode, "GatedRepo")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if _, ok := r.refs[rev]; !ok && rev != commitA && rev != commitB {
		w.Header().Set(headerErrorCode, "RevisionNotFound")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	type entry struct {
		Type string `json:"type"`
		Oid  string `json:"oid"`
		Size int    `json:"size"`
		Path string `json:"path"`
	}
	var entries []entry
	dirs := map[string]bool{}
	for _, name := range sortedKeys(filesOf(r)) {
		sub, ok := strings.CutPrefix(name, folder+"/")
		if !ok {
			continue
		}
		if d, _, nested := strings.Cut(sub, "/"); nested {
			if !dirs[d] {
				dirs[d] = true
				entries = append(entries, entry{Type: "directory", Oid: "0", Path: folder + "/" + d})
			}
			continue
		}
		entries = append(entries, entry{Type: "file", Oid: gitBlobSHA1(r.files[name]), Size: len(r.files[name]), Path: name})
	}
	if len(entries) == 0 {
		w.Header().Set(headerErrorCode, "EntryNotFound")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	start, _ := strconv.Atoi(req.URL.Query().Get("cursor"))
	end := len(entries)
	if f.treePage > 0 && start+f.treePage < end {
		end = start + f.treePage
		next := *req.URL
		q := next.Query()
		q.Set("cursor", strconv.Itoa(end))
		next.RawQuery = q.Encode()
		w.Header().Set("Link", `<http://`+req.Host+next.RequestURI()+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(entries[start:end])
}

// filesOf is the repository's files as a map for sortedKeys.
func filesOf(r *fakeRepo) map[string]string {
	m := map[string]string{}
	for k := range r.files {
		m[k] = ""
	}
	return m
}

func (f *fakeHub) serveCDN(w http.ResponseWriter, req *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cdnReqs = append(f.cdnReqs, request{Path: req.URL.EscapedPath(), Auth: req.Header.Get("Authorization")})
	sum := strings.TrimPrefix(req.URL.Path, "/lfs/")
	for _, r := range f.repos {
		for _, b := range r.files {
			if sha256Hex(b) == sum {
				if f.corrupt {
					b = append([]byte("x"), b[1:]...)
				}
				w.Write(b)
				return
			}
		}
	}
	http.NotFound(w, req)
}

func (f *fakeHub) requests() (hub, cdn []request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.hubReqs...), append([]request(nil), f.cdnReqs...)
}

func (f *fakeHub) resetRequests() {
	f.mu.Lock()
	f.hubReqs, f.cdnReqs = nil, nil
	f.mu.Unlock()
}

// hostClient is an HTTP client that dials the given host:port → address
// mapping, so tests can use real host names (hub.test, cdn.hub.test) for
// the local servers; any other address fails without touching the network.
func hostClient(hosts map[string]string) *http.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			real, ok := hosts[addr]
			if !ok {
				return nil, fmt.Errorf("test dialer: no route to %s", addr)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, real)
		},
	}
	return &http.Client{Transport: tr}
}

// tree lists every path under root with what it is: "file <size>",
// "link -> <target>" or "dir".
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "link -> " + target
		case info.IsDir():
			out[rel] = "dir"
		default:
			out[rel] = fmt.Sprintf("file %d", info.Size())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
