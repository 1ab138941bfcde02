package aggregator

// Ports of upstream tests/unit/.../metrics_aggregator/test_aggregator.py and
// test_aggregator_error_handler.py: events go through Process (after a real
// encode/decode round trip) and metrics are read from a LIVE snapshot, as
// upstream's snapshot_* helpers do. Expected values are worked out from
// upstream's rules (see the comments), not from this implementation.

import (
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

const (
	started = events.SessionStarted
	ended   = events.SessionEnded
	startPT = events.SessionStartPerformanceTracking
	stopPT  = events.SessionStopPerformanceTracking
	issued  = events.SampleIssued
	recv1   = events.SampleRecvFirst
	recvN   = events.SampleRecvNonFirst
	done    = events.SampleComplete
)

// foldCase is one upstream test: events folded (optionally in several
// process() calls), an optional drain of the mock tokenizer, then checks.
type foldCase struct {
	name    string
	o       opts
	batches [][]ev
	drain   bool
	check   func(t *testing.T, h *harness)
}

func runFold(t *testing.T, cases []foldCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, c.o)
			for _, b := range c.batches {
				h.process(b...)
			}
			if c.drain {
				h.drain()
			}
			c.check(t, h)
		})
	}
}

func batch(e ...ev) [][]ev { return [][]ev{e} }

func TestTrackingWindow(t *testing.T) {
	runFold(t, []foldCase{
		{
			name: "not_tracked_before_start", o: streamingNoTok,
			batches: batch(sess(started, 0), smp(issued, "s1", 100)),
			check: func(t *testing.T, h *harness) {
				if h.hasRow("s1") {
					t.Error("warmup ISSUED before START_PERFORMANCE_TRACKING created a row")
				}
				h.wantCount(snapshot.TTFTNs, 0)
				h.wantCount(snapshot.SampleLatencyNs, 0)
			},
		},
		{
			name: "tracked_after_start", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 100)),
			check: func(t *testing.T, h *harness) {
				if !h.hasRow("s1") {
					t.Error("ISSUED while tracking did not create a row")
				}
			},
		},
		{
			name: "not_tracked_after_stop", o: streamingNoTok,
			batches: batch(sess(startPT, 0), sess(stopPT, 50), smp(issued, "s1", 100)),
			check: func(t *testing.T, h *harness) {
				if h.hasRow("s1") {
					t.Error("ISSUED after STOP created a row")
				}
			},
		},
		{
			// A sample issued during tracking completes normally after STOP:
			// ttft = 300-100, latency = 500-100.
			name: "inflight_sample_continues_after_stop", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 100), sess(stopPT, 200),
				smp(recv1, "s1", 300), smp(done, "s1", 500)),
			check: func(t *testing.T, h *harness) {
				h.wantTotal(snapshot.TTFTNs, 200)
				h.wantTotal(snapshot.SampleLatencyNs, 400)
			},
		},
		{
			// START -> STOP -> START: s2 (between) untracked, s1 and s3 tracked.
			name: "restart_tracking_window", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 100), sess(stopPT, 200),
				smp(issued, "s2", 300), sess(startPT, 400), smp(issued, "s3", 500),
				smp(done, "s1", 600), smp(done, "s3", 700)),
			check: func(t *testing.T, h *harness) {
				if h.hasRow("s2") {
					t.Error("s2 issued between blocks was tracked")
				}
				h.wantCount(snapshot.SampleLatencyNs, 2)
				if got := h.a.Table().Blocks(); got != 2 {
					t.Errorf("blocks = %d, want 2", got)
				}
			},
		},
		{
			// Blocks extend to their last completion: 700-0 and 1000-800.
			name: "tracked_block_durations", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 100), sess(stopPT, 200),
				smp(done, "s1", 700), sess(startPT, 800), smp(issued, "s2", 900), smp(done, "s2", 1000)),
			check: func(t *testing.T, h *harness) {
				tb := h.a.Table()
				if d0, d1 := blockDuration(tb, 0), blockDuration(tb, 1); d0 != 700 || d1 != 200 {
					t.Errorf("block durations = %d, %d; want 700, 200", d0, d1)
				}
				if got := tb.TrackedDurationNs(); got != 900 {
					t.Errorf("total tracked duration = %d, want 900", got)
				}
				if got := tb.CompletedTrackedSamples(); got != 2 {
					t.Errorf("completed tracked samples = %d, want 2", got)
				}
			},
		},
	})
}

