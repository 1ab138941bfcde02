package hfhub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"unicode/utf8"
)

// maxTreePages bounds the pages of one folder listing (the hub sends up to
// 1000 entries per page; a chat-template folder has a handful).
const maxTreePages = 100

// maxTreePage bounds the bytes of one page of a listing.
const maxTreePage = 16 << 20

// treeEntry is one entry of the hub's tree API (huggingface_hub's RepoFile
// and RepoFolder).
type treeEntry struct {
	Type string `json:"type"` // "file" or "directory"
	Path string `json:"path"` // from the repository root
}

// treeURL is huggingface_hub's list_repo_tree URL for a model:
// {endpoint}/api/models/{repo_id}/tree/{quote(revision, safe="")}/{quote(path_in_repo, safe="")}
// with recursive=false&expand=false (httpx's spelling of the two bools).
func (h *hub) treeURL(repoID, rev, folder string) string {
	return h.endpoint + "/api/models/" + repoID + "/tree/" + url.PathEscape(rev) + "/" + url.PathEscape(folder) +
		"?recursive=false&expand=false"
}

// listFolder returns the names of the files directly in folder at rev,
// following the listing's pages (a Link header with rel="next", as
// huggingface_hub's paginate does). A non-2xx answer is an *HTTPError.
func (h *hub) listFolder(ctx context.Context, repoID, rev, folder string) ([]string, error) {
	next := h.treeURL(repoID, rev, folder)
	origin, err := url.Parse(h.endpoint)
	if err != nil {
		return nil, fmt.Errorf("hub endpoint: %w", err)
	}
	var names []string
	for page := 0; next != ""; page++ {
		if page == maxTreePages {
			return nil, fmt.Errorf("listing %s: more than %d pages", folder, maxTreePages)
		}
		entries, link, err := h.treePage(ctx, next, origin)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name, ok := strings.CutPrefix(e.Path, folder+"/")
			if e.Type == "file" && ok && !strings.Contains(name, "/") {
				names = append(names, name)
			}
		}
		next = link
	}
	return names, nil
}

// treePage fetches one page of a listing; next is the URL of the next
// page ("" for the last). The token goes only to the hub's own origin.
func (h *hub) treePage(ctx context.Context, u string, origin *url.URL) (entries []treeEntry, next string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", fmt.Errorf("build request: %w", err)
	}
	if h.token != "" && sameOrigin(origin, req.URL) {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "mlperf-aggregator-hfhub/1")
	h.log.Debug("hub request", "url", u)
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, "", &netError{url: u, err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, "", &HTTPError{URL: u, Status: resp.StatusCode,
			Code: resp.Header.Get(headerErrorCode), Message: resp.Header.Get(headerErrorMessage)}
	}
	body, err := io.ReadAll(io.LimitReader(bodyReader{resp.Body, u}, maxTreePage+1))
	if err != nil {
		return nil, "", err
	}
	if len(body) > maxTreePage {
		return nil, "", fmt.Errorf("%s: a listing page over %d bytes", u, maxTreePage)
	}
	if err := json.Unmarshal(body, &entries); err != nil {
		return nil, "", fmt.Errorf("%s: not a hub tree listing: %w", u, err)
	}
	if next = nextLink(resp.Header.Values("Link")); next != "" {
		nu, err := resp.Request.URL.Parse(next)
		if err != nil {
			return nil, "", fmt.Errorf("%s: bad Link header %q: %w", u, next, err)
		}
		next = nu.String()
	}
	return entries, next, nil
}

// nextLink is the target of the rel="next" link of Link header values
// (`<URL>; rel="next", <URL>; rel="prev"`), "" if there is none. Links are
// split where a "," is followed by "<", as requests' parse_header_links
// splits them, so a "," inside a URL is kept.
func nextLink(values []string) string {
	for _, v := range values {
		for v = strings.TrimSpace(v); strings.HasPrefix(v, "<"); {
			end := strings.IndexByte(v, '>')
			if end < 0 {
				break
			}
			target, rest := v[1:end], v[end+1:]
			params := rest
			v = ""
			for i := 0; i < len(rest); i++ {
				if rest[i] == ',' && strings.HasPrefix(strings.TrimLeft(rest[i+1:], " \t"), "<") {
					params, v = rest[:i], strings.TrimLeft(rest[i+1:], " \t")
					break
				}
			}
			for p := range strings.SplitSeq(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(k, "rel") && strings.Trim(val, `"' `) == "next" {
					return target
				}
			}
		}
	}
	return ""
}

