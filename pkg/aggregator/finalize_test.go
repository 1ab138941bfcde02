package aggregator

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// readFinal reads dir/final_snapshot.json.
func readFinal(t *testing.T, dir string) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshot.ReadFinal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Upstream: test_drain_failure_reports_pending_and_finalizes,
// test_drain_timeout_reports_pending_count,
// test_publish_final_writes_interrupted_state (n_pending_tasks=3). Token
// work still pending at the end is reported as n_pending_tasks, never
// dropped, and the final snapshot is written anyway.
func TestFinalizeReportsPendingTokenWork(t *testing.T) {
	cases := []struct {
		name    string
		state   snapshot.State
		prompts int
	}{
		{"complete_with_stuck_drain", snapshot.Complete, 1},
		{"interrupted_with_pending", snapshot.Interrupted, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, opts{streaming: true, failingToken: true})
			specs := []ev{sess(startPT, 0)}
			for i := 0; i < c.prompts; i++ {
				specs = append(specs, smpData(events.SampleIssued, string(rune('a'+i)), 1000, promptText("some text to tokenize")))
			}
			h.process(specs...)
			dir := t.TempDir()
			var snap snapshot.Snapshot
			if err := h.a.Finalize(&snap, dir, c.state); err != nil {
				t.Fatal(err)
			}
			for _, s := range []*snapshot.Snapshot{&snap, readFinal(t, dir)} {
				if s.State != c.state || s.NPendingTasks != int64(c.prompts) {
					t.Errorf("state, n_pending_tasks = %v, %d; want %v, %d", s.State, s.NPendingTasks, c.state, c.prompts)
				}
			}
			if c.state == snapshot.Complete && !strings.Contains(h.log.String(), "tokenizer drain incomplete") {
				t.Error("incomplete drain not logged")
			}
		})
	}
}

// A failed write is reported, and the snapshot is still filled so the
// caller can publish it.
func TestFinalizeWriteFailureStillFillsSnapshot(t *testing.T) {
	h := newHarness(t, streamingNoTok)
	var snap snapshot.Snapshot
	if err := h.a.Finalize(&snap, filepath.Join(t.TempDir(), "missing"), snapshot.Complete); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	if snap.State != snapshot.Complete || len(snap.Counters) != len(snapshot.CounterNames) {
		t.Errorf("snapshot not filled: state %v, %d counters", snap.State, len(snap.Counters))
	}
}
