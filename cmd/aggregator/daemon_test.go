package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/internal/snapcmp"
)

const python = "/usr/bin/python3"

// needPeers skips when Debian's python3-zmq/python3-msgpack are missing
// (make test installs them; see scripts/install-deps.sh).
func needPeers(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import zmq, msgpack").Run(); err != nil {
		t.Skipf("python3-zmq/python3-msgpack not installed: %v", err)
	}
}

// launchResult is what testdata/launcher.py reports.
type launchResult struct {
	Args         []string `json:"args"`
	ReadyID      int      `json:"ready_id"`
	ReadyMs      float64  `json:"ready_ms"`
	Sent         int      `json:"sent"`
	Garbage      int      `json:"garbage"`
	Exit         int      `json:"exit"`
	Killed       bool     `json:"killed"`
	AliveSIGINT  *bool    `json:"alive_after_sigint"`
	Snapshots    [][]any  `json:"snapshots"`
	Subscription string   `json:"subscription"`
	Restarted    bool     `json:"restarted"`
	LogSeen      *bool    `json:"log_seen"`
}

// launch runs the benchmark-style launcher against the built binary.
func launch(t *testing.T, events string, launcherArgs []string, daemonArgs []string) (launchResult, string) {
	t.Helper()
	return launchEnv(t, events, nil, nil, launcherArgs, daemonArgs)
}

func golden(t *testing.T, name string) goldenCase {
	for _, c := range loadGolden(t) {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no golden case %s", name)
	return goldenCase{}
}

func compareFinal(t *testing.T, c goldenCase, out string) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(out, "final_snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := snapcmp.Diff(c.expected, got, snapcmp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error(d)
	}
}

// counterOf returns a counter's value from a decoded wire snapshot.
func counterOf(t *testing.T, snap []any, name string) float64 {
	t.Helper()
	for _, m := range snap[4].([]any) {
		mm := m.([]any)
		if mm[0] == "counter" && mm[1] == name {
			return mm[2].(float64)
		}
	}
	t.Fatalf("counter %s missing", name)
	return 0
}

// TestDaemonLikeBenchmark runs the whole lifecycle over real IPC: readiness,
// batch and single frames, live snapshots, ENDED, final snapshot equal to
// upstream's for the same stream, exit 0.
func TestDaemonLikeBenchmark(t *testing.T) {
	t.Parallel()
	c := golden(t, "streaming")
	res, out := launch(t, filepath.Join(c.dir, "events.jsonl.gz"), []string{"--batch", "100", "--pace", "0.03"},
		append([]string{"--publish-interval", "0.05"}, c.args...))
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	if res.ReadyID != 7 {
		t.Errorf("readiness id %d, want 7", res.ReadyID)
	}
	if _, err := os.Stat(filepath.Join(out, ".ready")); err != nil {
		t.Errorf(".ready marker: %v", err)
	}
	compareFinal(t, c, out)

	// Live frames: counters strictly increase, states only move forward,
	// the last frame is the terminal one and matches the file.
	if len(res.Snapshots) < 3 {
		t.Fatalf("got %d snapshot frames, want several live ones and the final", len(res.Snapshots))
	}
	order := map[string]int{"initialize": 0, "live": 1, "draining": 2, "complete": 3, "interrupted": 3}
	prevCounter, prevState, prevIssued := -1.0, 0, -1.0
	for i, s := range res.Snapshots {
		if len(s) != 5 {
			t.Fatalf("snapshot %d has %d fields, want 5", i, len(s))
		}
		counter, state := s[0].(float64), s[2].(string)
		if counter <= prevCounter {
			t.Errorf("snapshot %d: counter %v not above %v", i, counter, prevCounter)
		}
		if order[state] < prevState {
			t.Errorf("snapshot %d: state %s moved backwards", i, state)
		}
		issued := counterOf(t, s, "total_samples_issued")
		if issued < prevIssued {
			t.Errorf("snapshot %d: total_samples_issued went down", i)
		}
		for _, m := range s[4].([]any) {
			mm := m.([]any)
			if mm[0] == "series" && len(mm) != 10 {
				t.Errorf("series %v has %d fields, want 10", mm[1], len(mm))
			}
		}
		prevCounter, prevState, prevIssued = counter, order[state], issued
	}
	last := res.Snapshots[len(res.Snapshots)-1]
	if last[2] != "complete" {
		t.Errorf("last frame state %v, want complete", last[2])
	}
	var file map[string]any
	b, _ := os.ReadFile(filepath.Join(out, "final_snapshot.json"))
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if file["counter"].(float64) != last[0].(float64) {
		t.Errorf("final frame counter %v != file counter %v", last[0], file["counter"])
	}
	if got, want := counterOf(t, last, "total_samples_issued"), fileCounter(t, file, "total_samples_issued"); got != want {
		t.Errorf("final frame total_samples_issued %v, file %v", got, want)
	}
	if res.Snapshots[0][2] != "live" {
		t.Errorf("first frame state %v, want live", res.Snapshots[0][2])
	}
}

func fileCounter(t *testing.T, file map[string]any, name string) float64 {
	for _, m := range file["metrics"].([]any) {
		mm := m.(map[string]any)
		if mm["name"] == name {
			return mm["value"].(float64)
		}
	}
	t.Fatalf("counter %s missing from file", name)
	return 0
}

