package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// pyModule is the module of deploy/python that the benchmark runs with
// `python -m` in place of its own aggregator (deploy/README.md).
const pyModule = "go_metrics_aggregator"

// benchmarkTail is what upstream's _build_aggregator_args
// (src/inference_endpoint/commands/benchmark/pipeline.py) appends after the
// optional flags with the schema defaults (no tokenizer), since #409:
// --drain-timeout only when metrics_drain_timeout_s is set (default null).
var benchmarkTail = []string{"--tokenizer-workers", "4"}

func deployPythonDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "deploy", "python"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, pyModule, "__main__.py")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// moduleEnv is the environment under which `python3 -m go_metrics_aggregator`
// finds the package (PYTHONPATH) and the daemon under test (AGGREGATOR_BIN);
// no __pycache__ is written into the source tree.
func moduleEnv(t *testing.T) []string {
	return []string{"PYTHONPATH=" + deployPythonDir(t), "AGGREGATOR_BIN=" + binPath, "PYTHONDONTWRITEBYTECODE=1"}
}

// TestDeployPythonModuleLikeBenchmark: the launcher spawns
// `sys.executable -m go_metrics_aggregator ARGS` exactly as the benchmark's
// ServiceLauncher spawns its aggregator module (the same argument list,
// readiness path and id appended); the module execs the daemon, which
// signals readiness, folds the stream and writes upstream's final snapshot.
func TestDeployPythonModuleLikeBenchmark(t *testing.T) {
	t.Parallel()
	c := golden(t, "earlystop")
	daemonArgs := append(append([]string{}, c.args...), benchmarkTail...)
	res, out := launchEnv(t, filepath.Join(c.dir, "events.jsonl.gz"), moduleEnv(t), nil,
		[]string{"--python-module", pyModule, "--batch", "200", "--pace", "0.01"}, daemonArgs)
	if res.Exit != 0 {
		logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
		t.Fatalf("exit %d; daemon log:\n%s", res.Exit, logb)
	}
	if res.ReadyID != 7 {
		t.Errorf("readiness id %d, want 7", res.ReadyID)
	}
	if len(res.Args) < 2 {
		t.Fatalf("launcher reported arguments %q", res.Args)
	}
	want := []string{"--socket-dir", res.Args[1], "--socket-name", "ev", "--metrics-socket", "met",
		"--metrics-output-dir", out}
	want = append(append(want, daemonArgs...), "--readiness-path", "svc_ready_1a2b3c4d", "--readiness-id", "7")
	if !reflect.DeepEqual(res.Args, want) {
		t.Errorf("daemon arguments\n got %q\nwant %q", res.Args, want)
	}
	if _, err := os.Stat(filepath.Join(out, ".ready")); err != nil {
		t.Errorf(".ready marker: %v", err)
	}
	compareFinal(t, c, out)
	if len(res.Snapshots) == 0 {
		t.Fatal("no snapshot frames")
	}
	if last := res.Snapshots[len(res.Snapshots)-1]; last[2] != "complete" {
		t.Errorf("last frame state %v, want complete", last[2])
	}
}

// TestDeployPythonModuleSIGTERM: the benchmark's SIGTERM goes to the pid it
// spawned; through the module that pid is the daemon's own (exec, no
// wrapper process), so the daemon writes the interrupted snapshot and exits
// 0. A wrapper that did not forward the signal would die of it (exit -15)
// and leave no final snapshot.
func TestDeployPythonModuleSIGTERM(t *testing.T) {
	t.Parallel()
	c := golden(t, "interrupted")
	n := countLines(t, filepath.Join(c.dir, "events.jsonl.gz"))
	res, out := launchEnv(t, filepath.Join(c.dir, "events.jsonl.gz"), moduleEnv(t), nil,
		[]string{"--python-module", pyModule, "--mode", "sigterm", "--stop-after", strconv.Itoa(n)},
		append([]string{"--streaming"}, benchmarkTail...))
	if res.Exit != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0", res.Exit)
	}
	compareFinal(t, c, out)
	if last := res.Snapshots[len(res.Snapshots)-1]; last[2] != "interrupted" {
		t.Errorf("last frame state %v, want interrupted", last[2])
	}
}

// pyPackageCopy copies the module's sources into a fresh PYTHONPATH root so
// a test controls what sits next to the package (a vendored bin/).
func pyPackageCopy(t *testing.T) (root, pkg string) {
	t.Helper()
	src := filepath.Join(deployPythonDir(t), pyModule)
	root = t.TempDir()
	pkg = filepath.Join(root, pyModule)
	if err := os.Mkdir(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"__init__.py", "__main__.py"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pkg, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root, pkg
}

// runModule runs `python3 -m go_metrics_aggregator args...` with exactly env
// (plus PYTHONPATH=root) and returns its exit status, stdout and stderr.
func runModule(t *testing.T, root string, env []string, args ...string) (int, string, string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(python, append([]string{"-m", pyModule}, args...)...)
	cmd.Env = append([]string{"PYTHONPATH=" + root, "LANG=C.UTF-8"}, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("run module: %v", err)
		}
		code = ee.ExitCode()
	}
	return code, stdout.String(), stderr.String(), cmd
}

func needPython(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s not installed: %v", python, err)
	}
}