// fetchFolder resolves the folder f at commit as transformers does for
// additional_chat_templates: the files the hub lists in it that match
// f.Glob are downloaded (each as an optional file); a folder the hub does
// not have, or with no such file, is recorded as .no_exist/<commit>/<folder>.
// A refused repository or revision is an error; any other failure to list
// (the hub down, a server error) leaves the folder unknown with a warning,
// as transformers then falls back to the folder of the cached snapshot.
func (h *hub) fetchFolder(ctx context.Context, c repoCache, repoID, commit string, f File) error {
	names, err := h.listFolder(ctx, repoID, commit, f.Name)
	var he *HTTPError
	switch {
	case errors.As(err, &he) && he.entryNotFound():
		h.log.Debug("optional folder not in repository", "folder", f.Name, "commit", commit)
		return c.markNoExistLogged(commit, f.Name, h)
	case errors.As(err, &he) && (he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden ||
		he.Code == "GatedRepo" || he.Code == "RepoNotFound" || he.Code == "RevisionNotFound"):
		return explain(err, repoID, commit, f.Name+"/")
	case err != nil:
		h.log.Warn("cannot list an optional folder on the hub; using what the cache has", "model", repoID, "folder", f.Name, "err", err)
		return nil
	}
	found, err := h.fetchListed(ctx, c, repoID, commit, f, names)
	if err != nil {
		// A partial snapshot folder would pass for a complete listing
		// next time: take it away (it did not exist, or the folder would
		// not have been listed).
		if rerr := os.RemoveAll(c.snapshotFile(commit, f.Name)); rerr != nil {
			h.log.Warn("cannot remove a partly fetched folder from the cache", "err", rerr)
		}
		if isNetError(err) {
			h.log.Warn("cannot fetch an optional folder from the hub; using what the cache has", "model", repoID, "folder", f.Name, "err", err)
			return nil
		}
		return err
	}
	if found == 0 {
		return c.markNoExistLogged(commit, f.Name, h)
	}
	return nil
}

// fetchListed downloads the listed names of folder f that match f.Glob and
// returns how many the hub had.
func (h *hub) fetchListed(ctx context.Context, c repoCache, repoID, commit string, f File, names []string) (int, error) {
	found := 0
	for _, name := range names {
		if ok, _ := path.Match(f.Glob, name); !ok {
			continue
		}
		if !safeListedName(name) {
			h.log.Warn("skipping a file with an unusable name", "model", repoID, "folder", f.Name, "file", name)
			continue
		}
		got, err := h.fetch(ctx, c, repoID, commit, File{Name: f.Name + "/" + name, Optional: true})
		if err != nil {
			return found, err
		}
		if got.commit != "" && got.commit != commit {
			return found, fmt.Errorf("the hub resolved %s/%s to commit %s, after %s for an earlier file", f.Name, name, got.commit, commit)
		}
		if got.found {
			found++
		}
	}
	return found, nil
}

// markNoExistLogged is markNoExist whose failure is only logged: the
// marker saves a request next time, nothing more.
func (c repoCache) markNoExistLogged(commit, name string, h *hub) error {
	if err := c.markNoExist(commit, name); err != nil {
		h.log.Warn("cannot record missing folder in cache", "err", err)
	}
	return nil
}

// safeListedName accepts a file name from a hub listing as one path
// segment of the cache: valid UTF-8, no "/", "\" or NUL, not "." or "..".
// (Names need not follow validateFilename's stricter rule: the hub has
// them, and transformers takes them as they are.)
func safeListedName(name string) bool {
	return name != "" && name != "." && name != ".." && utf8.ValidString(name) && !strings.ContainsAny(name, "/\\\x00")
}
