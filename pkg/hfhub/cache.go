package hfhub

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultCacheDir is the hub cache huggingface_hub uses, from the
// environment: $HF_HUB_CACHE, else the legacy $HUGGINGFACE_HUB_CACHE, else
// $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
// ~/.cache/huggingface/hub. A leading "~" is expanded as Python's
// os.path.expanduser does ($VARS inside the values are not expanded).
func DefaultCacheDir() string {
	for _, k := range []string{"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"} {
		if v := os.Getenv(k); v != "" {
			return expandHome(v)
		}
	}
	return filepath.Join(hfHome(), "hub")
}

// hfHome is huggingface_hub's HF_HOME: $HF_HOME, else
// $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
func hfHome() string {
	if v := os.Getenv("HF_HOME"); v != "" {
		return expandHome(v)
	}
	if v := os.Getenv("XDG_CACHE_HOME"); v != "" {
		return filepath.Join(expandHome(v), "huggingface")
	}
	return filepath.Join(expandHome("~"), ".cache", "huggingface")
}

// expandHome replaces a leading "~" or "~/" with the home directory.
func expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, p[1:])
}

// repoCache is one model's folder in the hub cache, laid out as
// huggingface_hub lays it out:
//
//	models--ORG--NAME/
//	  blobs/<etag>                     file contents, named by git sha1 or LFS sha256
//	  refs/<revision>                  the commit hash the revision last resolved to
//	  snapshots/<commit>/<file>        relative symlink to ../../blobs/<etag>
//	  .no_exist/<commit>/<file>        empty: the file is known not to exist at <commit>
//
// Every write is a rename of a complete temporary file (or symlink) in the
// same directory, so concurrent writers (two daemons, or this and a Python
// tool) never expose partial content; the last rename wins, with identical
// content.
type repoCache struct {
	root string
}

func (c repoCache) refPath(rev string) string {
	return filepath.Join(c.root, "refs", filepath.FromSlash(rev))
}

func (c repoCache) blobPath(etag string) string {
	return filepath.Join(c.root, "blobs", etag)
}

func (c repoCache) snapshotDir(commit string) string {
	return filepath.Join(c.root, "snapshots", commit)
}

func (c repoCache) snapshotFile(commit, name string) string {
	return filepath.Join(c.snapshotDir(commit), filepath.FromSlash(name))
}

func (c repoCache) noExistPath(commit, name string) string {
	return filepath.Join(c.root, ".no_exist", commit, filepath.FromSlash(name))
}

// commitFor resolves rev to a commit hash as try_to_load_from_cache does:
// the content of refs/<rev> if that file exists, else rev itself (a commit
// hash names its snapshot directly). ok is false when the resolved commit
// has no snapshot folder.
func (c repoCache) commitFor(rev string) (commit string, ok bool, err error) {
	commit = rev
	b, err := os.ReadFile(c.refPath(rev))
	switch {
	case err == nil:
		commit = strings.TrimSpace(string(b))
		if err := checkSegment(commit); err != nil {
			return "", false, fmt.Errorf("corrupt cache ref %s: %w", c.refPath(rev), err)
		}
	case errors.Is(err, fs.ErrPermission):
		return "", false, fmt.Errorf("read cache ref: %w", err)
	}
	st, err := os.Stat(c.snapshotDir(commit))
	if err != nil || !st.IsDir() {
		return commit, false, nil
	}
	return commit, true, nil
}

// fileState is what the cache knows about one file at one commit.
type fileState int

const (
	fileUnknown  fileState = iota // neither present nor known missing
	filePresent                   // snapshots/<commit>/<file> resolves to a regular file
	fileNotExist                  // .no_exist/<commit>/<file> marks it absent upstream
)

// entryState is state for a file, folderState for a folder (File.Glob).
func (c repoCache) entryState(commit string, f File) fileState {
	if f.Glob != "" {
		return c.folderState(commit, f.Name)
	}
	return c.state(commit, f.Name)
}

