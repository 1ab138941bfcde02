package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadInvocationsFailWithOneFatalLine: every bad command line exits
// non-zero with exactly one "FATAL: ..." line on stderr naming the problem.
func TestBadInvocationsFailWithOneFatalLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"--socket-dir", dir, "--socket-name", "ev", "--metrics-socket", "met"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing output dir", append(base, "--metrics-output-dir", filepath.Join(dir, "nope")), "does not exist or is not a directory"},
		{"output dir is a file", append(base, "--metrics-output-dir", file), "does not exist or is not a directory"},
		{"no output dir flag", base, "--metrics-output-dir is required"},
		{"no socket dir", []string{"--socket-name", "ev", "--metrics-socket", "m", "--metrics-output-dir", dir}, "--socket-dir is required"},
		{"negative workers", append(base, "--metrics-output-dir", dir, "--tokenizer-workers", "-1"), "--tokenizer-workers must be >= 0"},
		{"negative interval", append(base, "--metrics-output-dir", dir, "--publish-interval", "-0.5"), "--publish-interval must be >= 0"},
		{"infinite interval", append(base, "--metrics-output-dir", dir, "--publish-interval", "inf"), "--publish-interval must be a finite number"},
		{"negative drain", append(base, "--metrics-output-dir", dir, "--drain-timeout", "-1"), "--drain-timeout must be >= 0"},
		{"NaN drain", append(base, "--metrics-output-dir", dir, "--drain-timeout", "nan"), "--drain-timeout must be >= 0"},
		{"sig figs", append(base, "--metrics-output-dir", dir, "--hdr-sig-figs", "9"), "--hdr-sig-figs"},
		{"buckets", append(base, "--metrics-output-dir", dir, "--n-histogram-buckets", "0"), "--n-histogram-buckets"},
		{"unknown flag", append(base, "--metrics-output-dir", dir, "--no-such-flag"), "unknown flag: --no-such-flag"},
		{"not a number", append(base, "--metrics-output-dir", dir, "--publish-interval", "fast"), "publish-interval"},
		{"log format", append(base, "--metrics-output-dir", dir, "--log-format", "xml"), "--log-format"},
		{"log level", append(base, "--metrics-output-dir", dir, "--log-level", "loud"), "--log-level"},
		{"stray argument", append(base, "--metrics-output-dir", dir, "extra"), "extra"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A command line that is accepted by mistake would run the
			// daemon forever: bound it so the test fails, not hangs.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binPath, c.args...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			if err == nil {
				t.Fatalf("exit 0, want failure; stderr:\n%s", stderr.String())
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "FATAL: ") {
				t.Fatalf("want one FATAL line, got:\n%s", stderr.String())
			}
			if !strings.Contains(lines[0], c.want) {
				t.Errorf("FATAL line %q does not mention %q", lines[0], c.want)
			}
		})
	}
}

// TestHelpListsEveryUpstreamFlag keeps the command line a drop-in.
func TestHelpListsEveryUpstreamFlag(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binPath, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("--help: %v\n%s", err, out)
	}
	for _, f := range []string{
		"--socket-dir", "--socket-name", "--metrics-socket", "--metrics-output-dir",
		"--publish-interval float", "--drain-timeout float", "--hdr-sig-figs int", "--n-histogram-buckets int",
		"--tokenizer string", "--tokenizer-workers int", "--streaming", "--early-stopping",
		"--readiness-path string", "--readiness-id int", "--log-format", "--log-level",
	} {
		if !strings.Contains(string(out), f) {
			t.Errorf("--help lacks %s", f)
		}
	}
	for _, d := range []string{"(default 0.25)", "(default 3)", "(default 30)", "(default 4)"} {
		if !strings.Contains(string(out), d) {
			t.Errorf("--help lacks default %s", d)
		}
	}
}

// TestPrometheusAddrFromEnvironment: the benchmark passes only its own
// arguments, so $AGGREGATOR_PROMETHEUS_ADDR is --prometheus-addr's default
// (a bad one fails start-up naming the flag, which proves it was read).
func TestPrometheusAddrFromEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(binPath, "--socket-dir", dir, "--socket-name", "ev", "--metrics-socket", "met", "--metrics-output-dir", dir)
	cmd.Env = append(os.Environ(), PrometheusAddrEnv+"=nonsense:port")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "FATAL: --prometheus-addr") {
		t.Fatalf("err %v, output %s; want a FATAL naming --prometheus-addr", err, out)
	}
	help, _ := exec.Command(binPath, "--help").CombinedOutput()
	if !strings.Contains(string(help), "$"+PrometheusAddrEnv) {
		t.Error("--help does not mention the environment default")
	}
}
