// Package testbin gives process tests the repository's binaries
// (aggregator, shardworker), built once per test run: `make test` builds
// them first into a directory named by AGGREGATOR_TEST_BINDIR, and every
// test package that runs them as real processes uses that; a package run
// on its own (plain `go test ./pkg/shard/`) builds them itself, once, into
// a temporary directory.
//
// Test binaries are built with -tags testhooks (the finalization pauses
// of internal/testhook, the shardworker's item hooks), which do nothing
// unless a test sets their environment variables.
//
// Under the race detector there are two builds of the worker. Path gives
// every binary built like the tests, with -race: the shardworker that
// pkg/shard's tests examine (its serving loop, watchdog and signal
// handling) is race-checked there. Daemon gives the aggregator built with
// -race and, next to it where the daemon looks for its workers, a
// shardworker built without: in a daemon's process tests the workers only
// load tokenizers and count, which the race detector makes five times
// slower and where it has nothing to find (one goroutine per item; the
// concurrent parts are those pkg/shard checks). The directory holds the
// daemon's pair at its top and race/shardworker beside them.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// DirEnv names the directory of prebuilt test binaries.
const DirEnv = "AGGREGATOR_TEST_BINDIR"

// Tags are the build tags of every test binary.
const Tags = "testhooks"

// module is the import path prefix of the commands.
const module = "github.com/mlperf-tools/aggregator/cmd/"

var (
	mu    sync.Mutex
	built = map[string]string{} // by file, relative to the directory
	tmp   string
)

// Path returns the path of the named command's test binary ("aggregator",
// "shardworker"), built like the running tests (with -race under the race
// detector), building it when no prebuilt one exists.
func Path(name string) (string, error) {
	file := name
	if raceEnabled && name != "aggregator" {
		file = filepath.Join("race", name)
	}
	return get(file, name, raceEnabled)
}

// Daemon returns the aggregator built like the running tests and the
// shardworker next to it, built without -race (see the package doc): the
// pair a daemon's process tests run.
func Daemon() (aggregator, shardworker string, err error) {
	if aggregator, err = get("aggregator", "aggregator", raceEnabled); err != nil {
		return "", "", err
	}
	shardworker, err = get("shardworker", "shardworker", false)
	return aggregator, shardworker, err
}

// get returns the binary at file in the directory (prebuilt, or built here
// from cmd/name, with -race if race).
func get(file, name string, race bool) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[file]; ok {
		return p, nil
	}
	if dir := os.Getenv(DirEnv); dir != "" {
		p := filepath.Join(dir, file)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w (run make test, or unset it)", DirEnv, dir, err)
		}
		built[file] = p
		return p, nil
	}
	if tmp == "" {
		d, err := os.MkdirTemp("", "aggregator-testbin-")
		if err != nil {
			return "", err
		}
		tmp = d
	}
	p := filepath.Join(tmp, file)
	args := []string{"build", "-tags", Tags, "-o", p}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool(), append(args, module+name)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	built[file] = p
	return p, nil
}

// Cleanup removes binaries this package built (never prebuilt ones).
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if tmp != "" {
		os.RemoveAll(tmp)
		tmp = ""
	}
	built = map[string]string{}
}

// goTool is the go command of the toolchain running the tests.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
