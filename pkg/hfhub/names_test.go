package hfhub

import (
	"strings"
	"testing"
)

func TestValidateRepoID(t *testing.T) {
	good := []string{"gpt2", "meta-llama/Llama-3.1-8B-Instruct", "deepseek-ai/DeepSeek-V3", "Qwen/Qwen3-0.6B", "a/b", "_x/y_", "org.name/model.v2"}
	for _, id := range good {
		if err := ValidateRepoID(id); err != nil {
			t.Errorf("ValidateRepoID(%q) = %v, want nil", id, err)
		}
	}
	bad := map[string]string{
		"":                      "empty",
		"..":                    `".."`,
		"../etc":                `".."`,
		"a/../b":                `"/"`,
		"a/..":                  `".."`,
		"/abs/path":             `more than one "/"`,
		"org/":                  "empty ORG or NAME",
		"/name":                 "empty ORG or NAME",
		"a//b":                  `more than one "/"`,
		"a/b/c":                 `more than one "/"`,
		`org\name`:              "not allowed",
		"org/na me":             "not allowed",
		"org/na:me":             "not allowed",
		"org/name%2F..":         "not allowed",
		"org/näme":              "not allowed",
		".hidden/model":         "must start and end",
		"org/.model":            "must start and end",
		"-org/model":            "must start and end",
		"org/-model":            "must start and end",
		"org/model-":            "must start and end",
		"org/model.":            "must start and end",
		"org--x/model":          `"--"`,
		"org/model.git":         `".git"`,
		strings.Repeat("a", 97): "longer than 96",
		"org/model\x00":         "not allowed",
		"~/model":               "not allowed",
	}
	for id, want := range bad {
		err := ValidateRepoID(id)
		if err == nil {
			t.Errorf("ValidateRepoID(%q) = nil, want an error", id)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateRepoID(%q) = %q, want it to mention %s", id, err, want)
		}
	}
}

func TestValidateRevision(t *testing.T) {
	for _, rev := range []string{"main", "v1.0", "refs/pr/1", "feature/x-y_z", commitA} {
		if err := ValidateRevision(rev); err != nil {
			t.Errorf("ValidateRevision(%q) = %v", rev, err)
		}
	}
	for _, rev := range []string{"", "..", "a/../b", "a/..", "/main", "main/", "a//b", ".hidden", "a/.b", "-x",
		`a\b`, "a b", "a%2Fb", "a:b", "~main"} {
		if err := ValidateRevision(rev); err == nil {
			t.Errorf("ValidateRevision(%q) = nil, want an error", rev)
		}
	}
}

func TestRepoFolderName(t *testing.T) {
	for id, want := range map[string]string{
		"meta-llama/Llama-3.1-8B": "models--meta-llama--Llama-3.1-8B",
		"gpt2":                    "models--gpt2",
	} {
		if got := repoFolderName(id); got != want {
			t.Errorf("repoFolderName(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestNormalizeETag(t *testing.T) {
	for in, want := range map[string]string{
		`"abc123"`:   "abc123",
		`W/"abc123"`: "abc123",
		`abc123`:     "abc123",
		` "abc" `:    "abc",
	} {
		if got := normalizeETag(in); got != want {
			t.Errorf("normalizeETag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFileURLEscapesRevision(t *testing.T) {
	h := &hub{endpoint: "https://hub.example"}
	for _, c := range []struct{ rev, name, want string }{
		{"main", "tokenizer.json", "https://hub.example/org/m/resolve/main/tokenizer.json"},
		{"refs/pr/1", "tokenizer.json", "https://hub.example/org/m/resolve/refs%2Fpr%2F1/tokenizer.json"},
		{"main", "sub/tokenizer.json", "https://hub.example/org/m/resolve/main/sub/tokenizer.json"},
	} {
		if got := h.fileURL("org/m", c.rev, c.name); got != c.want {
			t.Errorf("fileURL(%q, %q) = %q, want %q", c.rev, c.name, got, c.want)
		}
	}
}
