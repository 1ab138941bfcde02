package aggregator

// Ports of upstream test_metrics_table.py (SampleRow, TrackedBlock,
// MetricsTable, LoadGen window). Upstream's set_field row lifecycle lives in
// Aggregator.sampleEvent here, so the MetricsTable cases drive events
// through Process and inspect the Table.

import (
	"fmt"
	"strings"
	"testing"
)

func TestSampleRowInitialTimestampsAreNone(t *testing.T) {
	tb := NewTable()
	r, dup := tb.create([]byte("s1"))
	if dup {
		t.Fatal("new row reported as duplicate")
	}
	if r.issued != none || r.recvFirst != none || r.lastRecv != none {
		t.Errorf("new row timestamps = %d, %d, %d; want None", r.issued, r.recvFirst, r.lastRecv)
	}
	if r.block != -1 {
		t.Errorf("tracked block index = %d, want -1", r.block)
	}
}

func TestTrackedBlock(t *testing.T) {
	cases := []struct {
		name       string
		start, end int64
		want       int64
	}{
		{"duration_ns", 100, 500, 400},
		{"empty_block_duration_zero", 100, 100, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := NewTable()
			tb.blocks = []block{{start: c.start, lastComplete: c.end}}
			if got := tb.TrackedDurationNs(); got != c.want {
				t.Errorf("duration = %d, want %d", got, c.want)
			}
			if got := tb.CompletedTrackedSamples(); got != 0 {
				t.Errorf("completed = %d, want 0", got)
			}
		})
	}
	t.Run("completed_samples_increment", func(t *testing.T) {
		tb := NewTable()
		tb.startTracking(0)
		r, _ := tb.create([]byte("s"))
		r.block = 0
		tb.completed(r, 500)
		if d, n := tb.TrackedDurationNs(), tb.CompletedTrackedSamples(); d != 500 || n != 1 {
			t.Errorf("duration, completed = %d, %d; want 500, 1", d, n)
		}
		// An earlier completion never shrinks the block.
		r2, _ := tb.create([]byte("s2"))
		r2.block = 0
		tb.completed(r2, 300)
		if d, n := tb.TrackedDurationNs(), tb.CompletedTrackedSamples(); d != 500 || n != 2 {
			t.Errorf("after earlier completion: %d, %d; want 500, 2", d, n)
		}
	})
}

func TestMetricsTable(t *testing.T) {
	runFold(t, []foldCase{
		{
			name:    "create_and_get_row",
			batches: batch(sess(startPT, 0), smp(issued, "s1", 100)),
			check: func(t *testing.T, h *harness) {
				r := h.a.Table().lookup([]byte("s1"))
				if r == nil || h.a.Table().Len() != 1 {
					t.Fatalf("row %v, len %d", r, h.a.Table().Len())
				}
				if r.issued != 100 || r.block != 0 {
					t.Errorf("row issued=%d block=%d, want 100, 0", r.issued, r.block)
				}
			},
		},
		{
			name:    "complete_removes_row",
			batches: batch(sess(startPT, 0), smp(issued, "s1", 100), smp(done, "s1", 500)),
			check: func(t *testing.T, h *harness) {
				if h.hasRow("s1") || h.a.Table().Len() != 0 {
					t.Error("COMPLETE did not remove the row")
				}
			},
		},
		{
			name:    "set_field_noop_for_untracked",
			batches: batch(smp(recv1, "unknown", 200)),
			check: func(t *testing.T, h *harness) {
				if h.hasRow("unknown") {
					t.Error("RECV_FIRST created a row")
				}
			},
		},
		{
			name:    "issued_noop_when_not_tracking",
			batches: batch(smp(issued, "s1", 100)),
			check: func(t *testing.T, h *harness) {
				if h.hasRow("s1") {
					t.Error("ISSUED without tracking created a row")
				}
			},
		},
		{
			name:    "multiple_rows",
			batches: batch(sess(startPT, 0), smp(issued, "s1", 100), smp(issued, "s2", 100), smp(issued, "s3", 100)),
			check: func(t *testing.T, h *harness) {
				if n := h.a.Table().Len(); n != 3 {
					t.Errorf("len = %d, want 3", n)
				}
			},
		},
		{
			name:    "handle_session_started",
			batches: batch(sess(started, 42)),
			check: func(t *testing.T, h *harness) {
				if got := h.a.Table().sessionStart; got != 42 {
					t.Errorf("session start = %d, want 42", got)
				}
			},
		},
		{
			name:    "duplicate_start_is_noop",
			batches: batch(sess(startPT, 100), sess(startPT, 200)),
			check: func(t *testing.T, h *harness) {
				if n := h.a.Table().Blocks(); n != 1 {
					t.Errorf("blocks = %d, want 1", n)
				}
				if s := h.a.Table().blocks[0].start; s != 100 {
					t.Errorf("block start = %d, want 100", s)
				}
			},
		},
		{
			name:    "tracked_block_updated_on_complete",
			batches: batch(sess(startPT, 0), smp(issued, "s1", 100), smp(done, "s1", 500)),
			check: func(t *testing.T, h *harness) {
				tb := h.a.Table()
				if b := tb.blocks[0]; b.lastComplete != 500 || b.completed != 1 {
					t.Errorf("block = %+v, want last_complete 500, completed 1", b)
				}
				if tb.TrackedDurationNs() != 500 || tb.CompletedTrackedSamples() != 1 {
					t.Errorf("totals = %d, %d; want 500, 1", tb.TrackedDurationNs(), tb.CompletedTrackedSamples())
				}
			},
		},
		{
			// s1 completes after STOP and still extends block 0: 600-0 and 1000-800.
			name: "multiple_tracking_windows",
			batches: batch(sess(startPT, 0), smp(issued, "s1", 100), sess(stopPT, 200), smp(done, "s1", 600),
				sess(startPT, 800), smp(issued, "s2", 900), smp(done, "s2", 1000)),
			check: func(t *testing.T, h *harness) {
				tb := h.a.Table()
				if d0, d1 := blockDuration(tb, 0), blockDuration(tb, 1); d0 != 600 || d1 != 200 {
					t.Errorf("durations = %d, %d; want 600, 200", d0, d1)
				}
				if tb.TrackedDurationNs() != 800 || tb.CompletedTrackedSamples() != 2 {
					t.Errorf("totals = %d, %d; want 800, 2", tb.TrackedDurationNs(), tb.CompletedTrackedSamples())
				}
			},
		},
	})
}

