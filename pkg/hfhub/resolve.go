// Package hfhub resolves a --tokenizer argument the way transformers'
// from_pretrained does: a local directory as is, else a Hugging Face model
// id looked up in the shared hub cache and, when missing there, downloaded
// from the hub into that same cache in huggingface_hub's exact layout
// (blobs/, refs/, snapshots/ with relative symlinks, .no_exist/), so the
// Python tools and this package share one cache.
//
// The environment is read as huggingface_hub reads it: HF_HUB_CACHE,
// HF_HOME, XDG_CACHE_HOME (cache), HF_ENDPOINT (hub URL), HF_TOKEN,
// HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH, $HF_HOME/token (token),
// HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE (offline mode). Options override
// each of them.
//
// One deliberate difference: when the cache already holds every requested
// file for the revision, Resolve does not ask the hub whether the branch
// moved (huggingface_hub sends a HEAD per file to check). Start-up of the
// daemon then never depends on the network once the cache is filled. Pass
// a commit hash as the revision, or delete refs/<revision>, to pin or
// refresh. For the same reason a folder listed through the hub's tree API
// (additional_chat_templates/, which transformers lists on every load)
// that the hub does not have is recorded as .no_exist/<commit>/<folder>,
// a marker huggingface_hub itself writes only for files.
package hfhub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// DefaultEndpoint is the hub used when neither Options.Endpoint nor
// $HF_ENDPOINT is set.
const DefaultEndpoint = "https://huggingface.co"

// DefaultRevision is the revision used when Options.Revision is empty.
const DefaultRevision = "main"

// ErrNotCached is wrapped by the error Resolve returns in offline mode when
// the cache lacks a required file.
var ErrNotCached = errors.New("not in the local cache")

// File is one file, or one folder of files, of the model repository to
// resolve.
type File struct {
	Name     string // path inside the repository, "/"-separated
	Optional bool   // absent upstream (404) is fine
	// Glob, when set, makes Name a folder: every file directly in it whose
	// name matches the path.Match pattern Glob is resolved, as
	// transformers' list_repo_templates does for chat templates. Online
	// the folder is listed through the hub's tree API
	// (huggingface_hub's list_repo_tree); from the cache, and offline, its
	// snapshot folder is what there is. A folder is always optional; one
	// the hub does not have (or without a matching file) is recorded as
	// .no_exist/<commit>/<Name>, so a filled cache needs no network.
	Glob string
}

// TokenizerFiles are the files transformers' AutoTokenizer reads that the
// aggregator uses: tokenizer.json; tokenizer_config.json,
// chat_template.jinja and additional_chat_templates/*.jinja when the model
// has them (the chat templates, see tokenize.LoadDir).
var TokenizerFiles = []File{
	{Name: "tokenizer.json"},
	{Name: "tokenizer_config.json", Optional: true},
	{Name: "chat_template.jinja", Optional: true},
	{Name: "additional_chat_templates", Optional: true, Glob: "*.jinja"},
}

// Options tune Resolve. The zero value reads everything from the
// environment.
type Options struct {
	// CacheDir is the hub cache; "" = DefaultCacheDir() (from the environment).
	CacheDir string
	// Endpoint is the hub URL; "" = $HF_ENDPOINT, else DefaultEndpoint.
	Endpoint string
	// Token is sent as "Authorization: Bearer" to the hub (never to another
	// host a redirect leads to); "" = $HF_TOKEN, else
	// $HUGGING_FACE_HUB_TOKEN, else the token file ($HF_TOKEN_PATH, else
	// $HF_HOME/token) that `hf auth login` writes.
	Token string
	// Offline forbids any network access; also on when HF_HUB_OFFLINE or
	// TRANSFORMERS_OFFLINE is 1, ON, YES or TRUE.
	Offline bool
	// Revision is a branch, tag or commit hash; "" = DefaultRevision.
	Revision string
	// HTTPClient is used for the hub; nil = a default client honouring the
	// proxy environment. Its redirect policy is wrapped (see newClient).
	HTTPClient *http.Client
	// Log receives debug and download notes; nil = discard.
	Log *slog.Logger
}