func blockDuration(tb *Table, i int) int64 { return tb.blocks[i].lastComplete - tb.blocks[i].start }

func TestTimingMetrics(t *testing.T) {
	runFold(t, []foldCase{
		{
			// ttft = 2500-1000, latency = 5000-1000.
			name: "ttft_and_sample_latency", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000), smp(recv1, "s1", 2500), smp(done, "s1", 5000)),
			check: func(t *testing.T, h *harness) {
				h.wantTotal(snapshot.TTFTNs, 1500)
				h.wantTotal(snapshot.SampleLatencyNs, 4000)
			},
		},
		{
			// One delta per RECV_NON_FIRST: 3000-2000 and 4500-3000.
			name: "chunk_deltas", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000), smp(recv1, "s1", 2000),
				smp(recvN, "s1", 3000), smp(recvN, "s1", 4500), smp(done, "s1", 5000)),
			check: func(t *testing.T, h *harness) {
				h.wantCount(snapshot.ChunkDeltaNs, 2)
				h.wantTotal(snapshot.ChunkDeltaNs, 2500)
			},
		},
		{
			// No RECV events: latency 3000-1000 and snapshot.OSL("hello world") = 2,
			// but no TTFT, chunk delta or TPOT.
			name: "non_streaming_latency_only", o: opts{streaming: true, tokenizer: true},
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000),
				smpData(done, "s1", 3000, textOutput("hello world"))),
			drain: true,
			check: func(t *testing.T, h *harness) {
				h.wantTotal(snapshot.SampleLatencyNs, 2000)
				h.wantTotal(snapshot.OSL, 2)
				h.wantCount(snapshot.TTFTNs, 0)
				h.wantCount(snapshot.ChunkDeltaNs, 0)
				h.wantCount(snapshot.TPOTNs, 0)
			},
		},
		{
			name: "chunk_delta_not_emitted_without_last_recv", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000)),
			check: func(t *testing.T, h *harness) {
				r := h.a.Table().lookup([]byte("s1"))
				if r == nil {
					t.Fatal("no row for s1")
				}
				if r.lastRecv != none {
					t.Errorf("last_recv = %d, want None", r.lastRecv)
				}
			},
		},
		{
			// RECV_NON_FIRST without RECV_FIRST opens the delta (no value),
			// the next one closes it: one delta 2500-2000.
			name: "first_non_first_recv_opens_chunk_delta", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000), smp(recvN, "s1", 2000), smp(recvN, "s1", 2500)),
			check: func(t *testing.T, h *harness) {
				h.wantCount(snapshot.ChunkDeltaNs, 1)
				h.wantTotal(snapshot.ChunkDeltaNs, 500)
				h.wantCount(snapshot.TTFTNs, 0)
			},
		},
		{
			// Without --streaming the streaming series are not registered
			// and RECV events record nothing.
			name: "streaming_series_absent_without_flag", o: opts{},
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000), smp(recv1, "s1", 2000),
				smp(recvN, "s1", 3000), smp(done, "s1", 4000)),
			check: func(t *testing.T, h *harness) {
				for _, name := range []string{snapshot.TTFTNs, snapshot.ChunkDeltaNs, snapshot.TPOTNs} {
					if _, ok := h.series(name); ok {
						t.Errorf("%s registered without --streaming", name)
					}
				}
				h.wantTotal(snapshot.SampleLatencyNs, 3000)
			},
		},
	})
}

