package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDemoRunsEndToEnd runs the README's main command (shortened blocks):
// it must start the daemon, show live rows, and end with a complete final
// snapshot whose summary counts the samples it played.
func TestDemoRunsEndToEnd(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binPath, "demo", "--block", "0.8", "--publish-interval", "0.2").CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"daemon ready in", "live ", "state: complete", "finish reasons: stop", "sample_latency_ns", "chunk_delta_ns", "final snapshot: "} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	m := regexp.MustCompile(`samples: issued (\d+) \(tracked (\d+)\), completed (\d+) \(tracked (\d+)\), failed (\d+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no samples line:\n%s", text)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	if n(1) == 0 || n(1) != n(3) || n(2) != n(4) || n(2) >= n(1) {
		t.Errorf("want every issued sample completed and some untracked: %s", m[0])
	}
	if n(5) == 0 {
		t.Errorf("the demo plays errors, but none were counted: %s", m[0])
	}
	path := strings.TrimSpace(text[strings.LastIndex(text, "final snapshot: ")+len("final snapshot: "):])
	if _, err := os.Stat(path); err != nil {
		t.Errorf("final snapshot %q: %v", path, err)
	}
	os.RemoveAll(strings.TrimSuffix(path, "/final_snapshot.json"))
}
