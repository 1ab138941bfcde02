package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goldenCase is one folder of testdata/replay: an event stream and the final
// snapshot the upstream Python aggregator wrote for it.
type goldenCase struct {
	name     string
	dir      string
	args     []string
	expected []byte
}

// readGolden reads one golden folder (made by scripts/gen-*golden.sh):
// events.jsonl.gz, the expected final snapshot, and the extra arguments.
func readGolden(t *testing.T, dir string) goldenCase {
	t.Helper()
	args, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	return goldenCase{name: filepath.Base(dir), dir: dir, args: strings.Fields(string(args)), expected: exp}
}

// events is the golden's event stream.
func (c goldenCase) events() string { return filepath.Join(c.dir, "events.jsonl.gz") }

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	root := filepath.Join("..", "..", "testdata", "replay")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		cases = append(cases, readGolden(t, filepath.Join(root, e.Name())))
	}
	if len(cases) < 7 {
		t.Fatalf("found %d golden cases, want >= 7", len(cases))
	}
	return cases
}

// TestReplayMatchesUpstream replays each golden stream and compares the
// final snapshot with upstream's, field by field.
func TestReplayMatchesUpstream(t *testing.T) {
	t.Parallel()
	for _, c := range loadGolden(t) {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"replay", filepath.Join(c.dir, "events.jsonl.gz"), "--metrics-output-dir", out, "--progress", "never"}, c.args...)
			cmd := exec.Command(binPath, args...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("replay: %v\n%s", err, b)
			}
			compareFinal(t, c, out)
		})
	}
}

func TestReplayMissingEndedIsAnError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ev := filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(ev, []byte(`{"event_type":"session.started","timestamp_ns":1,"sample_uuid":"","conversation_id":"","turn":null,"data":null}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, "replay", ev, "--metrics-output-dir", dir)
	b, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("replay without ENDED succeeded:\n%s", b)
	}
	if !strings.Contains(string(b), "FATAL:") || !strings.Contains(string(b), "session.ended") {
		t.Errorf("want a FATAL line naming session.ended, got:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "final_snapshot.json")); err == nil {
		t.Error("final_snapshot.json written despite the error")
	}
}