func TestISL(t *testing.T) {
	runFold(t, []foldCase{
		{
			// SGLang path: snapshot.ISL = len(token_ids), no tokenizer needed.
			name: "issued_with_token_ids_emits_isl_directly", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smpData(issued, "s1", 1000, promptIDs(101, 202, 303, 404, 505))),
			check: func(t *testing.T, h *harness) {
				h.wantCount(snapshot.ISL, 1)
				h.wantTotal(snapshot.ISL, 5)
			},
		},
		{
			name: "issued_without_data_no_isl", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000)),
			check:   func(t *testing.T, h *harness) { h.wantCount(snapshot.ISL, 0) },
		},
		{
			// IslTrigger docstring: an explicitly empty token_ids tuple is
			// counted as zero, never falling through to text.
			name: "empty_token_ids_count_zero", o: opts{streaming: true, tokenizer: true},
			batches: batch(sess(startPT, 0), smpData(issued, "s1", 1000,
				prompt(events.PromptData{TokenIDs: []int64{}, Text: strp("a b c")}))),
			check: func(t *testing.T, h *harness) {
				h.wantCount(snapshot.ISL, 1)
				h.wantTotal(snapshot.ISL, 0)
				if p := h.a.Pending(); p != 0 {
					t.Errorf("pending = %d, want 0 (token_ids take precedence)", p)
				}
			},
		},
		{
			// Without a tokenizer, text prompts give no snapshot.ISL (and no work).
			name: "text_prompt_without_tokenizer_skipped", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smpData(issued, "s1", 1000, promptText("a b c"))),
			check: func(t *testing.T, h *harness) {
				h.wantCount(snapshot.ISL, 0)
				if p := h.a.Pending(); p != 0 {
					t.Errorf("pending = %d, want 0", p)
				}
			},
		},
		{
			// snapshot.ISL fires only when the row is created: an untracked prompt
			// records nothing even with token_ids.
			name: "untracked_issued_no_isl", o: streamingNoTok,
			batches: batch(sess(started, 0), smpData(issued, "s1", 1000, promptIDs(1, 2, 3))),
			check:   func(t *testing.T, h *harness) { h.wantCount(snapshot.ISL, 0) },
		},
		{
			// A duplicate ISSUED finds the existing row and fires again.
			name: "duplicate_issued_fires_isl_again", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smpData(issued, "s1", 1000, promptIDs(1, 2)),
				smpData(issued, "s1", 1100, promptIDs(1, 2, 3))),
			check: func(t *testing.T, h *harness) {
				h.wantCount(snapshot.ISL, 2)
				h.wantTotal(snapshot.ISL, 5)
				h.wantCounter(snapshot.TrackedSamplesIssued, 2)
			},
		},
	})
}

