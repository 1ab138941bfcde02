package daemon

// Lifecycle tests: Run in-process against a Go event publisher and a
// snapshot subscriber. Ports of upstream test_aggregator_e2e.py,
// test_publisher.py and test_main_signal_handler.py (see the report for the
// mapping); the expected values follow upstream's rules.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

func rec(t events.Type, ts int64) events.RecordSpec {
	return events.RecordSpec{Type: t, TimestampNs: ts}
}

func srec(t events.Type, uuid string, ts int64) events.RecordSpec {
	return events.RecordSpec{Type: t, TimestampNs: ts, SampleUUID: uuid}
}

func tokenIDs(n int) []byte {
	return events.AppendData(nil, events.Data{Kind: events.DataPromptData,
		PromptData: events.PromptData{TokenIDs: make([]int64, n)}})
}

// Upstream: test_live_tick_then_final, test_start_schedules_tick_task.
// No tick before STARTED (the publisher starts at STARTED); LIVE ticks
// after it; ENDED replaces them with a COMPLETE frame and Run returns.
func TestLiveTickThenFinal(t *testing.T) {
	l := startDaemonNoStart(t, 20*time.Millisecond)
	time.Sleep(150 * time.Millisecond) // several intervals
	if n := len(l.snapshots()); n != 0 {
		t.Fatalf("%d snapshots published before STARTED, want 0", n)
	}
	l.send(rec(events.SessionStarted, 0))
	// The event SUB may not have joined yet: resend until a tick shows up.
	for deadline := time.Now().Add(waitTimeout); ; {
		if _, ok := l.waitFor(200*time.Millisecond, func(s *snapshot.Snapshot) bool { return s.State == snapshot.Live }); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no live tick after STARTED")
		}
		l.send(rec(events.SessionStarted, 0))
	}
	first := l.snapshots()[0]
	if first.State != snapshot.Live {
		t.Errorf("first snapshot state = %v, want live", first.State)
	}
	l.send(rec(events.SessionEnded, 100))
	l.wait()
	fs := l.snapshots()
	if last := fs[len(fs)-1]; last.State != snapshot.Complete {
		t.Errorf("last snapshot state = %v, want complete", last.State)
	}
	if got := readFinal(t, l.cfg.MetricsOutputDir).State; got != snapshot.Complete {
		t.Errorf("final_snapshot.json state = %v, want complete", got)
	}
}

// Upstream: test_publish_final_writes_json_and_signals_pubsub,
// test_multiple_metrics_round_trip, test_publish_final_writes_json_atomically.
func TestPublishFinalWritesJSONAndSignalsPubsub(t *testing.T) {
	l := startDaemon(t, 50*time.Millisecond, 0)
	l.send(
		rec(events.SessionStartPerformanceTracking, 10),
		events.RecordSpec{Type: events.SampleIssued, TimestampNs: 100, SampleUUID: "s1", Data: tokenIDs(3)},
		srec(events.SampleIssued, "s2", 200),
		srec(events.SampleComplete, "s1", 1_500_100),
		srec(events.SampleComplete, "s2", 2_500_200),
		rec(events.SessionEnded, 3_000_000),
	)
	l.wait()

	dir := l.cfg.MetricsOutputDir
	if _, err := os.Stat(filepath.Join(dir, snapshot.FinalFileName+".tmp")); !os.IsNotExist(err) {
		t.Errorf("temp file left behind (stat err %v)", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, snapshot.FinalFileName))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("final_snapshot.json is not JSON: %v", err)
	}
	if doc["state"] != "complete" || doc["n_pending_tasks"] != 0.0 {
		t.Errorf("state, n_pending_tasks = %v, %v; want complete, 0", doc["state"], doc["n_pending_tasks"])
	}

	file := readFinal(t, dir)
	fs := l.snapshots()
	wire := fs[len(fs)-1]
	if wire.State != snapshot.Complete {
		t.Fatalf("terminal frame state = %v, want complete", wire.State)
	}
	want := map[string]int64{
		snapshot.TotalSamplesIssued:            2,
		snapshot.TrackedSamplesIssued:          2,
		snapshot.TrackedSamplesCompleted:       2,
		snapshot.TotalDurationNs:               3_000_000,      // ENDED ts - STARTED ts
		snapshot.TrackedDurationNs:             2_500_200 - 10, // refreshed at finalize
		snapshot.LegacyLoadgenWindowDurationNs: 2_500_200 - 100,
	}
	for _, s := range []*snapshot.Snapshot{file, &wire} {
		for name, v := range want {
			if got := counter(t, s, name); got != v {
				t.Errorf("%v snapshot: %s = %d, want %d", s.State, name, got, v)
			}
		}
		lat := series(t, s, snapshot.SampleLatencyNs)
		if lat.Count != 2 || lat.Total.I != 4_000_000 {
			t.Errorf("sample_latency_ns count, total = %d, %v; want 2, 4000000", lat.Count, lat.Total)
		}
		if isl := series(t, s, snapshot.ISL); isl.Count != 1 || isl.Total.I != 3 {
			t.Errorf("isl count, total = %d, %v; want 1, 3", isl.Count, isl.Total)
		}
	}
	if file.Counter != wire.Counter {
		t.Errorf("file is snapshot #%d, terminal frame #%d: not the same snapshot", file.Counter, wire.Counter)
	}
}

