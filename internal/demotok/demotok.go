// Package demotok is the demo tokenizer embedded in the aggregator binary:
// a small byte-level BPE (16,000 tokens, Llama-3's pre-tokenizer, ChatML
// special tokens) with a chat template, so that `aggregator demo` shows the
// token pipeline with nothing but the repository. The files are a model
// directory like any other (tokenizer.json, tokenizer_config.json): they
// are counted by pkg/tokenize and rendered by pkg/chattmpl through exactly
// the loader and renderer a real model uses, after being written to disk
// (WriteDir, CacheDir), because shardworker processes load a tokenizer from
// a directory path.
//
// The files are made by the generator in ./gen from a text the repository
// generates, with the Hugging Face tokenizers library's own trainer (see
// docs/DESIGN.md, "Demo tokenizer"); rebuild them with
// `go generate ./internal/demotok`.
//
// The package is internal: the files are a demo artifact of this binary,
// not an API other modules should build on.
package demotok

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:generate go run ./gen -out model

//go:embed model/tokenizer.json model/tokenizer_config.json
var embedded embed.FS

// Files are the names of the model directory's files.
var Files = []string{"tokenizer.json", "tokenizer_config.json"}

// FS returns the model directory (the files named in Files) as a
// read-only file system.
func FS() fs.FS {
	sub, err := fs.Sub(embedded, "model")
	if err != nil {
		panic(err) // "model" is a valid path of the embedded tree
	}
	return sub
}

// file returns the embedded bytes of name (one of Files).
func file(name string) []byte {
	b, err := embedded.ReadFile("model/" + name)
	if err != nil {
		panic(err) // every name in Files is embedded
	}
	return b
}

var id = func() string {
	h := sha256.New()
	for _, name := range Files {
		b := file(name)
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}()

// ID returns a short hash of the embedded files (16 hex digits): it changes
// whenever the files do, and names CacheDir's directory.
func ID() string { return id }

// WriteDir writes the files into dir, creating dir if needed. Each file is
// written to a temporary name in dir and renamed into place, so a process
// reading dir (or writing it at the same time) never sees a partial file.
func WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write demo tokenizer: %w", err)
	}
	for _, name := range Files {
		if err := writeFile(dir, name, file(name)); err != nil {
			return fmt.Errorf("write demo tokenizer: %w", err)
		}
	}
	return nil
}

// writeFile writes data to dir/name through a temporary file and a rename.
func writeFile(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, "."+name+".tmp-")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// CacheDir returns a directory holding the files, shared by every run of
// this build: <user cache dir>/aggregator/demotok-<ID>. It is created on
// first use (written into a staging directory, then renamed into place, so
// concurrent runs race safely: one rename wins, the others use its result)
// and is never removed: it is immutable, named by its content, and small
// (see docs/DESIGN.md). A directory whose files differ from the embedded
// ones is rewritten in place, file by file (atomically, with the same
// content any concurrent writer writes). It fails when the system has no
// user cache directory ($XDG_CACHE_HOME or $HOME unset); use WriteDir into a
// directory of your own then.
func CacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("demo tokenizer cache: %w", err)
	}
	parent := filepath.Join(base, "aggregator")
	final := filepath.Join(parent, "demotok-"+ID())
	if verify(final) == nil {
		return final, nil
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("demo tokenizer cache: %w", err)
	}
	if _, err := os.Stat(final); err == nil {
		// There, but not what we embed (edited, or a file is missing).
		if err := WriteDir(final); err != nil {
			return "", err
		}
		return final, nil
	}
	stage, err := os.MkdirTemp(parent, ".demotok-stage-")
	if err != nil {
		return "", fmt.Errorf("demo tokenizer cache: %w", err)
	}
	defer os.RemoveAll(stage) // after a successful rename there is nothing left
	if err := WriteDir(stage); err != nil {
		return "", err
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		return "", fmt.Errorf("demo tokenizer cache: %w", err)
	}
	if err := os.Rename(stage, final); err != nil {
		// Another run renamed its copy first (the target is a non-empty
		// directory now): use it if it is complete.
		if verify(final) == nil {
			return final, nil
		}
		return "", fmt.Errorf("demo tokenizer cache: %w", err)
	}
	return final, nil
}

// verify returns nil when dir holds the embedded bytes of every file, else
// an error naming the first file that differs.
func verify(dir string) error {
	for _, name := range Files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if !bytes.Equal(b, file(name)) {
			return fmt.Errorf("%s differs from the embedded demo tokenizer", filepath.Join(dir, name))
		}
	}
	return nil
}