func TestEdgeCases(t *testing.T) {
	runFold(t, []foldCase{
		{
			name: "untracked_sample_events_ignored", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(recv1, "unknown", 2000), smp(done, "unknown", 5000)),
			check: func(t *testing.T, h *harness) {
				h.wantCount(snapshot.TTFTNs, 0)
				h.wantCount(snapshot.SampleLatencyNs, 0)
				h.wantCounter(snapshot.TotalSamplesCompleted, 1)
				h.wantCounter(snapshot.TrackedSamplesCompleted, 0)
			},
		},
		{
			name: "complete_removes_row", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000), smp(done, "s1", 5000)),
			check: func(t *testing.T, h *harness) {
				if h.hasRow("s1") || h.a.Table().Len() != 0 {
					t.Errorf("row not removed: len %d", h.a.Table().Len())
				}
			},
		},
		{
			// The aggregator stops at ENDED: the later RECV_FIRST is dropped.
			name: "events_after_ended_are_dropped", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 100), sess(ended, 200), smp(recv1, "s1", 300)),
			check:   func(t *testing.T, h *harness) { h.wantCount(snapshot.TTFTNs, 0) },
		},
		{
			name: "empty_sample_uuid_ignored", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "", 1000)),
			check: func(t *testing.T, h *harness) {
				if n := h.a.Table().Len(); n != 0 {
					t.Errorf("table len = %d, want 0", n)
				}
				h.wantCounter(snapshot.TotalSamplesIssued, 0)
			},
		},
		{
			// ttft 1000 and 1500; latency 3000 and 3500.
			name: "multiple_samples_independent", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1000), smp(issued, "s2", 1500),
				smp(recv1, "s1", 2000), smp(recv1, "s2", 3000), smp(done, "s1", 4000), smp(done, "s2", 5000)),
			check: func(t *testing.T, h *harness) {
				h.wantCount(snapshot.TTFTNs, 2)
				h.wantTotal(snapshot.TTFTNs, 1000+1500)
				h.wantCount(snapshot.SampleLatencyNs, 2)
				h.wantTotal(snapshot.SampleLatencyNs, 3000+3500)
			},
		},
		{
			// An ERROR without a sample does not disturb the batch.
			name: "error_event_increments_total_failed", o: streamingNoTok,
			batches: batch(sess(startPT, 0), errEv("", 500), smp(issued, "s1", 1000), smp(done, "s1", 2000)),
			check: func(t *testing.T, h *harness) {
				h.wantTotal(snapshot.SampleLatencyNs, 1000)
				h.wantCounter(snapshot.TotalSamplesFailed, 1)
				h.wantCounter(snapshot.TrackedSamplesFailed, 0)
			},
		},
		{
			name: "session_started_stores_timestamp", o: streamingNoTok,
			batches: batch(sess(started, 42)),
			check: func(t *testing.T, h *harness) {
				if got := h.a.Table().sessionStart; got != 42 {
					t.Errorf("table session start = %d, want 42", got)
				}
				if h.a.State() != snapshot.Live {
					t.Errorf("state = %v, want live", h.a.State())
				}
			},
		},
		{
			// State is kept across process() calls: ttft 1000, latency 2000.
			name: "process_multiple_batches", o: streamingNoTok,
			batches: [][]ev{
				{sess(startPT, 0), smp(issued, "s1", 1000)},
				{smp(recv1, "s1", 2000), smp(done, "s1", 3000)},
			},
			check: func(t *testing.T, h *harness) {
				h.wantTotal(snapshot.TTFTNs, 1000)
				h.wantTotal(snapshot.SampleLatencyNs, 2000)
				if h.hasRow("s1") {
					t.Error("row not removed")
				}
			},
		},
		{
			// total_duration_ns = max over events of ts - STARTED ts.
			name: "total_duration_tracks_latest_event", o: streamingNoTok,
			batches: [][]ev{
				{smp(issued, "w", 5), sess(started, 100), smp(issued, "w2", 400)},
				{smp(done, "w2", 300), errEv("", 900), smp(done, "w", 700)},
			},
			check: func(t *testing.T, h *harness) { h.wantCounter(snapshot.TotalDurationNs, 800) },
		},
	})
}

// Upstream: test_duplicate_started_logs_error_and_preserves_state.
func TestDuplicateStartedLogsErrorAndPreservesState(t *testing.T) {
	h := newHarness(t, streamingNoTok)
	res := h.process(sess(started, 1_000), sess(started, 5_000))
	if !res.Started {
		t.Error("first STARTED not reported")
	}
	if h.a.sessionStart != 1_000 {
		t.Errorf("session start = %d, want the original 1000", h.a.sessionStart)
	}
	// A moved start would freeze total_duration_ns: 6000-1000, not 6000-5000.
	h.process(smp(issued, "x", 6_000))
	h.wantCounter(snapshot.TotalDurationNs, 5_000)

	var dup []string
	for _, line := range strings.Split(h.log.String(), "\n") {
		if strings.Contains(line, "duplicate STARTED") {
			dup = append(dup, line)
		}
	}
	if len(dup) != 1 {
		t.Fatalf("duplicate STARTED logged %d times, want once; log:\n%s", len(dup), h.log)
	}
	if !strings.Contains(dup[0], "level=ERROR") || !strings.Contains(dup[0], "1000") || !strings.Contains(dup[0], "5000") {
		t.Errorf("error line lacks level or timestamps: %s", dup[0])
	}
}