// Upstream: test_publish_final_awaits_tick_task_cancellation,
// test_close_cancels_tick_task. With fast ticks racing ENDED, the terminal
// frame is published exactly once and nothing follows it.
func TestTerminalFrameIsTheLast(t *testing.T) {
	l := startDaemon(t, 2*time.Millisecond, 0)
	time.Sleep(50 * time.Millisecond) // let ticks run
	l.send(rec(events.SessionEnded, 100))
	l.wait()
	fs := l.snapshots()
	for i, s := range fs {
		if terminal(&s) != (i == len(fs)-1) {
			t.Fatalf("snapshot %d of %d has state %v: the terminal frame must be the last and only one", i+1, len(fs), s.State)
		}
		if i > 0 && s.Counter <= fs[i-1].Counter {
			t.Errorf("snapshot counter went %d -> %d", fs[i-1].Counter, s.Counter)
		}
	}
	if len(fs) < 3 {
		t.Errorf("only %d snapshots: ticks did not run", len(fs))
	}
}

// interruptedRun feeds a run whose STOP_PERFORMANCE_TRACKING and ENDED never
// come, waits until the daemon has folded it, interrupts it with stop and
// checks the INTERRUPTED final snapshot (upstream
// test_sigterm_handler_refreshes_tracked_duration and
// test_publish_final_writes_interrupted_state).
func interruptedRun(t *testing.T, stop func(l *live)) {
	l := startDaemon(t, 20*time.Millisecond, 0)
	l.send(
		rec(events.SessionStartPerformanceTracking, 1000),
		srec(events.SampleIssued, "s1", 2000),
		srec(events.SampleIssued, "s2", 3000),
		srec(events.SampleComplete, "s1", 5000),
	)
	before := l.mustWaitFor("the completion folded", func(s *snapshot.Snapshot) bool {
		return s.State == snapshot.Live && counter(t, s, snapshot.TrackedSamplesCompleted) == 1
	})
	// Not refreshed during the run (no STOP yet): the interrupt path must.
	if got := counter(t, &before, snapshot.TrackedDurationNs); got != 0 {
		t.Fatalf("live tracked_duration_ns = %d before the interrupt, want 0", got)
	}
	stop(l)
	l.wait()
	for _, s := range []snapshot.Snapshot{*readFinal(t, l.cfg.MetricsOutputDir), l.snapshots()[len(l.snapshots())-1]} {
		if s.State != snapshot.Interrupted || s.NPendingTasks != 0 {
			t.Errorf("state, n_pending_tasks = %v, %d; want interrupted, 0", s.State, s.NPendingTasks)
		}
		if got := counter(t, &s, snapshot.TrackedDurationNs); got != 5000-1000 {
			t.Errorf("tracked_duration_ns = %d, want 4000 (last completion - block start)", got)
		}
		if got := counter(t, &s, snapshot.LegacyLoadgenWindowDurationNs); got != 5000-2000 {
			t.Errorf("legacy window = %d, want 3000 (s1 completion - first issue)", got)
		}
	}
}

// Run treats ctx cancellation like SIGTERM.
func TestInterruptedOnContextCancel(t *testing.T) {
	interruptedRun(t, func(l *live) { l.cancel() })
}

// Upstream: test_sigterm_handler_refreshes_tracked_duration (the SIGTERM
// handler itself). Run's handler is installed before the ready marker, so
// the signal cannot reach the default action.
func TestSIGTERMWritesInterruptedFinal(t *testing.T) {
	interruptedRun(t, func(l *live) {
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	})
}

// SIGINT is ignored: the parent drives shutdown through ENDED.
func TestSIGINTIgnored(t *testing.T) {
	l := startDaemon(t, 20*time.Millisecond, 0)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	n := len(l.snapshots())
	l.mustWaitFor("ticks after SIGINT", func(*snapshot.Snapshot) bool { return len(l.snapshots()) >= n+3 })
	select {
	case err := <-l.runErr:
		l.stopped = true
		t.Fatalf("Run returned after SIGINT: %v", err)
	default:
	}
	if !strings.Contains(l.log.String(), "SIGINT ignored") {
		t.Error("SIGINT not logged as ignored")
	}
	l.send(rec(events.SessionEnded, 100))
	l.wait()
	if got := readFinal(t, l.cfg.MetricsOutputDir).State; got != snapshot.Complete {
		t.Errorf("final state = %v, want complete", got)
	}
}

// Upstream: test_disk_failure_does_not_block_pubsub. The output directory
// disappears before ENDED: the write fails, the terminal frame is still
// published and Run still returns.
func TestDiskFailureStillPublishesTerminalFrame(t *testing.T) {
	l := startDaemon(t, 50*time.Millisecond, 0)
	if err := os.RemoveAll(l.cfg.MetricsOutputDir); err != nil {
		t.Fatal(err)
	}
	l.send(rec(events.SessionEnded, 100))
	l.wait()
	fs := l.snapshots()
	if last := fs[len(fs)-1]; last.State != snapshot.Complete {
		t.Errorf("last frame state = %v, want complete", last.State)
	}
	if _, err := os.Stat(filepath.Join(l.cfg.MetricsOutputDir, snapshot.FinalFileName)); !os.IsNotExist(err) {
		t.Errorf("final snapshot exists or stat failed oddly: %v", err)
	}
	if !strings.Contains(l.log.String(), "writing final snapshot failed") {
		t.Error("write failure not logged")
	}
}
