package tokoracle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Call is one call of the library's Node API in a build spec: an export of
// the tokenizers package ("nfkcNormalizer") or a static method
// ("BPE.init"), with its arguments (which may be Calls themselves).
type Call struct {
	Fn   string `json:"fn"`
	Args []any  `json:"args,omitempty"`
}

// Fn returns the Call of fn with args.
func Fn(fn string, args ...any) Call { return Call{Fn: fn, Args: args} }

// Bytes is an argument that build.js turns into an array of byte values
// (for precompiled()).
type Bytes []byte

// MarshalJSON encodes b as {"bytes_base64": ...}.
func (b Bytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string][]byte{"bytes_base64": b})
}

// AddedToken is an added token of a build spec (Tokenizer.addAddedTokens).
type AddedToken struct {
	Content string         `json:"content"`
	Special bool           `json:"special"`
	Options map[string]any `json:"options,omitempty"` // singleWord, leftStrip, rightStrip, normalized
}

// Spec describes a tokenizer built with the library's own API
// (scripts/tokenizer-oracle/build.js). Model or Base is required.
type Spec struct {
	// Base, when set, is a tokenizer.json the library loads first, for
	// components its npm API cannot construct (a Regex Split, the ByteLevel
	// decoder); Model, when set, then replaces its model.
	Base          string         `json:"base,omitempty"`
	Model         Call           `json:"model,omitzero"`
	Normalizer    *Call          `json:"normalizer,omitempty"`
	PreTokenizer  *Call          `json:"pre_tokenizer,omitempty"`
	PostProcessor *Call          `json:"post_processor,omitempty"`
	Decoder       *Call          `json:"decoder,omitempty"`
	Train         []string       `json:"train,omitempty"` // files to train the model on with its default trainer
	AddedTokens   []AddedToken   `json:"added_tokens,omitempty"`
	Truncation    map[string]any `json:"truncation,omitempty"` // maxLength and TruncationOptions
	Padding       map[string]any `json:"padding,omitempty"`    // PaddingOptions
}

// Build builds the tokenizer of spec with the library and saves it as
// out (a tokenizer.json written by the library itself).
func Build(spec Spec, out string) error {
	return BuildAll([]Spec{spec}, []string{out})
}

// BuildAll builds every spec (in one process) and saves it as the out of
// the same index.
func BuildAll(specs []Spec, outs []string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	type item struct {
		Spec
		Out string `json:"out"`
	}
	items := make([]item, len(specs))
	for i := range specs {
		items[i] = item{specs[i], outs[i]}
	}
	req, err := json.Marshal(items)
	if err != nil {
		return err
	}
	out := strings.Join(outs, ", ")
	dir := filepath.Join(root, OracleDir)
	cmd := exec.Command("node", filepath.Join(dir, "build.js"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("tokoracle: build %s: %w: %s", out, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// EncodeMany encodes texts with each tokenizer.json of paths (one node
// process, encodeBatch as upstream). Result [p][i] holds the ids of text i
// under paths[p], or nil where the library failed on it.
func EncodeMany(paths, texts []string) ([][][]int, error) {
	for i, t := range texts {
		if !utf8.ValidString(t) {
			return nil, fmt.Errorf("tokoracle: text %d is not valid UTF-8", i)
		}
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	req, err := json.Marshal(map[string]any{"paths": paths, "texts": texts})
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, OracleDir)
	cmd := exec.Command("node", filepath.Join(dir, "encode-many.js"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("tokoracle: start node: %w", err)
	}
	var out [][][]int
	dec := json.NewDecoder(stdout)
	for range paths {
		var ids [][]int
		if err := dec.Decode(&ids); err != nil {
			break
		}
		out = append(out, ids)
	}
	_, _ = io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("tokoracle: encode-many: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if len(out) != len(paths) {
		return nil, fmt.Errorf("tokoracle: encode-many answered for %d of %d tokenizers", len(out), len(paths))
	}
	return out, nil
}

// Probe runs the normalizer (mode "normalize": the normalized strings) or
// the pre-tokenizer (mode "pieces": the number of pieces) of the
// tokenizer.json at path alone on each text.
func Probe(path, mode string, texts []string) (any, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	req, err := json.Marshal(map[string]any{"path": path, "mode": mode, "texts": texts})
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, OracleDir)
	cmd := exec.Command("node", filepath.Join(dir, "probe.js"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("tokoracle: probe: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if mode == "normalize" {
		var s []string
		err = json.Unmarshal(out, &s)
		return s, err
	}
	var n []int
	err = json.Unmarshal(out, &n)
	return n, err
}