// TestDaemonSIGTERMWritesInterrupted sends part of a run, then SIGTERM: the
// daemon writes an INTERRUPTED snapshot whose counters (durations refreshed)
// equal upstream's SIGTERM path on the same prefix, and exits 0.
func TestDaemonSIGTERMWritesInterrupted(t *testing.T) {
	t.Parallel()
	c := golden(t, "interrupted")
	n := countLines(t, filepath.Join(c.dir, "events.jsonl.gz"))
	res, out := launch(t, filepath.Join(c.dir, "events.jsonl.gz"),
		[]string{"--mode", "sigterm", "--stop-after", strconv.Itoa(n)}, []string{"--streaming"})
	if res.Exit != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0", res.Exit)
	}
	compareFinal(t, c, out)
	if last := res.Snapshots[len(res.Snapshots)-1]; last[2] != "interrupted" {
		t.Errorf("last frame state %v, want interrupted", last[2])
	}
}

// TestDaemonIgnoresSIGINT: SIGINT mid-run changes nothing; ENDED still
// drives a complete final snapshot equal to upstream's.
func TestDaemonIgnoresSIGINT(t *testing.T) {
	t.Parallel()
	c := golden(t, "nonstreaming")
	res, out := launch(t, filepath.Join(c.dir, "events.jsonl.gz"),
		[]string{"--mode", "sigint", "--stop-after", "300", "--batch", "50"}, c.args)
	if res.AliveSIGINT == nil || !*res.AliveSIGINT {
		t.Fatal("daemon exited on SIGINT")
	}
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	compareFinal(t, c, out)
}

// TestDaemonMalformedItemsCostNothingElse mixes undecodable items into every
// batch: each becomes error.generic (total_samples_failed), and every other
// item is still folded exactly as upstream folds the clean stream.
func TestDaemonMalformedItemsCostNothingElse(t *testing.T) {
	t.Parallel()
	c := golden(t, "streaming")
	res, out := launch(t, filepath.Join(c.dir, "events.jsonl.gz"), []string{"--garbage", "--batch", "500"}, c.args)
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	if res.Garbage == 0 {
		t.Fatal("launcher sent no garbage")
	}
	// Everything equal to the clean run except total_samples_failed (one
	// per malformed item) and total_duration_ns (a malformed record is
	// stamped with the decode time, as upstream does).
	var exp map[string]any
	if err := json.Unmarshal(c.expected, &exp); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(out, "final_snapshot.json"))
	diffs, err := snapcmp.Diff(c.expected, got, snapcmp.Options{Ignore: []string{
		"metrics.total_samples_failed", "metrics.total_duration_ns"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error(d)
	}
	var file map[string]any
	if err := json.Unmarshal(got, &file); err != nil {
		t.Fatal(err)
	}
	if g, w := fileCounter(t, file, "total_samples_failed"), fileCounter(t, exp, "total_samples_failed")+float64(res.Garbage); g != w {
		t.Errorf("total_samples_failed %v, want %v (clean run + %d malformed)", g, w, res.Garbage)
	}
	logb, _ := os.ReadFile(filepath.Join(out, "daemon.log"))
	if !strings.Contains(string(logb), "decode_errors") {
		t.Errorf("no decode_errors log line:\n%s", logb)
	}
}

func countLines(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<24)
	n := 0
	for sc.Scan() {
		n++
	}
	return n
}

// TestDaemonSurvivesPublisherRestart: the event PUB goes away mid-run and a
// new one binds the same path; the daemon redials and the final snapshot
// still equals upstream's for the whole stream.
func TestDaemonSurvivesPublisherRestart(t *testing.T) {
	t.Parallel()
	c := golden(t, "streaming")
	res, out := launch(t, filepath.Join(c.dir, "events.jsonl.gz"), []string{"--batch", "200", "--restart-at", "1600"}, c.args)
	if !res.Restarted {
		t.Fatal("launcher did not restart the publisher")
	}
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	compareFinal(t, c, out)
}

// TestReplayAndZMQAgree folds the same stream through replay and through the
// daemon over IPC: the two final snapshots are identical (volatile fields
// aside), float for float.
func TestReplayAndZMQAgree(t *testing.T) {
	t.Parallel()
	c := golden(t, "earlystop")
	_, zmqOut := launch(t, filepath.Join(c.dir, "events.jsonl.gz"), []string{"--batch", "1000"}, c.args)
	replayOut := t.TempDir()
	args := append([]string{"replay", filepath.Join(c.dir, "events.jsonl.gz"), "--metrics-output-dir", replayOut}, c.args...)
	if b, err := exec.Command(binPath, args...).CombinedOutput(); err != nil {
		t.Fatalf("replay: %v\n%s", err, b)
	}
	a, err := os.ReadFile(filepath.Join(zmqOut, "final_snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(replayOut, "final_snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := snapcmp.Diff(a, b, snapcmp.Options{RelTol: 1e-300})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error(d)
	}
}

// TestDaemonSIGTERMBeforeStarted: SIGTERM in state initialize still writes
// an interrupted final snapshot (all zero) and exits 0.
func TestDaemonSIGTERMBeforeStarted(t *testing.T) {
	t.Parallel()
	empty := filepath.Join(t.TempDir(), "empty.jsonl")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res, out := launch(t, empty, []string{"--mode", "sigterm"}, nil)
	if res.Exit != 0 {
		t.Fatalf("exit %d", res.Exit)
	}
	b, err := os.ReadFile(filepath.Join(out, "final_snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if file["state"] != "interrupted" {
		t.Errorf("state %v, want interrupted", file["state"])
	}
	if v := fileCounter(t, file, "total_samples_issued"); v != 0 {
		t.Errorf("total_samples_issued %v, want 0", v)
	}
	if len(res.Snapshots) != 1 || res.Snapshots[0][2] != "interrupted" {
		t.Errorf("want exactly the terminal frame (no live ticks before STARTED), got %d frames", len(res.Snapshots))
	}
}
