package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/testbin"
)

// binPath is the aggregator binary the CLI tests run as a real process, the
// way the benchmark does; shardWorkerPath is the token worker next to it
// (where the daemon looks first). Both come from internal/testbin
// (testbin.Daemon): built once per test run, with the test hooks compiled
// in (inert unless a test sets their environment); the aggregator with
// -race when the tests have it, the worker without.
var binPath, shardWorkerPath string

func TestMain(m *testing.M) {
	var err error
	if binPath, shardWorkerPath, err = testbin.Daemon(); err != nil {
		fmt.Fprintln(os.Stderr, "test binaries:", err)
		os.Exit(1)
	}
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}
