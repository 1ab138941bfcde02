package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// counter returns a counter's value from s (0 when absent).
func counter(s *snapshot.Snapshot, name string) float64 {
	for _, c := range s.Counters {
		if c.Name == name {
			return c.Value.Value()
		}
	}
	return 0
}

// series returns a series of s, or nil.
func series(s *snapshot.Snapshot, name string) *snapshot.Series {
	for i := range s.Series {
		if s.Series[i].Name == name {
			return &s.Series[i]
		}
	}
	return nil
}

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

// writeSummary prints the human summary of a final snapshot: samples,
// durations, rates, finish reasons, and each series' distribution.
func writeSummary(w io.Writer, s *snapshot.Snapshot) {
	fmt.Fprintf(w, "state: %s", s.State)
	if s.NPendingTasks > 0 {
		fmt.Fprintf(w, "   WARNING: incomplete drain, %d token counts missing", s.NPendingTasks)
	}
	if s.State == snapshot.Interrupted {
		fmt.Fprint(w, "   WARNING: the run was interrupted; statistics are partial")
	}
	fmt.Fprintln(w)
	tracked := counter(s, "tracked_duration_ns")
	fmt.Fprintf(w, "samples: issued %.0f (tracked %.0f), completed %.0f (tracked %.0f), failed %.0f (tracked %.0f)\n",
		counter(s, "total_samples_issued"), counter(s, "tracked_samples_issued"),
		counter(s, "total_samples_completed"), counter(s, "tracked_samples_completed"),
		counter(s, "total_samples_failed"), counter(s, "tracked_samples_failed"))
	fmt.Fprintf(w, "duration: total %v, tracked %v, legacy LoadGen window %v\n",
		time.Duration(counter(s, "total_duration_ns")).Round(time.Millisecond),
		time.Duration(tracked).Round(time.Millisecond),
		time.Duration(counter(s, "legacy_loadgen_window_duration_ns")).Round(time.Millisecond))
	if tracked > 0 {
		qps := counter(s, "tracked_samples_completed") / (tracked / 1e9)
		fmt.Fprintf(w, "tracked QPS: %.2f", qps)
		if osl := series(s, "osl"); osl != nil && osl.Count > 0 {
			fmt.Fprintf(w, "   TPS: %.1f", osl.Total.Value()/(tracked/1e9))
		}
		fmt.Fprintln(w)
	}
	var reasons []string
	for _, c := range s.Counters {
		if r, ok := strings.CutPrefix(c.Name, "tracked_finish_reason_"); ok && c.Value.Value() > 0 {
			reasons = append(reasons, fmt.Sprintf("%s %.0f", r, c.Value.Value()))
		}
	}
	if len(reasons) > 0 {
		fmt.Fprintf(w, "finish reasons: %s\n", strings.Join(reasons, ", "))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "series\tcount\tmin\tavg\tmedian\tp90\tp99\tmax\t")
	for i := range s.Series {
		se := &s.Series[i]
		if se.Count == 0 {
			fmt.Fprintf(tw, "%s\t0\t-\t-\t-\t-\t-\t-\t\n", se.Name)
			continue
		}
		f := func(v float64) string { return formatValue(se.Name, v) }
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", se.Name, se.Count,
			f(se.Min.Value()), f(se.Total.Value()/float64(se.Count)), f(percentile(se, "50.0")),
			f(percentile(se, "90.0")), f(percentile(se, "99.0")), f(se.Max.Value()))
	}
	tw.Flush()
}

// formatValue prints ns series in milliseconds and token series as counts.
func formatValue(name string, v float64) string {
	if strings.HasSuffix(name, "_ns") {
		return fmt.Sprintf("%.2fms", v/1e6)
	}
	return fmt.Sprintf("%.1f", v)
}
