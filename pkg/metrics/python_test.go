package metrics

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Cross-checks against Python run /usr/bin/python3 (Debian's, with numpy
// 1.24) and, where upstream code is needed, import it from the reference
// checkout with the oracle's stand-in packages on sys.path. They are skipped
// when those are not present.
// The upstream checkout is $UPSTREAM (default /tmp/ref/endpoints, where
// shared/oracle expects it); the stand-ins come from the shared/ folder
// beside the repository (CI lays it there) or $ORACLE.
const pythonBin = "/usr/bin/python3"

var (
	upstreamSrc  = filepath.Join(envOr("UPSTREAM", "/tmp/ref/endpoints"), "src")
	upstreamStub = filepath.Join(envOr("ORACLE", filepath.Join("..", "..", "..", "shared", "oracle")), "stubs")
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// runPython runs script with in JSON-encoded on stdin and decodes its JSON
// stdout into out. With upstream set, the upstream package is importable.
func runPython(t *testing.T, upstream bool, script string, in, out any) {
	t.Helper()
	if _, err := os.Stat(pythonBin); err != nil {
		t.Skipf("no %s", pythonBin)
	}
	env := os.Environ()
	if upstream {
		for _, p := range []string{upstreamSrc, upstreamStub} {
			if _, err := os.Stat(p); err != nil {
				t.Skipf("upstream reference not available: %v", err)
			}
		}
		env = append(env, "PYTHONPATH="+upstreamStub+":"+upstreamSrc)
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pythonBin, "-c", script)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	res, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "No module named 'numpy'") {
			t.Skip("numpy not installed")
		}
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(res, out); err != nil {
		t.Fatalf("decode python output: %v\n%.500s", err, res)
	}
}

// sortInt64 sorts in place (test helper).
func sortInt64(v []int64) { slices.Sort(v) }
