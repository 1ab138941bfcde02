package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateReport = flag.Bool("update-report", false, "rewrite testdata/report/*/{stdout,stderr,exit}")

// repoRoot is where the report cases' paths are relative to.
const repoRoot = "../.."

// TestReportCLI runs `aggregator report` on every case folder of
// testdata/report (see its README) and compares stdout, stderr and the exit
// code with the expected files: golden text of the real upstream final
// snapshots (complete, interrupted, incomplete drain), --json, and the
// one-line FATAL errors of bad input.
func TestReportCLI(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob(filepath.Join(repoRoot, "testdata/report/*/args"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, argsPath := range dirs {
		dir := filepath.Dir(argsPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(argsPath)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(binPath, append([]string{"report"}, strings.Fields(string(raw))...)...)
			cmd.Dir = repoRoot
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			code := 0
			if err := cmd.Run(); err != nil {
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					t.Fatal(err)
				}
				code = ee.ExitCode()
			}
			if *updateReport {
				writeOrRemove(t, filepath.Join(dir, "stdout"), stdout.Bytes())
				writeOrRemove(t, filepath.Join(dir, "stderr"), stderr.Bytes())
				exit := []byte(nil)
				if code != 0 {
					exit = []byte(strconv.Itoa(code) + "\n")
				}
				writeOrRemove(t, filepath.Join(dir, "exit"), exit)
				return
			}
			wantCode := 0
			if b, err := os.ReadFile(filepath.Join(dir, "exit")); err == nil {
				wantCode, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			}
			if code != wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, wantCode, stderr.Bytes())
			}
			for _, s := range []struct {
				name string
				got  []byte
			}{{"stdout", stdout.Bytes()}, {"stderr", stderr.Bytes()}} {
				want, _ := os.ReadFile(filepath.Join(dir, s.name))
				if !bytes.Equal(s.got, want) {
					t.Errorf("%s differs from %s (rerun with -update-report to accept):\n--- got\n%s\n--- want\n%s",
						s.name, filepath.Join(dir, s.name), s.got, want)
				}
			}
			if wantCode != 0 {
				// Bad input: exactly one FATAL line, like the other subcommands.
				if lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "FATAL: ") {
					t.Errorf("want one FATAL: line on stderr, got %q", stderr.String())
				}
			}
		})
	}
}

func writeOrRemove(t *testing.T, path string, data []byte) {
	t.Helper()
	if len(data) == 0 {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReportHTMLFlag writes --html next to the text report: stdout is the
// same as without it, and the file is one self-contained page with a plot
// per non-empty series.
func TestReportHTMLFlag(t *testing.T) {
	t.Parallel()
	in := filepath.Join(repoRoot, "testdata/tokens-golden/expected.json")
	out := filepath.Join(t.TempDir(), "report.html")
	withHTML, err := exec.Command(binPath, "report", in, "--html", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	plain, err := exec.Command(binPath, "report", in).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(withHTML, plain) {
		t.Errorf("--html changed stdout:\n%s\nvs\n%s", withHTML, plain)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(page, []byte("<!DOCTYPE html>")) || !bytes.HasSuffix(page, []byte("</html>\n")) {
		t.Errorf("not a complete HTML page: %.80q ... %.80q", page, page[max(0, len(page)-80):])
	}
	if n := bytes.Count(page, []byte("<svg ")); n != 6 {
		t.Errorf("%d <svg> plots, want 6 (one per series of tokens-golden)", n)
	}
	for _, bad := range []string{"http://", "https://", "<script", "<link", "<img"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("page contains %q: not self-contained", bad)
		}
	}
}
