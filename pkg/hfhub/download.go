package hfhub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Response headers of the hub's resolve endpoint (huggingface_hub constants).
const (
	headerRepoCommit   = "X-Repo-Commit"
	headerLinkedETag   = "X-Linked-Etag"
	headerErrorCode    = "X-Error-Code"
	headerErrorMessage = "X-Error-Message"
	maxRedirects       = 10
)

// HTTPError is a hub response other than success, with the hub's own error
// code and message when it sent them.
type HTTPError struct {
	URL     string // the resolve URL requested
	Status  int    // HTTP status of the final response
	Code    string // X-Error-Code: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo, ...
	Message string // X-Error-Message
	Commit  string // X-Repo-Commit, when the hub sent one (it does with EntryNotFound)
}

// Error implements error.
func (e *HTTPError) Error() string {
	s := fmt.Sprintf("HTTP %d from %s", e.Status, e.URL)
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// entryNotFound reports a 404 for the file itself (not for the repository
// or the revision), the one failure that makes an optional file absent.
func (e *HTTPError) entryNotFound() bool {
	return e.Status == http.StatusNotFound && e.Code != "RepoNotFound" && e.Code != "RevisionNotFound"
}

// hub is the network side of one resolution.
type hub struct {
	endpoint string // no trailing "/"
	token    string
	client   *http.Client
	log      *slog.Logger
}

// hubMeta is what the hub's own response (not a CDN's) says about a file.
type hubMeta struct {
	commit string // X-Repo-Commit
	etag   string // X-Linked-Etag, else ETag, normalized
	seen   bool   // a response carrying X-Repo-Commit was seen
}

func (m *hubMeta) take(h http.Header) {
	if m.seen || h.Get(headerRepoCommit) == "" {
		return
	}
	m.seen = true
	m.commit = strings.TrimSpace(h.Get(headerRepoCommit))
	if e := h.Get(headerLinkedETag); e != "" {
		m.etag = normalizeETag(e)
	} else {
		m.etag = normalizeETag(h.Get("ETag"))
	}
}

type metaKey struct{}

// newClient returns a copy of base (or of a default client) whose redirect
// policy (1) keeps the Authorization header only while every hop stays on
// the origin (scheme, host and port) of the first request — Go's default
// forwards it to subdomains and across ports and schemes, which would hand
// the token to a CDN (and break presigned URLs) — and (2) records the hub's
// X-Repo-Commit and ETag headers from the redirect response, since for LFS
// files they are on the hub's 302, not on the CDN's 200.
func newClient(base *http.Client) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = 60 * time.Second
		c.Transport = tr
	}
	prev := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if m, ok := req.Context().Value(metaKey{}).(*hubMeta); ok && req.Response != nil {
			m.take(req.Response.Header)
		}
		origin := via[0].URL
		same := sameOrigin(origin, req.URL)
		for _, v := range via[1:] {
			same = same && sameOrigin(origin, v.URL)
		}
		if !same {
			req.Header.Del("Authorization")
		}
		if prev != nil {
			return prev(req, via)
		}
		return nil
	}
	return &c
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostPort(a), hostPort(b))
}

// hostPort is u's host with its port made explicit.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return u.Hostname() + ":" + port
}

// fileURL is huggingface_hub's hf_hub_url for a model:
// {endpoint}/{repo_id}/resolve/{quote(revision, safe="")}/{quote(filename)}.
func (h *hub) fileURL(repoID, rev, name string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return h.endpoint + "/" + repoID + "/resolve/" + url.PathEscape(rev) + "/" + strings.Join(segs, "/")
}

// get requests one file. On success the caller owns resp.Body. A non-2xx
// answer is an *HTTPError; a transport failure is wrapped with the URL.
func (h *hub) get(ctx context.Context, repoID, rev, name string) (*http.Response, hubMeta, error) {
	var meta hubMeta
	u := h.fileURL(repoID, rev, name)
	req, err := http.NewRequestWithContext(context.WithValue(ctx, metaKey{}, &meta), http.MethodGet, u, nil)
	if err != nil {
		return nil, meta, fmt.Errorf("build request: %w", err)
	}
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	// Exact bytes: the ETag names the uncompressed content.
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "mlperf-aggregator-hfhub/1")
	h.log.Debug("hub request", "url", u)
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, meta, &netError{url: u, err: err}
	}
	meta.take(resp.Header)
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return nil, meta, &HTTPError{
			URL: u, Status: resp.StatusCode,
			Code: resp.Header.Get(headerErrorCode), Message: resp.Header.Get(headerErrorMessage),
			Commit: strings.TrimSpace(resp.Header.Get(headerRepoCommit)),
		}
	}
	return resp, meta, nil
}

