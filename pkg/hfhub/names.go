package hfhub

import (
	"errors"
	"fmt"
	"strings"
)

// maxRepoIDLen is huggingface_hub's limit on a repo id (validate_repo_id).
const maxRepoIDLen = 96

// ValidateRepoID checks that id is a Hugging Face model id ("ORG/NAME" or
// "NAME") that maps to exactly one folder of the cache and cannot escape it.
// The rules are huggingface_hub's validate_repo_id, stated per part: at most
// one "/", each part non-empty, made of [A-Za-z0-9._-], starting and ending
// with a letter, digit or "_"; no "--" (the cache folder separator), no "..",
// no ".git" suffix, at most 96 characters.
func ValidateRepoID(id string) error {
	bad := func(why string) error { return fmt.Errorf("invalid model id %q: %s", id, why) }
	switch {
	case id == "":
		return bad("empty")
	case len(id) > maxRepoIDLen:
		return bad(fmt.Sprintf("longer than %d characters", maxRepoIDLen))
	case strings.Count(id, "/") > 1:
		return bad(`more than one "/" (want ORG/NAME or NAME)`)
	case strings.Contains(id, "--"):
		return bad(`"--" is not allowed`)
	case strings.Contains(id, ".."):
		return bad(`".." is not allowed`)
	case strings.HasSuffix(id, ".git"):
		return bad(`".git" suffix is not allowed`)
	}
	for _, part := range strings.Split(id, "/") {
		if part == "" {
			return bad("empty ORG or NAME")
		}
		if err := checkChars(part); err != nil {
			return bad(err.Error())
		}
		if !isWordByte(part[0]) || !isWordByte(part[len(part)-1]) {
			return bad(fmt.Sprintf("%q must start and end with a letter, digit or _", part))
		}
	}
	return nil
}

// ValidateRevision checks a git revision (branch, tag or commit hash) for use
// in the cache and the download URL. Branch names may contain "/" (the hub's
// pull-request refs are "refs/pr/N"); the cache then stores
// refs/<revision> as nested folders, exactly as huggingface_hub does, and the
// URL carries the revision as one escaped path segment. Each "/"-separated
// segment must be non-empty, made of [A-Za-z0-9._-], and not start with "."
// or "-"; ".." is rejected anywhere. This is stricter than git (which also
// allows e.g. "+" or "@" in branch names): such revisions are refused rather
// than risked.
func ValidateRevision(rev string) error {
	if err := checkRelPath(rev); err != nil {
		return fmt.Errorf("invalid revision %q: %w", rev, err)
	}
	return nil
}

// validateFilename checks a file name inside the repository ("tokenizer.json",
// or "sub/dir/file.json") with the same segment rules as a revision.
func validateFilename(name string) error {
	if err := checkRelPath(name); err != nil {
		return fmt.Errorf("invalid file name %q: %w", name, err)
	}
	return nil
}

// checkRelPath checks a "/"-separated relative path of safe segments.
func checkRelPath(p string) error {
	if p == "" {
		return errors.New("empty")
	}
	if strings.Contains(p, "..") {
		return errors.New(`".." is not allowed`)
	}
	for _, seg := range strings.Split(p, "/") {
		if err := checkSegment(seg); err != nil {
			return err
		}
	}
	return nil
}

// checkSegment checks one path segment: non-empty, [A-Za-z0-9._-] only, not
// starting with "." or "-" (so never ".", "..", a hidden file or an option).
func checkSegment(seg string) error {
	if seg == "" {
		return errors.New(`empty path segment (leading, trailing or doubled "/")`)
	}
	if seg[0] == '.' || seg[0] == '-' {
		return fmt.Errorf("%q starts with %q", seg, seg[:1])
	}
	return checkChars(seg)
}

// checkChars reports the first byte of s outside [A-Za-z0-9._-].
func checkChars(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isWordByte(c) && c != '.' && c != '-' {
			return fmt.Errorf("character %q is not allowed (want A-Z a-z 0-9 . _ -)", rune(c))
		}
	}
	return nil
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// repoFolderName is the cache folder of a model: "models--ORG--NAME", as
// huggingface_hub's repo_folder_name builds it.
func repoFolderName(repoID string) string {
	return "models--" + strings.ReplaceAll(repoID, "/", "--")
}

// normalizeETag strips the weak-validator prefix and the quotes from an ETag
// header, as huggingface_hub's _normalize_etag does.
func normalizeETag(etag string) string {
	etag = strings.TrimSpace(etag)
	etag = strings.TrimPrefix(etag, "W/")
	return strings.Trim(etag, `"`)
}
