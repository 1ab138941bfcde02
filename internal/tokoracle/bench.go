package tokoracle

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Bench is a running single-threaded timing process of the oracle
// (count.js --bench --serve): it has loaded one tokenizer and a fixed list
// of texts, and times one encode pass over them per Round, so that a caller
// can interleave its own passes with the oracle's in one run.
type Bench struct {
	LoadMS float64 // the oracle's Tokenizer.fromFile time
	Counts []int   // token count of each text

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Scanner
	stderr *bytes.Buffer
	dir    string
}

// BenchRound is one timed pass of the oracle over all texts.
type BenchRound struct {
	Tokens int   `json:"tokens"`
	WallNS int64 `json:"wall_ns"`
	CPUNS  int64 `json:"cpu_ns"` // process CPU time; ≈ WallNS when single-threaded
}

// TokensPerSec is the pass's throughput.
func (r BenchRound) TokensPerSec() float64 { return float64(r.Tokens) / (float64(r.WallNS) / 1e9) }

// StartBench starts the oracle's timing process for the tokenizer.json at
// modelJSON and texts, and waits until it has loaded, counted and warmed up.
func StartBench(modelJSON string, texts []string) (*Bench, error) {
	js, err := script()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tokoracle-bench-")
	if err != nil {
		return nil, err
	}
	input := filepath.Join(dir, "texts.jsonl")
	f, err := os.Create(input)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := writeTexts(f, texts); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	b := &Bench{dir: dir, stderr: &bytes.Buffer{}}
	b.cmd = exec.Command("node", js, "--bench", "--serve", "--input", input, modelJSON)
	b.cmd.Env = append(os.Environ(), "RAYON_NUM_THREADS=1", "TOKENIZERS_PARALLELISM=false")
	b.cmd.Stderr = b.stderr
	if b.stdin, err = b.cmd.StdinPipe(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stdout, err := b.cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := b.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("tokoracle: start node: %w", err)
	}
	b.out = bufio.NewScanner(stdout)
	b.out.Buffer(make([]byte, 0, 1<<16), 1<<26)
	var ready struct {
		Ready  bool    `json:"ready"`
		LoadMS float64 `json:"load_ms"`
		Counts []int   `json:"counts"`
	}
	if err := b.read(&ready); err != nil {
		b.Close()
		return nil, err
	}
	if !ready.Ready || len(ready.Counts) != len(texts) {
		b.Close()
		return nil, fmt.Errorf("tokoracle: bench not ready (%d counts for %d texts)", len(ready.Counts), len(texts))
	}
	b.LoadMS, b.Counts = ready.LoadMS, ready.Counts
	return b, nil
}

func (b *Bench) read(v any) error {
	if !b.out.Scan() {
		err := b.out.Err()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("tokoracle: bench: %w: %s", err, strings.TrimSpace(b.stderr.String()))
	}
	return json.Unmarshal(b.out.Bytes(), v)
}

// Round runs one timed encode pass of the oracle over all texts.
func (b *Bench) Round() (BenchRound, error) {
	var r BenchRound
	if _, err := io.WriteString(b.stdin, "round\n"); err != nil {
		return r, err
	}
	err := b.read(&r)
	return r, err
}

// Close stops the process and removes its input file.
func (b *Bench) Close() error {
	b.stdin.Close()
	err := b.cmd.Wait()
	os.RemoveAll(b.dir)
	if err != nil {
		return fmt.Errorf("tokoracle: bench: %w: %s", err, strings.TrimSpace(b.stderr.String()))
	}
	return nil
}