// netError is a failure to talk to the hub at all (DNS, connection,
// timeout, TLS, a broken body).
type netError struct {
	url string
	err error
}

func (e *netError) Error() string { return fmt.Sprintf("cannot reach the hub (%s): %v", e.url, e.err) }
func (e *netError) Unwrap() error { return e.err }

// bodyReader marks read errors of a response body as network errors.
type bodyReader struct {
	r   io.Reader
	url string
}

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = &netError{url: b.url, err: err}
	}
	return n, err
}

func isNetError(err error) bool {
	var ne *netError
	return errors.As(err, &ne)
}

// fetched is the outcome of downloading one file.
type fetched struct {
	commit string // the commit the hub resolved the revision to
	found  bool   // false: the (optional) file does not exist upstream
}

// fetch downloads name at rev into the cache: blobs/<etag> (unless already
// there), the snapshot symlink, or the .no_exist marker after a 404 of an
// optional file.
func (h *hub) fetch(ctx context.Context, c repoCache, repoID, rev string, f File) (fetched, error) {
	resp, meta, err := h.get(ctx, repoID, rev, f.Name)
	if err != nil {
		var he *HTTPError
		if errors.As(err, &he) && he.entryNotFound() && f.Optional {
			if checkSegment(he.Commit) == nil {
				if err := c.markNoExist(he.Commit, f.Name); err != nil {
					h.log.Warn("cannot record missing file in cache", "err", err)
				}
			}
			h.log.Debug("optional file not in repository", "file", f.Name, "revision", rev)
			return fetched{commit: he.Commit}, nil
		}
		return fetched{}, explain(err, repoID, rev, f.Name)
	}
	defer resp.Body.Close()
	if !meta.seen {
		return fetched{}, fmt.Errorf("%s: the response has no %s header: %s does not look like a Hugging Face hub (check HF_ENDPOINT)",
			resp.Request.URL, headerRepoCommit, h.endpoint)
	}
	if err := checkSegment(meta.commit); err != nil {
		return fetched{}, fmt.Errorf("bad %s header from the hub: %w", headerRepoCommit, err)
	}
	if meta.etag == "" {
		return fetched{}, fmt.Errorf("the hub sent no ETag for %s: cannot name its blob in the cache", f.Name)
	}
	if err := checkSegment(meta.etag); err != nil {
		return fetched{}, fmt.Errorf("bad ETag from the hub for %s: %w", f.Name, err)
	}
	if !c.hasBlob(meta.etag) {
		err := c.storeBlob(meta.etag, func(w io.Writer) error {
			return copyVerified(w, bodyReader{resp.Body, resp.Request.URL.String()}, meta.etag)
		})
		if err != nil {
			return fetched{}, fmt.Errorf("download %s: %w", f.Name, err)
		}
		h.log.Info("downloaded", "model", repoID, "file", f.Name, "commit", meta.commit)
	}
	if err := c.link(meta.commit, f.Name, meta.etag); err != nil {
		return fetched{}, err
	}
	return fetched{commit: meta.commit, found: true}, nil
}

// copyVerified copies the body, checking it against the ETag when the ETag
// is an LFS sha256 (64 hex digits). Git blob ETags (sha1 of a git object)
// are not checked.
func copyVerified(w io.Writer, body io.Reader, etag string) error {
	var sum hash.Hash
	if len(etag) == 64 && isHex(etag) {
		sum = sha256.New()
		w = io.MultiWriter(w, sum)
	}
	if _, err := io.Copy(w, body); err != nil {
		return err
	}
	if sum != nil {
		if got := hex.EncodeToString(sum.Sum(nil)); got != strings.ToLower(etag) {
			return fmt.Errorf("content sha256 %s does not match the hub's ETag %s", got, etag)
		}
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// explain turns a hub failure into the message a user can act on.
func explain(err error, repoID, rev, name string) error {
	var he *HTTPError
	if !errors.As(err, &he) {
		return fmt.Errorf("download %s: %w (set HF_HUB_OFFLINE=1 to use only the local cache)", name, err)
	}
	switch {
	case he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden || he.Code == "GatedRepo":
		return fmt.Errorf("download %s: access denied: %w; the model %s may be gated or private (or not exist): "+
			"accept its terms on the hub and set HF_TOKEN (or run `hf auth login`) to a token with access", name, he, repoID)
	case he.Code == "RepoNotFound":
		return fmt.Errorf("download %s: model %s not found: %w", name, repoID, he)
	case he.Code == "RevisionNotFound":
		return fmt.Errorf("download %s: revision %q of %s not found: %w", name, rev, repoID, he)
	case he.Status == http.StatusNotFound:
		return fmt.Errorf("download %s: %s has no file %s at revision %q: %w", name, repoID, name, rev, he)
	}
	return fmt.Errorf("download %s: %w", name, he)
}