// TestDeployPythonModuleNoBinary: no binary anywhere → exit 127 and exactly
// one line on stderr; a wrong $AGGREGATOR_BIN is the same error, never
// silently replaced by another binary.
func TestDeployPythonModuleNoBinary(t *testing.T) {
	t.Parallel()
	needPython(t)
	root, _ := pyPackageCopy(t)
	emptyPath := t.TempDir() // nothing named aggregator on PATH
	notExe := filepath.Join(t.TempDir(), "aggregator")
	if err := os.WriteFile(notExe, []byte("not a program\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A real aggregator on PATH must not rescue a wrong $AGGREGATOR_BIN.
	goodPath := t.TempDir()
	if err := os.Symlink(binPath, filepath.Join(goodPath, "aggregator")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"nothing", []string{"PATH=" + emptyPath}, "aggregator binary not found"},
		{"missing-env-bin", []string{"PATH=" + goodPath, "AGGREGATOR_BIN=" + filepath.Join(emptyPath, "nope")}, "is not an executable file"},
		{"non-executable-env-bin", []string{"PATH=" + goodPath, "AGGREGATOR_BIN=" + notExe}, "is not an executable file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr, _ := runModule(t, root, tc.env, "--socket-dir", "/tmp")
			if code != 127 {
				t.Errorf("exit %d, want 127", code)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
				t.Errorf("stderr is not exactly one line: %q", stderr)
			}
			if !strings.HasPrefix(stderr, pyModule+": ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want %q: ...%s...", stderr, pyModule, tc.want)
			}
		})
	}
}

// TestDeployPythonModuleExecs: the module replaces itself with the binary
// (same pid: the benchmark's Popen handle is the daemon), passes every
// argument through unchanged, and finds the binary by $AGGREGATOR_BIN,
// then a vendored bin/ next to the package, then $PATH.
func TestDeployPythonModuleExecs(t *testing.T) {
	t.Parallel()
	needPython(t)
	root, pkg := pyPackageCopy(t)
	// A stand-in "binary" that reports its argv, pid and the signals it
	// inherited as ignored (read by sh, which leaves them as it found them;
	// python would ignore SIGPIPE itself), then hands over to python (exec,
	// same pid) to print them as JSON.
	probe := filepath.Join(t.TempDir(), "probe")
	script := `#!/bin/sh
while read -r k v; do [ "$k" = SigIgn: ] && ign=$v; done < /proc/$$/status
PROBE_EXE=$0 PROBE_SIGIGN=$ign exec ` + python + ` -c '
import json, os, sys
print(json.dumps({"argv": sys.argv[1:], "pid": os.getpid(), "exe": os.environ["PROBE_EXE"],
                  "sigign": os.environ["PROBE_SIGIGN"]}))' "$@"
`
	if err := os.WriteFile(probe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"--socket-dir", "/tmp/a b", "", "--x=ü", "--", "-m", "--readiness-id", "3"}
	type report struct {
		Argv   []string `json:"argv"`
		Pid    int      `json:"pid"`
		Exe    string   `json:"exe"`
		SigIgn string   `json:"sigign"`
	}
	run := func(t *testing.T, env []string, wantExe string) {
		t.Helper()
		code, stdout, stderr, cmd := runModule(t, root, env, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var r report
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("probe output %q: %v (stderr %s)", stdout, err, stderr)
		}
		if !reflect.DeepEqual(r.Argv, args) {
			t.Errorf("argv %q, want %q", r.Argv, args)
		}
		if r.Pid != cmd.Process.Pid {
			t.Errorf("binary ran as pid %d, the spawned process was %d: not an exec", r.Pid, cmd.Process.Pid)
		}
		if r.Exe != wantExe {
			t.Errorf("ran %s, want %s", r.Exe, wantExe)
		}
		// SIGPIPE (13) and SIGXFSZ (25): python ignores them, exec keeps
		// that; the module restores the defaults a Popen child has.
		ign, err := strconv.ParseUint(r.SigIgn, 16, 64)
		if err != nil {
			t.Fatalf("SigIgn %q: %v", r.SigIgn, err)
		}
		if ign&(1<<12|1<<24) != 0 {
			t.Errorf("SigIgn %s: SIGPIPE or SIGXFSZ still ignored after the exec", r.SigIgn)
		}
	}
	onPath := t.TempDir()
	if err := os.Symlink(probe, filepath.Join(onPath, "aggregator")); err != nil {
		t.Fatal(err)
	}
	t.Run("env", func(t *testing.T) {
		run(t, []string{"PATH=" + onPath, "AGGREGATOR_BIN=" + probe}, probe)
	})
	t.Run("path", func(t *testing.T) {
		run(t, []string{"PATH=" + onPath}, filepath.Join(onPath, "aggregator"))
	})
	t.Run("vendored", func(t *testing.T) {
		vendored := filepath.Join(pkg, "bin", "aggregator")
		if err := os.MkdirAll(filepath.Dir(vendored), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(probe, vendored); err != nil {
			t.Fatal(err)
		}
		run(t, []string{"PATH=" + onPath}, vendored)
	})
	// And the real daemon behind it: a bad command line is its own FATAL.
	t.Run("daemon", func(t *testing.T) {
		code, _, stderr, _ := runModule(t, root, []string{"AGGREGATOR_BIN=" + binPath}, "--no-such-flag")
		if code != 1 || !strings.HasPrefix(stderr, "FATAL: unknown flag: --no-such-flag") {
			t.Errorf("exit %d, stderr %q; want the daemon's exit 1 and FATAL line", code, stderr)
		}
	})
}
