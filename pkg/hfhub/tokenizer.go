package hfhub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TiktokenFiles are the tiktoken rank files asked of the hub for a model
// that has no tokenizer.json, all optional: the names model repos use
// (tiktoken.model, transformers' tokenizer.model) and the files named
// after the encodings pkg/tokenize knows. A local directory is searched
// by pkg/tokenize itself (any *.tiktoken).
var TiktokenFiles = []File{
	{Name: "tiktoken.model", Optional: true},
	{Name: "tokenizer.model", Optional: true},
	{Name: "cl100k_base.tiktoken", Optional: true},
	{Name: "o200k_base.tiktoken", Optional: true},
}

// ResolveTokenizer resolves a --tokenizer argument to the directory
// pkg/tokenize.LoadDir loads: TokenizerFiles with tokenizer.json, or, when
// the model has none, TokenizerFiles and its tiktoken rank file
// (TiktokenFiles). Only a model with neither is an error here; whether the
// files can be counted exactly is LoadDir's decision.
func ResolveTokenizer(ctx context.Context, nameOrDir string, o Options) (string, error) {
	first := make([]File, 0, len(TokenizerFiles))
	for _, f := range TokenizerFiles {
		if f.Name == "tokenizer.json" {
			f.Optional = true
		}
		first = append(first, f)
	}
	dir, err := Resolve(ctx, nameOrDir, first, o)
	if err != nil {
		return "", err
	}
	if regular(filepath.Join(dir, "tokenizer.json")) {
		return dir, nil
	}
	if st, err := os.Stat(nameOrDir); err == nil && st.IsDir() {
		return dir, nil // a local directory: LoadDir looks for rank files
	}
	dir, err = Resolve(ctx, nameOrDir, TiktokenFiles, o)
	if err != nil {
		return "", err
	}
	var names []string
	for _, f := range TiktokenFiles {
		if regular(filepath.Join(dir, filepath.FromSlash(f.Name))) {
			return dir, nil
		}
		names = append(names, f.Name)
	}
	return "", fmt.Errorf("resolve %q: the model has no tokenizer.json and no tiktoken rank file (%s)", nameOrDir, strings.Join(names, ", "))
}

func regular(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
