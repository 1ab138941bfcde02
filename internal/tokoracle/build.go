package tokoracle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
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
// (scripts/tokenizer-oracle/build.js). Model is required.
type Spec struct {
	Model         Call           `json:"model"`
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
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	req, err := json.Marshal(struct {
		Spec
		Out string `json:"out"`
	}{spec, out})
	if err != nil {
		return err
	}
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
