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
	"unicode/utf8"
)

// SweepMode is what a SweepJob asks of the library.
type SweepMode string

// The sweep modes (scripts/tokenizer-oracle/sweep.js).
const (
	// SweepNormalize runs the tokenizer's normalizer alone on each text;
	// the answer is a []string.
	SweepNormalize SweepMode = "normalize"
	// SweepSpans runs the pre-tokenizer alone on each text; the answer is
	// a [][]int, the pieces of each text as flat [start, end) code-point
	// offsets.
	SweepSpans SweepMode = "spans"
	// SweepIDs encodes each text (add_special_tokens=false); the answer
	// is a [][]int of ids.
	SweepIDs SweepMode = "ids"
)

// SweepJob is one batch of probe texts for one tokenizer.json.
type SweepJob struct {
	Path  string    `json:"path"`
	Mode  SweepMode `json:"mode"`
	Texts []string  `json:"texts"`
}

// Sweep runs every job through the library in one node process and calls
// answer with each job's index and raw JSON answer (see SweepMode), in
// order, while the library works on the next job. A job the library fails
// on, or an answer that returns an error, stops the sweep with that error.
// With SWEEP_TIMING set, sweep.js reports each job's parse, run and
// stringify times on stderr, which is then passed through.
func Sweep(jobs []SweepJob, answer func(i int, out json.RawMessage) error) error {
	for _, j := range jobs {
		for k, t := range j.Texts {
			if !utf8.ValidString(t) {
				return fmt.Errorf("tokoracle: sweep %s: text %d is not valid UTF-8", j.Path, k)
			}
		}
	}
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, OracleDir)
	cmd := exec.Command("node", "--max-old-space-size=4096", filepath.Join(dir, "sweep.js"))
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if os.Getenv("SWEEP_TIMING") != "" {
		cmd.Stderr = io.MultiWriter(&stderr, os.Stderr)
	}
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
	werr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(stdin, 1<<20)
		enc := json.NewEncoder(w) // one line per job
		var err error
		for _, j := range jobs {
			if err = enc.Encode(j); err != nil {
				break
			}
		}
		if err == nil {
			err = w.Flush()
		}
		stdin.Close()
		werr <- err
	}()
	dec := json.NewDecoder(bufio.NewReaderSize(stdout, 1<<20))
	var ferr error
	for i := range jobs {
		var out json.RawMessage
		if err := dec.Decode(&out); err != nil {
			ferr = fmt.Errorf("tokoracle: sweep job %d (%s): %w", i, jobs[i].Path, err)
			break
		}
		var e struct {
			Error *string `json:"error"`
		}
		if len(out) > 0 && out[0] == '{' && json.Unmarshal(out, &e) == nil && e.Error != nil {
			ferr = fmt.Errorf("tokoracle: sweep job %d (%s): the library failed: %s", i, jobs[i].Path, *e.Error)
			break
		}
		if err := answer(i, out); err != nil {
			ferr = err
			break
		}
	}
	if ferr != nil {
		_ = cmd.Process.Kill()
	}
	_, _ = io.Copy(io.Discard, stdout)
	werrV := <-werr
	if err := cmd.Wait(); err != nil && ferr == nil {
		ferr = fmt.Errorf("tokoracle: sweep: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if ferr == nil && werrV != nil {
		ferr = fmt.Errorf("tokoracle: sweep: writing jobs: %w", werrV)
	}
	return ferr
}