// Upstream: test_session_ended_calls_publish_final and
// test_ended_in_second_batch. Publishing the final snapshot is the daemon's
// job (see pkg/daemon); the aggregator's part is to report ENDED exactly in
// the call that saw it and to move to DRAINING.
func TestEndedReportedInTheBatchThatCarriesIt(t *testing.T) {
	h := newHarness(t, streamingNoTok)
	if res := h.process(sess(started, 0)); res.Ended || !res.Started {
		t.Fatalf("STARTED batch: %+v", res)
	}
	if h.a.Ended() {
		t.Fatal("ended before ENDED")
	}
	if res := h.process(sess(ended, 100)); !res.Ended || res.Started {
		t.Fatalf("ENDED batch: %+v", res)
	}
	if !h.a.Ended() || h.a.State() != snapshot.Draining {
		t.Errorf("after ENDED: ended=%v state=%v, want draining", h.a.Ended(), h.a.State())
	}
	// Every later call ignores everything and reports nothing again.
	if res := h.process(sess(startPT, 200), smp(issued, "s1", 300), sess(ended, 400)); res.Ended || res.Started {
		t.Errorf("call after ENDED reported %+v", res)
	}
	h.wantCounter(snapshot.TotalSamplesIssued, 0)
	if got := h.a.Processed(); got != 5 {
		t.Errorf("processed = %d, want 5 (ignored records are still counted)", got)
	}
}

// Upstream: test_started_arms_the_live_flush_loop. Upstream arms the token
// queue's live loop (and the publisher tick) on the first STARTED; here the
// daemon arms its ticker from Result.Started, which must be reported once,
// for the first STARTED only.
func TestStartedReportedOnceToArmLiveWork(t *testing.T) {
	h := newHarness(t, opts{streaming: true, tokenizer: true})
	if h.a.State() != snapshot.Initialize {
		t.Fatalf("initial state %v", h.a.State())
	}
	if res := h.process(sess(started, 0)); !res.Started {
		t.Fatal("first STARTED not reported")
	}
	if res := h.process(sess(started, 10)); res.Started {
		t.Error("duplicate STARTED reported again")
	}
	if res := h.process(sess(ended, 100)); !res.Ended {
		t.Error("ENDED not reported")
	}
}

func TestLoadgenWindowAggregation(t *testing.T) {
	runFold(t, []foldCase{
		{
			// First issue (100) to the completion of the last-issued s2 (600).
			name: "loadgen_window_duration_emitted", o: streamingNoTok,
			batches: batch(sess(started, 0), sess(startPT, 10), smp(issued, "s1", 100), smp(done, "s1", 500),
				smp(issued, "s2", 200), smp(done, "s2", 600), sess(stopPT, 700)),
			check: func(t *testing.T, h *harness) {
				h.wantCounter(snapshot.LegacyLoadgenWindowDurationNs, 600-100)
				// STOP also refreshes tracked_duration_ns: 600-10.
				h.wantCounter(snapshot.TrackedDurationNs, 590)
			},
		},
		{
			// Both counters are only refreshed at STOP (or finalization).
			name: "durations_not_refreshed_before_stop", o: streamingNoTok,
			batches: batch(sess(started, 0), sess(startPT, 10), smp(issued, "s1", 100), smp(done, "s1", 500)),
			check: func(t *testing.T, h *harness) {
				h.wantCounter(snapshot.LegacyLoadgenWindowDurationNs, 0)
				h.wantCounter(snapshot.TrackedDurationNs, 0)
				h.a.RefreshDurations()
				h.wantCounter(snapshot.LegacyLoadgenWindowDurationNs, 400)
				h.wantCounter(snapshot.TrackedDurationNs, 490)
			},
		},
	})
}

