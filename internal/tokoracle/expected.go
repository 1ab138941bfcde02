package tokoracle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ExpectedDir is where recorded oracle counts live, relative to the root.
const ExpectedDir = "testdata/tokenize/expected"

// Expected is a recorded set of oracle counts for one model: text key
// (tokcorpus.Key) → token count. It is valid only for the tokenizer file
// whose SHA-256 it records.
type Expected struct {
	Model           string         `json:"model"`
	TokenizerSHA256 string         `json:"tokenizer_sha256"`
	Oracle          string         `json:"oracle"`
	CorpusSeed      uint64         `json:"corpus_seed"`
	Counts          map[string]int `json:"counts"`
}

// ExpectedPath returns the path of the recorded counts of model.
func ExpectedPath(model string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ExpectedDir, model+".json"), nil
}

// LoadExpected reads the recorded counts of model.
func LoadExpected(model string) (*Expected, error) {
	p, err := ExpectedPath(model)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var e Expected
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &e, nil
}

// Write stores e at path (sorted keys, one per line, for readable diffs).
func (e *Expected) Write(path string) error {
	b, err := json.MarshalIndent(e, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// FileSHA256 returns the hex SHA-256 of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// OracleVersion returns "tokenizers <version>" of the installed library.
func OracleVersion() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(root, OracleDir, "node_modules", "tokenizers", "package.json"))
	if err != nil {
		return "", err
	}
	var p struct{ Version string }
	if err := json.Unmarshal(b, &p); err != nil {
		return "", err
	}
	return "tokenizers " + p.Version, nil
}