// Resolve returns the directory holding files for nameOrDir.
//
// An existing directory is returned as is, after checking that it holds
// the required files; an existing file is an error (pass its directory).
// Anything else must be a model id ("ORG/NAME" or
// "NAME", see ValidateRepoID). Its snapshot for the revision is looked up
// in the hub cache (refs/<revision> → snapshots/<commit>/); when every
// required file is there and every optional one (or folder, see
// File.Glob) is either there or known absent (.no_exist/), that snapshot
// directory is returned. Otherwise the files are downloaded from the hub
// into the cache — all at the commit the first one resolved to, so the
// snapshot is consistent; folders are listed at that commit — and
// refs/<revision> is updated. Offline, the cache alone decides and the
// error names what is missing and where it looked. files nil means
// TokenizerFiles.
func Resolve(ctx context.Context, nameOrDir string, files []File, o Options) (string, error) {
	dir, err := resolve(ctx, nameOrDir, files, o)
	if err != nil {
		return "", fmt.Errorf("resolve %q: %w", nameOrDir, err)
	}
	return dir, nil
}

func resolve(ctx context.Context, nameOrDir string, files []File, o Options) (string, error) {
	if files == nil {
		files = TokenizerFiles
	}
	if len(files) == 0 {
		return "", errors.New("no files requested")
	}
	for _, f := range files {
		if err := validateFilename(f.Name); err != nil {
			return "", err
		}
	}
	if st, err := os.Stat(nameOrDir); err == nil {
		if !st.IsDir() {
			return "", errors.New("is a file: want the directory holding it, or a model id")
		}
		return nameOrDir, checkLocalDir(nameOrDir, files)
	}
	if err := ValidateRepoID(nameOrDir); err != nil {
		return "", fmt.Errorf("not a local directory, and %w", err)
	}
	rev := o.Revision
	if rev == "" {
		rev = DefaultRevision
	}
	if err := ValidateRevision(rev); err != nil {
		return "", err
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cacheDir := o.CacheDir
	if cacheDir == "" {
		cacheDir = DefaultCacheDir()
	}
	cache := repoCache{root: filepath.Join(cacheDir, repoFolderName(nameOrDir))}

	commit, haveSnapshot, err := cache.commitFor(rev)
	if err != nil {
		return "", err
	}
	requiredMissing, unknown := false, false
	if haveSnapshot {
		for _, f := range files {
			switch cache.entryState(commit, f) {
			case filePresent:
			case fileNotExist:
				requiredMissing = requiredMissing || !f.Optional
			case fileUnknown:
				unknown = true
				requiredMissing = requiredMissing || !f.Optional
			}
		}
	}
	offline := o.Offline || envTrue("HF_HUB_OFFLINE") || envTrue("TRANSFORMERS_OFFLINE")
	if haveSnapshot && !requiredMissing && (!unknown || offline) {
		log.Debug("tokenizer files from the hub cache", "model", nameOrDir, "revision", rev, "dir", cache.snapshotDir(commit))
		return cache.snapshotDir(commit), nil
	}
	if offline {
		return "", offlineMiss(cache, nameOrDir, rev, commit, haveSnapshot, files)
	}

	endpoint, err := hubEndpoint(o.Endpoint)
	if err != nil {
		return "", err
	}
	token := o.Token
	if token == "" {
		token = envToken()
	}
	h := &hub{endpoint: endpoint, token: token, client: newClient(o.HTTPClient), log: log}

	// Only optional files unknown: complete the cached snapshot at its
	// commit. Otherwise fetch everything from the revision afresh (blobs
	// already cached are not downloaded again).
	completing := haveSnapshot && !requiredMissing
	pin := rev
	toFetch := files
	if completing {
		pin = commit
		toFetch = nil
		for _, f := range files {
			if cache.entryState(commit, f) == fileUnknown {
				toFetch = append(toFetch, f)
			}
		}
	}
	resolved := ""
	if completing {
		resolved = commit
	}
	var folders []File
	for _, f := range toFetch {
		if f.Glob != "" {
			folders = append(folders, f) // listed once the commit is known
			continue
		}
		got, err := h.fetch(ctx, cache, nameOrDir, pin, f)
		if err != nil {
			if completing && isNetError(err) {
				log.Warn("hub unreachable; using the cached snapshot without an optional file",
					"model", nameOrDir, "file", f.Name, "err", err)
				continue
			}
			return "", err
		}
		if got.commit == "" {
			continue
		}
		if resolved == "" {
			resolved, pin = got.commit, got.commit
		} else if got.commit != resolved {
			return "", fmt.Errorf("the hub resolved %s to commit %s, after %s for an earlier file", f.Name, got.commit, resolved)
		}
	}
	if resolved == "" {
		return "", fmt.Errorf("the hub sent no commit hash for revision %q", rev)
	}
	for _, f := range folders {
		if err := h.fetchFolder(ctx, cache, nameOrDir, resolved, f); err != nil {
			return "", err
		}
	}
	if !completing {
		if err := cache.writeRef(rev, resolved); err != nil {
			return "", err
		}
	}
	return cache.snapshotDir(resolved), nil
}

// checkLocalDir checks that a local directory holds the required files.
func checkLocalDir(dir string, files []File) error {
	var missing []string
	for _, f := range files {
		if f.Optional || f.Glob != "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Name))); err != nil || !st.Mode().IsRegular() {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("local directory %s has no %s", dir, strings.Join(missing, ", "))
	}
	return nil
}

// offlineMiss explains an offline cache miss: which files, which folder.
func offlineMiss(c repoCache, repoID, rev, commit string, haveSnapshot bool, files []File) error {
	mode := "offline mode (HF_HUB_OFFLINE=1 or --offline)"
	if !haveSnapshot {
		where := c.root
		if _, err := os.Stat(c.root); err != nil {
			return fmt.Errorf("%s: model %s is %w: no folder %s", mode, repoID, ErrNotCached, where)
		}
		if commit != rev {
			return fmt.Errorf("%s: model %s revision %q is %w: %s points to commit %s, which has no folder %s",
				mode, repoID, rev, ErrNotCached, c.refPath(rev), commit, c.snapshotDir(commit))
		}
		return fmt.Errorf("%s: model %s revision %q is %w: no %s and no %s",
			mode, repoID, rev, ErrNotCached, c.refPath(rev), c.snapshotDir(rev))
	}
	var missing []string
	for _, f := range files {
		if !f.Optional && f.Glob == "" && c.state(commit, f.Name) != filePresent {
			missing = append(missing, f.Name)
		}
	}
	return fmt.Errorf("%s: %s %w for model %s revision %q: looked in %s",
		mode, strings.Join(missing, ", "), ErrNotCached, repoID, rev, c.snapshotDir(commit))
}

// hubEndpoint picks and checks the hub URL.
func hubEndpoint(opt string) (string, error) {
	ep := opt
	if ep == "" {
		ep = os.Getenv("HF_ENDPOINT")
	}
	if ep == "" {
		ep = DefaultEndpoint
	}
	ep = strings.TrimRight(ep, "/")
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("hub endpoint %q (HF_ENDPOINT): want an http(s) URL", ep)
	}
	return ep, nil
}

// envToken is huggingface_hub's get_token without Colab: $HF_TOKEN, else
// $HUGGING_FACE_HUB_TOKEN, else the token file.
func envToken() string {
	for _, k := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if t := cleanToken(os.Getenv(k)); t != "" {
			return t
		}
	}
	path := os.Getenv("HF_TOKEN_PATH")
	if path == "" {
		path = filepath.Join(hfHome(), "token")
	}
	b, err := os.ReadFile(expandHome(path))
	if err != nil {
		return ""
	}
	return cleanToken(string(b))
}

// cleanToken is huggingface_hub's _clean_token: line breaks removed, spaces
// trimmed.
func cleanToken(t string) string {
	return strings.TrimSpace(strings.NewReplacer("\r", "", "\n", "").Replace(t))
}

// envTrue is huggingface_hub's _is_true for an environment variable.
func envTrue(key string) bool {
	switch strings.ToUpper(os.Getenv(key)) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}