func TestCounterAccounting(t *testing.T) {
	runFold(t, []foldCase{
		{
			// The warmup sample counts toward the totals only.
			name: "total_vs_tracked_counters", o: streamingNoTok,
			batches: batch(sess(started, 0), smp(issued, "warmup", 10), smp(done, "warmup", 20),
				sess(startPT, 30), smp(issued, "s1", 100), smp(done, "s1", 200)),
			check: func(t *testing.T, h *harness) {
				h.wantCounter(snapshot.TotalSamplesIssued, 2)
				h.wantCounter(snapshot.TotalSamplesCompleted, 2)
				h.wantCounter(snapshot.TrackedSamplesIssued, 1)
				h.wantCounter(snapshot.TrackedSamplesCompleted, 1)
			},
		},
		{
			name: "finish_reason_counters_bucket_unknown_values", o: streamingNoTok,
			batches: batch(sess(startPT, 0), smp(issued, "s1", 1), finish("s1", 2, "stop"),
				smp(issued, "s2", 3), finish("s2", 4, "future_reason")),
			check: func(t *testing.T, h *harness) {
				h.wantCounter(snapshot.TrackedFinishReasonStop, 1)
				h.wantCounter(snapshot.TrackedFinishReasonOther, 1)
			},
		},
		{
			// Every known reason has its counter; an absent finish_reason
			// counts nowhere; untracked completions count nowhere.
			name: "finish_reason_counters_all_buckets", o: streamingNoTok,
			batches: batch(
				finish("warm", 1, "stop"),
				sess(startPT, 2),
				smp(issued, "a", 3), finish("a", 4, "length"),
				smp(issued, "b", 5), finish("b", 6, "tool_calls"),
				smp(issued, "c", 7), finish("c", 8, "content_filter"),
				smp(issued, "d", 9), finish("d", 10, "function_call"),
				smp(issued, "e", 11), finish("e", 12, ""),
				smp(issued, "f", 13), smp(done, "f", 14),
				finish("g", 15, "stop"),
			),
			check: func(t *testing.T, h *harness) {
				h.wantCounter(snapshot.TrackedFinishReasonStop, 0)
				h.wantCounter(snapshot.TrackedFinishReasonLength, 1)
				h.wantCounter(snapshot.TrackedFinishReasonToolCalls, 1)
				h.wantCounter(snapshot.TrackedFinishReasonContentFilter, 1)
				h.wantCounter(snapshot.TrackedFinishReasonFunctionCall, 1)
				h.wantCounter(snapshot.TrackedFinishReasonOther, 1) // ""
				h.wantCounter(snapshot.TrackedSamplesCompleted, 6)
				h.wantCounter(snapshot.TotalSamplesCompleted, 8)
			},
		},
	})
}

// Ports of test_aggregator_error_handler.py.
func TestErrorHandler(t *testing.T) {
	const ts = 1_000_000_000
	runFold(t, []foldCase{
		{
			// ERROR while the tracked row is in flight: both counters.
			name: "error_event_increments_tracked_failed_when_row_exists",
			batches: [][]ev{
				{sess(started, ts), sess(startPT, ts), smp(issued, "tracked-uuid-1", ts+100)},
				{errEv("tracked-uuid-1", ts+200)},
			},
			check: func(t *testing.T, h *harness) {
				h.wantCounter(snapshot.TotalSamplesFailed, 1)
				h.wantCounter(snapshot.TrackedSamplesFailed, 1)
			},
		},
		{
			// COMPLETE before ERROR: the row is gone, so only the total.
			name: "error_after_complete_misses_tracked_failed",
			batches: batch(sess(started, ts), sess(startPT, ts), smp(issued, "u", ts+100),
				smp(done, "u", ts+200), errEv("u", ts+201)),
			check: func(t *testing.T, h *harness) {
				h.wantCounter(snapshot.TotalSamplesFailed, 1)
				h.wantCounter(snapshot.TrackedSamplesFailed, 0)
			},
		},
		{
			name: "error_for_untracked_sample_only_increments_total",
			batches: [][]ev{
				{sess(started, ts), smp(issued, "untracked-uuid", ts+100)},
				{errEv("untracked-uuid", ts+200)},
			},
			check: func(t *testing.T, h *harness) {
				if h.hasRow("untracked-uuid") {
					t.Error("untracked sample has a row")
				}
				h.wantCounter(snapshot.TotalSamplesFailed, 1)
				h.wantCounter(snapshot.TrackedSamplesFailed, 0)
			},
		},
		{
			// Every error.* type counts; the ERROR does not remove the row.
			name: "all_error_types_count",
			batches: batch(sess(startPT, 0), smp(issued, "s", 1),
				ev{Type: events.ErrorLoadgen, TimestampNs: 2, SampleUUID: "s"},
				ev{Type: events.ErrorSession, TimestampNs: 3},
				ev{Type: events.ErrorClient, TimestampNs: 4, SampleUUID: "s"}),
			check: func(t *testing.T, h *harness) {
				h.wantCounter(snapshot.TotalSamplesFailed, 3)
				h.wantCounter(snapshot.TrackedSamplesFailed, 2)
				if !h.hasRow("s") {
					t.Error("ERROR removed the row")
				}
			},
		},
	})
}