// folderState is what the cache knows about a listed folder at one
// commit: present when its snapshot folder exists (its files were fetched
// after a listing), absent when .no_exist/<commit>/<folder> marks it
// (nothing to fetch there), else unknown.
func (c repoCache) folderState(commit, name string) fileState {
	if st, err := os.Stat(c.snapshotFile(commit, name)); err == nil && st.IsDir() {
		return filePresent
	}
	if st, err := os.Stat(c.noExistPath(commit, name)); err == nil && st.Mode().IsRegular() {
		return fileNotExist
	}
	return fileUnknown
}

func (c repoCache) state(commit, name string) fileState {
	if st, err := os.Stat(c.snapshotFile(commit, name)); err == nil && st.Mode().IsRegular() {
		return filePresent
	}
	if st, err := os.Stat(c.noExistPath(commit, name)); err == nil && st.Mode().IsRegular() {
		return fileNotExist
	}
	return fileUnknown
}

// writeRef records that rev resolves to commit, as
// _cache_commit_hash_for_specific_revision does (nothing for a revision that
// is the commit itself), but atomically. A branch name with "/" becomes
// nested folders under refs/, as in huggingface_hub.
func (c repoCache) writeRef(rev, commit string) error {
	if rev == commit {
		return nil
	}
	p := c.refPath(rev)
	if b, err := os.ReadFile(p); err == nil && string(b) == commit {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write cache ref: %w", err)
	}
	return writeFileAtomic(p, func(w io.Writer) error {
		_, err := io.WriteString(w, commit)
		return err
	})
}

// hasBlob reports whether blobs/<etag> exists as a regular file.
func (c repoCache) hasBlob(etag string) bool {
	st, err := os.Stat(c.blobPath(etag))
	return err == nil && st.Mode().IsRegular()
}

// storeBlob writes blobs/<etag> from fill, atomically.
func (c repoCache) storeBlob(etag string, fill func(io.Writer) error) error {
	p := c.blobPath(etag)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("create cache blobs folder: %w", err)
	}
	return writeFileAtomic(p, fill)
}

// link points snapshots/<commit>/<name> at blobs/<etag> with a relative
// symlink ("../../blobs/<etag>" for a top-level file), replacing whatever
// was there atomically. Where symlinks are not supported the blob is copied
// instead, as huggingface_hub does in its degraded mode.
func (c repoCache) link(commit, name, etag string) error {
	dst := c.snapshotFile(commit, name)
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create cache snapshot folder: %w", err)
	}
	target, err := filepath.Rel(dir, c.blobPath(etag))
	if err != nil {
		return fmt.Errorf("link cache snapshot: %w", err)
	}
	tmp := tempName(dst)
	if err := os.Symlink(target, tmp); err != nil {
		return c.copyBlob(etag, dst)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("link cache snapshot: %w", err)
	}
	return nil
}

func (c repoCache) copyBlob(etag, dst string) error {
	src, err := os.Open(c.blobPath(etag))
	if err != nil {
		return fmt.Errorf("copy cache blob: %w", err)
	}
	defer src.Close()
	return writeFileAtomic(dst, func(w io.Writer) error {
		_, err := io.Copy(w, src)
		return err
	})
}

// markNoExist records that name does not exist at commit (an empty file
// under .no_exist/, as huggingface_hub writes after a 404), so later
// resolutions, online or offline, need not ask again.
func (c repoCache) markNoExist(commit, name string) error {
	p := c.noExistPath(commit, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("mark %s missing in cache: %w", name, err)
	}
	return writeFileAtomic(p, func(io.Writer) error { return nil })
}

// writeFileAtomic writes path through a uniquely named temporary file in the
// same folder (created with mode 0666 minus the umask, like a plain Python
// open), synced, then renamed over path.
func writeFileAtomic(path string, fill func(io.Writer) error) (err error) {
	tmp := tempName(path)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// tempName is a unique sibling of path for a write-then-rename. The
// ".incomplete" suffix is the one huggingface_hub uses for partial blobs.
func tempName(path string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return path + "." + hex.EncodeToString(b[:]) + ".incomplete"
}