func TestHandleStartStopTracking(t *testing.T) {
	h := newHarness(t, opts{})
	tb := h.a.Table()
	if tb.Tracking() {
		t.Fatal("tracking before START")
	}
	h.process(sess(startPT, 100))
	if !tb.Tracking() || tb.Blocks() != 1 || tb.blocks[0].start != 100 {
		t.Fatalf("after START: tracking=%v blocks=%d", tb.Tracking(), tb.Blocks())
	}
	h.process(sess(stopPT, 200))
	if tb.Tracking() {
		t.Error("still tracking after STOP")
	}
}

// Upstream: test_duplicate_issued_returns_existing. The existing row is kept
// (same slot, one row) and its issued_ns overwritten, as set_field does.
func TestDuplicateIssuedReturnsExisting(t *testing.T) {
	h := newHarness(t, opts{})
	h.process(sess(startPT, 0), smp(issued, "s1", 100))
	r1 := h.a.Table().lookup([]byte("s1"))
	h.process(smp(issued, "s1", 200))
	r2 := h.a.Table().lookup([]byte("s1"))
	if r1 != r2 || h.a.Table().Len() != 1 {
		t.Fatalf("duplicate ISSUED replaced the row (len %d)", h.a.Table().Len())
	}
	if r2.issued != 200 {
		t.Errorf("issued = %d, want 200", r2.issued)
	}
}

func TestLoadgenWindow(t *testing.T) {
	runFold(t, []foldCase{
		{
			// s2 has the largest issued_ns: the window ends at its completion
			// (300) and starts at the first issue (100), not the block (50).
			name: "first_issue_to_last_issued_completion",
			batches: batch(sess(started, 50), sess(startPT, 50), smp(issued, "s1", 100), smp(issued, "s2", 200),
				smp(done, "s2", 300), smp(done, "s1", 1000)),
			check: func(t *testing.T, h *harness) {
				if got := h.a.Table().LoadgenWindowNs(); got != 300-100 {
					t.Errorf("window = %d, want 200", got)
				}
			},
		},
		{
			name:    "no_completions_yields_zero",
			batches: batch(sess(started, 0), sess(startPT, 0), smp(issued, "s1", 100)),
			check: func(t *testing.T, h *harness) {
				if got := h.a.Table().LoadgenWindowNs(); got != 0 {
					t.Errorf("window = %d, want 0", got)
				}
			},
		},
	})
}

// The row pages and the free list: rows keep their identity while pages
// grow, removed slots are reused, and uuids longer than the inline key
// still work.
func TestTableRowsSurvivePageGrowth(t *testing.T) {
	tb := NewTable()
	const n = 3*pageSize + 7
	key := func(i int) []byte { return []byte(fmt.Sprintf("%032x", i)) }
	long := []byte(strings.Repeat("L", inlineKey+10))
	for i := 0; i < n; i++ {
		r, _ := tb.create(key(i))
		r.issued = int64(i)
	}
	lr, _ := tb.create(long)
	lr.issued = -5
	for i := 0; i < n; i += 2 {
		tb.remove(key(i))
	}
	for i := 0; i < n; i++ {
		r := tb.lookup(key(i))
		switch {
		case i%2 == 0 && r != nil:
			t.Fatalf("row %d survived remove", i)
		case i%2 == 1 && (r == nil || r.issued != int64(i)):
			t.Fatalf("row %d lost or corrupted: %+v", i, r)
		}
	}
	pages := len(tb.pages)
	for i := 0; i < n; i += 2 {
		if _, dup := tb.create(key(i)); dup {
			t.Fatalf("re-created row %d reported duplicate", i)
		}
	}
	if len(tb.pages) != pages {
		t.Errorf("pages grew from %d to %d though free slots existed", pages, len(tb.pages))
	}
	if r := tb.lookup(long); r == nil || r.issued != -5 {
		t.Errorf("long uuid row lost: %+v", r)
	}
	if tb.Len() != n+1 {
		t.Errorf("len = %d, want %d", tb.Len(), n+1)
	}
}