// A malformed payload becomes an error.generic record (upstream's
// on_decode_error) and counts as a failure; a payload upstream's codec
// raises on (TypeUnknown) touches nothing.
func TestDecodeFailuresFold(t *testing.T) {
	h := newHarness(t, streamingNoTok)
	dec := events.Decoder{Now: func() int64 { return testNow }}
	recs := make([]events.Record, 2)
	dec.DecodePayload([]byte{0xc1}, &recs[0]) // never-used msgpack byte
	recs[1] = events.Record{Type: events.TypeUnknown, TimestampNs: 5, TokenIDs: -1}
	if recs[0].Type != events.ErrorGeneric {
		t.Fatalf("malformed payload decoded as %v", recs[0].Type)
	}
	h.a.Process(recs)
	h.wantCounter(snapshot.TotalSamplesFailed, 1)
	h.wantCounter(snapshot.TrackedSamplesFailed, 0)
}

// Upstream #409: test_interrupted_marker_tags_final_snapshot and
// test_clean_ended_finalizes_uninterrupted. session.interrupted latches:
// no counter moves (it is not a failed sample), tracking and the live
// state are untouched, total_duration_ns still moves; the ENDED-driven
// final is tagged interrupted. Without the marker, or with a marker after
// ENDED, the final is complete.
func TestInterruptedMarkerTagsTheFinalState(t *testing.T) {
	h := newHarness(t, streamingNoTok)
	h.process(sess(started, 0), sess(startPT, 10), smp(issued, "s1", 20))
	if h.a.FinalState() != snapshot.Complete {
		t.Fatalf("final state before the marker %v, want complete", h.a.FinalState())
	}
	h.process(sess(events.SessionInterrupted, 500))
	if !h.a.Interrupted() || h.a.FinalState() != snapshot.Interrupted {
		t.Fatalf("after the marker: interrupted=%v final=%v", h.a.Interrupted(), h.a.FinalState())
	}
	if h.a.State() != snapshot.Live {
		t.Errorf("live state %v after the marker, want live", h.a.State())
	}
	h.wantCounter(snapshot.TotalSamplesFailed, 0)
	h.wantCounter(snapshot.TotalSamplesIssued, 1)
	h.wantCounter(snapshot.TotalDurationNs, 500)
	if !h.hasRow("s1") {
		t.Error("the marker dropped an in-flight row")
	}
	// Tracking is untouched: a completion after the marker still counts.
	h.process(finish("s1", 600, "stop"), sess(ended, 700))
	h.wantCounter(snapshot.TrackedSamplesCompleted, 1)
	if h.a.FinalState() != snapshot.Interrupted {
		t.Errorf("final state %v after ENDED, want interrupted", h.a.FinalState())
	}

	clean := newHarness(t, streamingNoTok)
	clean.process(sess(started, 0), sess(ended, 100), sess(events.SessionInterrupted, 200))
	if clean.a.Interrupted() || clean.a.FinalState() != snapshot.Complete {
		t.Errorf("a marker after ENDED tagged the run: interrupted=%v final=%v", clean.a.Interrupted(), clean.a.FinalState())
	}
}
