package tokoracle

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"unicode/utf8"
)

// Encode returns the token ids of every text, as the Hugging Face library
// computes them with encode(text, add_special_tokens=False), using the
// tokenizer.json at modelJSON.
func Encode(modelJSON string, texts []string) ([][]int, error) {
	var out [][]int
	err := run(modelJSON, texts, false, func(r result) { out = append(out, r.IDs) })
	return out, err
}

// Counts is Encode returning only the number of tokens of each text (less
// output to parse).
func Counts(modelJSON string, texts []string) ([]int, error) {
	out := make([]int, 0, len(texts))
	err := run(modelJSON, texts, true, func(r result) { out = append(out, r.Count) })
	return out, err
}

type result struct {
	Count int   `json:"count"`
	IDs   []int `json:"ids"`
}

// run feeds texts to count.js as JSON lines and hands each result line to fn.
func run(modelJSON string, texts []string, countsOnly bool, fn func(result)) error {
	for i, t := range texts {
		if !utf8.ValidString(t) {
			// JSON would replace the bytes with U+FFFD and the oracle would
			// count a different text.
			return fmt.Errorf("tokoracle: text %d is not valid UTF-8", i)
		}
	}
	js, err := script()
	if err != nil {
		return err
	}
	args := []string{js}
	if countsOnly {
		args = append(args, "--counts")
	}
	cmd := exec.Command("node", append(args, modelJSON)...)
	cmd.Dir = strings.TrimSuffix(js, "count.js")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("tokoracle: start node: %w", err)
	}
	writeErr := make(chan error, 1)
	go func() { writeErr <- writeTexts(stdin, texts) }()

	n := 0
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30)
	var parseErr error
	for sc.Scan() {
		var r result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			parseErr = fmt.Errorf("tokoracle: bad output line %d: %w", n+1, err)
			break
		}
		if !countsOnly && len(r.IDs) != r.Count {
			parseErr = fmt.Errorf("tokoracle: line %d: %d ids but count %d", n+1, len(r.IDs), r.Count)
			break
		}
		fn(r)
		n++
	}
	if parseErr == nil {
		parseErr = sc.Err()
	}
	_, _ = io.Copy(io.Discard, stdout)
	waitErr := cmd.Wait()
	if werr := <-writeErr; werr != nil && waitErr == nil && parseErr == nil {
		return fmt.Errorf("tokoracle: write texts: %w", werr)
	}
	if waitErr != nil {
		return fmt.Errorf("tokoracle: node count.js %s: %w: %s", modelJSON, waitErr, strings.TrimSpace(stderr.String()))
	}
	if parseErr != nil {
		return parseErr
	}
	if n != len(texts) {
		return fmt.Errorf("tokoracle: %d results for %d texts", n, len(texts))
	}
	return nil
}

func writeTexts(w io.WriteCloser, texts []string) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, t := range texts {
		if err := enc.Encode(struct {
			Text string `json:"text"`
		}{t}); err != nil {
			w.Close()
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
