package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binPath is the aggregator binary built once for the CLI tests, which run
// it as a real process the way the benchmark does; shardWorkerPath is the
// token worker built next to it (where the daemon looks first).
var binPath, shardWorkerPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aggregator-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "aggregator")
	args := []string{"build", "-o", binPath}
	if raceEnabled {
		// The child daemon runs under the race detector too.
		args = append(args, "-race")
	}
	args = append(args, ".")
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build aggregator:", err)
		os.Exit(1)
	}
	shardWorkerPath = filepath.Join(dir, "shardworker")
	args = []string{"build", "-o", shardWorkerPath}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd = exec.Command("go", append(args, "../shardworker")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build shardworker:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
