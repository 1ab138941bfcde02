// Package testbin gives process tests the repository's binaries
// (aggregator, shardworker), built once per test run: `make test` builds
// them first into a directory named by AGGREGATOR_TEST_BINDIR, and every
// test package that runs them as real processes uses that; a package run
// on its own (plain `go test ./pkg/shard/`) builds them itself, once, into
// a temporary directory.
//
// Test binaries are built with -tags testhooks (the finalization pauses
// of internal/testhook, the shardworker's item hooks), which do nothing
// unless a test sets their environment variables, and with -race when
// the tests themselves run under the race detector.
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
	built = map[string]string{}
	tmp   string
)

// Path returns the path of the named command's test binary ("aggregator",
// "shardworker"), building it when no prebuilt one exists. Binaries built
// here live next to each other (the daemon looks for shardworker next to
// itself) until Cleanup.
func Path(name string) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[name]; ok {
		return p, nil
	}
	if dir := os.Getenv(DirEnv); dir != "" {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w (run make test, or unset it)", DirEnv, dir, err)
		}
		built[name] = p
		return p, nil
	}
	if tmp == "" {
		d, err := os.MkdirTemp("", "aggregator-testbin-")
		if err != nil {
			return "", err
		}
		tmp = d
	}
	p := filepath.Join(tmp, name)
	args := []string{"build", "-tags", Tags, "-o", p}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool(), append(args, module+name)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	built[name] = p
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
