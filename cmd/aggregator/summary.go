package main

import (
	"fmt"
	"io"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/report"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// counter returns a counter's value from s (0 when absent).
func counter(s *snapshot.Snapshot, name string) float64 { return report.Counter(s, name) }

// series returns a series of s, or nil.
func series(s *snapshot.Snapshot, name string) *snapshot.Series { return report.FindSeries(s, name) }

// percentile returns a series percentile by key ("99.0"), 0 when absent.
func percentile(s *snapshot.Series, key string) float64 {
	for _, p := range s.Percentiles {
		if p.Key == key {
			return p.Value
		}
	}
	return 0
}

// liveTable prints one compact line per live snapshot.
type liveTable struct {
	w       io.Writer
	printed bool
}

func newLiveTable(w io.Writer) *liveTable { return &liveTable{w: w} }

func ms(ns float64) string { return fmt.Sprintf("%.1f", ns/1e6) }

func (t *liveTable) row(s *snapshot.Snapshot) {
	if !t.printed {
		fmt.Fprintf(t.w, "%-11s %8s %8s %7s %7s %8s %19s %19s %9s\n",
			"state", "issued", "done", "failed", "pending", "QPS", "latency p50/p99 ms", "ttft p50/p99 ms", "elapsed")
		t.printed = true
	}
	dur := counter(s, "total_duration_ns")
	qps := 0.0
	if dur > 0 {
		qps = counter(s, "total_samples_completed") / (dur / 1e9)
	}
	lat, ttft := "-", "-"
	if l := series(s, "sample_latency_ns"); l != nil && l.Count > 0 {
		lat = ms(percentile(l, "50.0")) + " / " + ms(percentile(l, "99.0"))
	}
	if f := series(s, "ttft_ns"); f != nil && f.Count > 0 {
		ttft = ms(percentile(f, "50.0")) + " / " + ms(percentile(f, "99.0"))
	}
	fmt.Fprintf(t.w, "%-11s %8.0f %8.0f %7.0f %7d %8.1f %19s %19s %9s\n",
		s.State, counter(s, "total_samples_issued"), counter(s, "total_samples_completed"),
		counter(s, "total_samples_failed"), s.NPendingTasks, qps, lat, ttft,
		time.Duration(dur).Round(10*time.Millisecond))
}

// writeSummary prints the human summary of a final snapshot (the text of
// `aggregator report`): state and warnings, samples, duration, QPS/TPS,
// finish reasons, and each series' distribution.
func writeSummary(w io.Writer, s *snapshot.Snapshot) {
	_ = report.WriteText(w, report.Build(s))
}
