package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/internal/testutil"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// drainWorkersSeen polls /proc until stop for this test's shardworkers
// pinned to a single CPU (the demo's drain workers: one per CPU; its live
// worker runs on the inherited mask) and returns their distinct pids.
func drainWorkersSeen(t *testing.T, stop <-chan struct{}) map[int]string {
	seen := map[int]string{}
	for {
		for _, w := range shardWorkers(t.Name()) {
			if !strings.ContainsAny(w.cpus, ",-") {
				seen[w.pid] = w.cpus
			}
		}
		select {
		case <-stop:
			return seen
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestDemoRunsEndToEnd runs the README's main command (shortened blocks):
// it starts the daemon with the embedded tokenizer, shows live rows with
// pending token work and output tokens/s, drains the backlog over at least
// two pinned shardworker processes, and ends with a complete final
// snapshot that has token lengths, nothing pending, and an HTML report.
func TestDemoRunsEndToEnd(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binPath, "demo", "--block", "0.8", "--publish-interval", "0.2", "--burst", "0.6")
	cmd.Env = append(os.Environ(), runEnv+"="+t.Name())
	var out testutil.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var seen map[int]string
	var wg sync.WaitGroup
	wg.Go(func() { seen = drainWorkersSeen(t, stop) })
	err := cmd.Wait()
	close(stop)
	wg.Wait()
	text := out.String()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, text)
	}
	for _, want := range []string{"daemon ready in", "state=live", "pending=", "tps=", "drain ", "100%", "state: complete",
		"finish reasons: stop", "sample_latency_ns", "osl", "tpot_ns", "drain: ", "shardworker processes", "final snapshot: ", "HTML report: "} {
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
	path := afterLabel(text, "final snapshot: ")
	dir := strings.TrimSuffix(path, "/"+snapshot.FinalFileName)
	defer os.RemoveAll(dir)
	s, err := snapshot.ReadFinal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != snapshot.Complete || s.NPendingTasks != 0 {
		t.Errorf("final state %v, n_pending_tasks %d; want complete, 0", s.State, s.NPendingTasks)
	}
	for _, name := range []string{snapshot.ISL, snapshot.OSL, snapshot.TPOTNs} {
		if se := s.FindSeries(name); se == nil || se.Count == 0 {
			t.Errorf("series %s has no samples", name)
		}
	}
	html, err := os.ReadFile(afterLabel(text, "HTML report: "))
	if err != nil || !strings.Contains(string(html), "<svg") {
		t.Errorf("HTML report: %v (%d bytes)", err, len(html))
	}
	if cpus := cpusAllowed(t); len(cpus) >= 2 && len(seen) < 2 {
		t.Errorf("drain workers seen %v, want at least two (one per CPU of %v)", seen, cpus)
	}
	t.Logf("drain workers seen: %v", seen)
}

// afterLabel is the rest of the line that follows label in text.
func afterLabel(text, label string) string {
	i := strings.LastIndex(text, label)
	if i < 0 {
		return ""
	}
	rest, _, _ := strings.Cut(text[i+len(label):], "\n")
	return strings.TrimSpace(rest)
}

// TestDemoDrainBarInTmux runs the demo in a terminal (a tmux pane): the
// drain's progress bar is drawn in place (one bar line on screen at any
// moment, changing as it moves) and ends at 100%.
func TestDemoDrainBarInTmux(t *testing.T) {
	t.Parallel()
	tm := newWatchTmux(t)
	tm.start("demo", binPath, "demo", "--block", "0.5", "--publish-interval", "0.2", "--burst", "0.8")
	bars := map[string]bool{}
	var last string
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(30 * time.Millisecond) {
		screen := tm.capture("demo", false)
		var onScreen []string
		for _, l := range strings.Split(screen, "\n") {
			if strings.HasPrefix(l, "drain ") {
				onScreen = append(onScreen, l)
			}
		}
		if len(onScreen) > 1 {
			t.Fatalf("%d drain bar lines on screen at once (not redrawn in place):\n%s", len(onScreen), screen)
		}
		if len(onScreen) == 1 {
			bars[strings.TrimSpace(onScreen[0])] = true
		}
		last = screen
		if strings.Contains(screen, "[watch exit") {
			break
		}
	}
	if !strings.Contains(last, "[watch exit 0]") {
		t.Fatalf("demo did not exit 0 in the pane:\n%s", last)
	}
	final := tm.capture("demo", true)
	var barLines []string
	for _, l := range strings.Split(final, "\n") {
		if strings.HasPrefix(l, "drain ") {
			barLines = append(barLines, l)
		}
	}
	if len(barLines) != 1 || !strings.Contains(barLines[0], "100%") || !strings.Contains(barLines[0], "done in") {
		t.Errorf("want one drain bar line left in the pane's history, at 100%%; got %q", barLines)
	}
	if len(bars) < 2 {
		t.Errorf("saw the bar in %d state(s), want it moving: %v", len(bars), bars)
	}
	t.Logf("bar states seen: %d", len(bars))
}
