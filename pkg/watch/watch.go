// Package watch renders the daemon's live snapshots for `aggregator watch`.
//
// Everything here is pure: View, Waiting and Line turn a decoded snapshot
// (plus the rates a Tracker derived from earlier snapshots) into text, so
// the view is tested with golden files; cmd/aggregator owns the socket, the
// terminal and the timing.
package watch

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// Defaults of the watch command.
const (
	// DefaultSeries is the series whose histogram is drawn.
	DefaultSeries = snapshot.SampleLatencyNs
	// DefaultWidth is the width used when the output is not a terminal and
	// none was given.
	DefaultWidth = 100
	// DefaultWindow is the minimum span (of the daemon's clock) over which
	// Tracker derives the interval rates.
	DefaultWindow = time.Second
)

// known are the counters placed on a named line of the view; any other
// counter goes on the "other" line.
var known = map[string]bool{
	snapshot.TotalSamplesIssued: true, snapshot.TotalSamplesCompleted: true, snapshot.TotalSamplesFailed: true,
	snapshot.TrackedSamplesIssued: true, snapshot.TrackedSamplesCompleted: true, snapshot.TrackedSamplesFailed: true,
	snapshot.TrackedDurationNs: true, snapshot.LegacyLoadgenWindowDurationNs: true, snapshot.TotalDurationNs: true,
}

// Terminal reports whether st is a final state (the last snapshot of a run).
func Terminal(st snapshot.State) bool {
	return st == snapshot.Complete || st == snapshot.Interrupted
}

// value is a counter of s as the view shows it: one the snapshot lacks
// shows as 0.
func value(s *snapshot.Snapshot, name string) float64 {
	v, _ := s.CounterValue(name)
	return v
}

// percentile is a percentile of se as the view shows it: NaN (shown as
// "-") when the series lacks it.
func percentile(se *snapshot.Series, p float64) float64 {
	if v, ok := se.Percentile(p); ok {
		return v
	}
	return math.NaN()
}

// outputTokens is the osl series total: the output tokens counted so far.
func outputTokens(s *snapshot.Snapshot) float64 {
	if se := s.FindSeries(snapshot.OSL); se != nil {
		return se.Total.Value()
	}
	return 0
}

// Rates are the throughput figures derived from two snapshots of one run.
//
// QPS is Δtotal_samples_completed / Δtimestamp_ns and TPS is Δ(osl series
// total) / Δtimestamp_ns, between the newest snapshot and a base snapshot
// (see Tracker). timestamp_ns is the daemon's monotonic clock when it built
// the snapshot, so the rates do not depend on when (or whether) this
// process received the snapshots in between: conflation cannot skew them.
//
// osl values are recorded when an output's tokens are counted: with
// --tokenizer that is the live token lane (which may lag completions, and
// the end-of-run drain catches up), without it nothing is counted and TPS
// stays 0. TPS is therefore "output tokens counted per second", equal to
// the serving rate only when the token lane keeps up.
type Rates struct {
	Valid bool          // false until two snapshots of the same run were seen
	Span  time.Duration // Δtimestamp_ns between base and newest
	QPS   float64       // completed samples per second over Span
	TPS   float64       // output tokens per second over Span
}

type point struct {
	counter, ts         int64
	completed, outToken float64
}

// Tracker derives Rates from the stream of snapshots a watcher renders.
// The base of the rates is the newest earlier snapshot at least Window
// older (by the daemon's clock) than the newest one, or the oldest one
// seen when the run is younger than that: with Window 0 the rates are
// between consecutive snapshots. A snapshot whose counter or timestamp
// goes backwards (a restarted daemon) starts a new history.
type Tracker struct {
	Window time.Duration
	hist   []point
}

// maxHistory bounds the tracker's memory whatever the publish rate.
const maxHistory = 512

// Observe records s (the newest snapshot) and returns the rates at s.
func (t *Tracker) Observe(s *snapshot.Snapshot) Rates {
	p := point{counter: s.Counter, ts: s.TimestampNs, completed: value(s, snapshot.TotalSamplesCompleted), outToken: outputTokens(s)}
	if n := len(t.hist); n > 0 {
		last := t.hist[n-1]
		switch {
		case p.counter == last.counter && p.ts == last.ts:
			t.hist = t.hist[:n-1] // the same snapshot again: replace it
		case p.counter < last.counter || p.ts <= last.ts:
			t.hist = t.hist[:0]
		}
	}
	t.hist = append(t.hist, p)
	// Drop bases older than needed: keep the newest point that is at
	// least Window before p.
	drop := 0
	for drop+1 < len(t.hist)-1 && p.ts-t.hist[drop+1].ts >= int64(t.Window) {
		drop++
	}
	if len(t.hist)-drop > maxHistory {
		drop = len(t.hist) - maxHistory
	}
	if drop > 0 {
		t.hist = append(t.hist[:0], t.hist[drop:]...)
	}
	if len(t.hist) < 2 {
		return Rates{}
	}
	return ratesBetween(t.hist[0], p)
}

func ratesBetween(base, p point) Rates {
	span := time.Duration(p.ts - base.ts)
	if span <= 0 {
		return Rates{}
	}
	sec := span.Seconds()
	return Rates{
		Valid: true,
		Span:  span,
		QPS:   (p.completed - base.completed) / sec,
		TPS:   (p.outToken - base.outToken) / sec,
	}
}

// Averages are the whole-run rates of one snapshot: completed samples and
// output tokens over total_duration_ns (the event-time span since
// session.started), and, once tracked_duration_ns is set (at
// session.stop_performance_tracking and in the final snapshot), the
// tracked figures upstream's report uses.
type Averages struct {
	QPS, TPS               float64
	Valid                  bool
	TrackedQPS, TrackedTPS float64
	TrackedValid           bool
}

// Average computes the Averages of s.
func Average(s *snapshot.Snapshot) Averages {
	var a Averages
	out := outputTokens(s)
	if d := value(s, snapshot.TotalDurationNs); d > 0 {
		a.Valid = true
		a.QPS = value(s, snapshot.TotalSamplesCompleted) / (d / 1e9)
		a.TPS = out / (d / 1e9)
	}
	if d := value(s, snapshot.TrackedDurationNs); d > 0 {
		a.TrackedValid = true
		a.TrackedQPS = value(s, snapshot.TrackedSamplesCompleted) / (d / 1e9)
		a.TrackedTPS = out / (d / 1e9)
	}
	return a
}

// Options shape a view.
type Options struct {
	Source string // the endpoint, shown in the title
	Series string // histogram series ("" = DefaultSeries)
	Width  int    // columns (<= 0 = DefaultWidth); longer lines are cut
	// Height is the number of rows available (<= 0 = unlimited). The
	// histogram is merged into fewer rows to fit, and what still does not
	// fit is cut, so a redraw never scrolls.
	Height int
	Status string // an extra status line under the title ("" = none)
}

func (o *Options) norm() {
	if o.Series == "" {
		o.Series = DefaultSeries
	}
	if o.Width <= 0 {
		o.Width = DefaultWidth
	}
}

// Title is the first line of every view; a redraw in place shows it once.
func Title(source string) string { return "aggregator watch  " + source }

// View renders the full view of s: state, counters, rates, one row per
// series, and the histogram of o.Series. For a terminal snapshot the
// interval rates r are not shown (the final snapshot is built after the
// end-of-run drain, so its rate against the last live one is no serving
// rate); the run averages are, so the final view depends on s alone.
func View(s *snapshot.Snapshot, r Rates, o Options) []string {
	o.norm()
	var b builder
	b.add(Title(o.Source))
	if o.Status != "" {
		b.add(o.Status)
	}
	state := s.State.String()
	if Terminal(s.State) {
		state += " (final)"
	}
	b.addf("state %s   snapshot %d   pending tasks %d   elapsed %s",
		state, s.Counter, s.NPendingTasks, dur(value(s, snapshot.TotalDurationNs)))
	switch {
	case s.State == snapshot.Interrupted:
		b.add("WARNING: the run was interrupted; statistics are partial")
	case s.State == snapshot.Complete && s.NPendingTasks > 0:
		b.addf("WARNING: incomplete drain, %d token counts missing", s.NPendingTasks)
	}
	b.addf("samples   issued %s  completed %s  failed %s",
		count(value(s, snapshot.TotalSamplesIssued)), count(value(s, snapshot.TotalSamplesCompleted)), count(value(s, snapshot.TotalSamplesFailed)))
	b.addf("tracked   issued %s  completed %s  failed %s",
		count(value(s, snapshot.TrackedSamplesIssued)), count(value(s, snapshot.TrackedSamplesCompleted)), count(value(s, snapshot.TrackedSamplesFailed)))
	var finish, other []string
	for i := range s.Counters {
		c := &s.Counters[i]
		if r, ok := strings.CutPrefix(c.Name, snapshot.FinishReasonPrefix); ok {
			finish = append(finish, r+" "+count(c.Value.Value()))
		} else if !known[c.Name] {
			other = append(other, c.Name+" "+count(c.Value.Value()))
		}
	}
	if len(finish) > 0 {
		b.add("finish    " + strings.Join(finish, "  "))
	}
	b.addf("duration  total %s  tracked %s  loadgen window %s",
		dur(value(s, snapshot.TotalDurationNs)), dur(value(s, snapshot.TrackedDurationNs)), dur(value(s, snapshot.LegacyLoadgenWindowDurationNs)))
	if len(other) > 0 {
		b.add("other     " + strings.Join(other, "  "))
	}
	b.add(rateLine(s, r))
	b.add("")
	b.addf("%-18s %-4s %9s %10s %10s %10s %10s", "series", "unit", "count", "p50", "p90", "p99", "max")
	for i := range s.Series {
		se := &s.Series[i]
		unit, f := unitOf(se.Name)
		if se.Count == 0 {
			b.addf("%-18s %-4s %9d %10s %10s %10s %10s", se.Name, unit, 0, "-", "-", "-", "-")
			continue
		}
		b.addf("%-18s %-4s %9d %10s %10s %10s %10s", se.Name, unit, se.Count,
			f(percentile(se, 50)), f(percentile(se, 90)), f(percentile(se, 99)), f(se.Max.Value()))
	}
	b.add("")
	histogram(&b, s, o)
	return b.finish(o)
}

// rateLine is the throughput line of the view.
func rateLine(s *snapshot.Snapshot, r Rates) string {
	a := Average(s)
	var parts []string
	if !Terminal(s.State) {
		if r.Valid {
			parts = append(parts, fmt.Sprintf("QPS %.2f  TPS %.1f (last %s)", r.QPS, r.TPS, r.Span.Round(10*time.Millisecond)))
		} else {
			parts = append(parts, "QPS -  TPS - (after the next snapshot)")
		}
	}
	if a.Valid {
		parts = append(parts, fmt.Sprintf("avg QPS %.2f  TPS %.1f", a.QPS, a.TPS))
	} else {
		parts = append(parts, "avg QPS -  TPS -")
	}
	// tracked_duration_ns covers only the tracking blocks closed so far,
	// while the tracked counters include the open one: the ratio means
	// something only at the end.
	if a.TrackedValid && Terminal(s.State) {
		parts = append(parts, fmt.Sprintf("tracked QPS %.2f  TPS %.1f", a.TrackedQPS, a.TrackedTPS))
	}
	return "rate      " + strings.Join(parts, "   ")
}

// unitOf gives a series' display unit and value format: milliseconds for
// *_ns series, tokens otherwise (isl, osl).
func unitOf(name string) (string, func(float64) string) {
	if strings.HasSuffix(name, "_ns") {
		return "ms", func(v float64) string { return fmt.Sprintf("%.2f", v/1e6) }
	}
	return "tok", func(v float64) string { return fmt.Sprintf("%.0f", v) }
}

// edgeFormat formats histogram edges (tokens get one decimal: edges are
// log-spaced, not integers).
func edgeFormat(name string) func(float64) string {
	if strings.HasSuffix(name, "_ns") {
		return func(v float64) string { return fmt.Sprintf("%.2f", v/1e6) }
	}
	return func(v float64) string { return fmt.Sprintf("%.1f", v) }
}

// partial are the left-aligned eighth blocks, index = eighths.
var partial = [...]string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

const full = "█"

// bar draws count/maxCount of width cells with eighth-cell resolution; a
// non-zero count always shows at least one eighth.
func bar(count, maxCount int64, width int) string {
	if count <= 0 || maxCount <= 0 || width <= 0 {
		return ""
	}
	eighths := int(math.Round(float64(count) / float64(maxCount) * float64(width*8)))
	eighths = max(eighths, 1)
	return strings.Repeat(full, eighths/8) + partial[eighths%8]
}

// Merge sums runs of adjacent buckets so that at most rows remain (rows
// < 1 = no limit); adjacent buckets are contiguous, so the merged edges
// are exact.
func Merge(h []snapshot.Bucket, rows int) []snapshot.Bucket {
	if rows < 1 || len(h) <= rows {
		return h
	}
	k := (len(h) + rows - 1) / rows
	out := make([]snapshot.Bucket, 0, rows)
	for i := 0; i < len(h); i += k {
		j := min(i+k, len(h))
		m := snapshot.Bucket{Lo: h[i].Lo, Hi: h[j-1].Hi}
		for _, b := range h[i:j] {
			m.Count += b.Count
		}
		out = append(out, m)
	}
	return out
}

// histogram adds the histogram section for o.Series.
func histogram(b *builder, s *snapshot.Snapshot, o Options) {
	se := s.FindSeries(o.Series)
	if se == nil {
		names := make([]string, len(s.Series))
		for i := range s.Series {
			names[i] = s.Series[i].Name
		}
		b.addf("histogram: no series %q in this snapshot (have: %s)", o.Series, strings.Join(names, ", "))
		return
	}
	unit, _ := unitOf(se.Name)
	if se.Count == 0 || len(se.Histogram) == 0 {
		b.addf("histogram %s (%s): no samples yet", se.Name, unit)
		return
	}
	rows := 0
	if o.Height > 0 {
		// What is left under the title, never fewer than 3 rows (the
		// builder cuts the view at Height anyway).
		rows = max(o.Height-len(b.lines)-1, 3)
	}
	h := Merge(se.Histogram, rows)
	title := fmt.Sprintf("histogram %s (%s, %d samples, %d buckets", se.Name, unit, se.Count, len(se.Histogram))
	if len(h) < len(se.Histogram) {
		title += fmt.Sprintf(" in %d rows", len(h))
	}
	b.add(title + ")")
	f := edgeFormat(se.Name)
	var wl, wh, wc int
	var maxCount int64
	for _, k := range h {
		wl = max(wl, len(f(k.Lo)))
		wh = max(wh, len(f(k.Hi)))
		wc = max(wc, len(fmt.Sprint(k.Count)))
		maxCount = max(maxCount, k.Count)
	}
	// "  lo - hi  count │bar"
	prefix := 2 + wl + 3 + wh + 2 + wc + 2
	width := max(o.Width-prefix, 8)
	for _, k := range h {
		b.addf("  %*s - %*s  %*d │%s", wl, f(k.Lo), wh, f(k.Hi), wc, k.Count, bar(k.Count, maxCount, width))
	}
}

// Waiting is the view before the first snapshot: whether the socket is
// connected yet, and for how long we have been waiting.
func Waiting(connected bool, waited time.Duration, o Options) []string {
	o.norm()
	var b builder
	b.add(Title(o.Source))
	if o.Status != "" {
		b.add(o.Status)
	}
	w := waited.Round(time.Second)
	if connected {
		b.addf("connected to %s; waiting for the first snapshot, %s", o.Source, w)
		b.add("(the daemon publishes snapshots from session.started on)")
	} else {
		b.addf("waiting for %s (daemon not up yet), %s", o.Source, w)
	}
	b.add("Ctrl-C to quit")
	return b.finish(o)
}

// Line is the one-line summary of s printed per snapshot when the output is
// not a terminal: key=value fields, the chosen series' p50/p99 last.
func Line(s *snapshot.Snapshot, r Rates, series string) string {
	if series == "" {
		series = DefaultSeries
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "state=%s snapshot=%d pending=%d elapsed=%s issued=%s completed=%s failed=%s",
		s.State, s.Counter, s.NPendingTasks, dur(value(s, snapshot.TotalDurationNs)),
		count(value(s, snapshot.TotalSamplesIssued)), count(value(s, snapshot.TotalSamplesCompleted)), count(value(s, snapshot.TotalSamplesFailed)))
	switch {
	case Terminal(s.State):
		a := Average(s)
		if a.Valid {
			fmt.Fprintf(&sb, " avg_qps=%.2f avg_tps=%.1f", a.QPS, a.TPS)
		}
	case r.Valid:
		fmt.Fprintf(&sb, " qps=%.2f tps=%.1f", r.QPS, r.TPS)
	default:
		sb.WriteString(" qps=- tps=-")
	}
	if se := s.FindSeries(series); se != nil {
		unit, f := unitOf(se.Name)
		if se.Count > 0 {
			if unit != "ms" {
				unit = "" // token counts
			}
			fmt.Fprintf(&sb, " %s.p50=%s%s %s.p99=%s%s", se.Name, f(percentile(se, 50)), unit, se.Name, f(percentile(se, 99)), unit)
		} else {
			fmt.Fprintf(&sb, " %s.count=0", se.Name)
		}
	}
	return sb.String()
}

// count formats a counter value.
func count(v float64) string { return fmt.Sprintf("%.0f", v) }

// dur formats nanoseconds as a Go duration rounded to the millisecond.
func dur(ns float64) string { return time.Duration(ns).Round(time.Millisecond).String() }

// builder collects the lines of a view.
type builder struct{ lines []string }

func (b *builder) add(s string)               { b.lines = append(b.lines, s) }
func (b *builder) addf(f string, args ...any) { b.add(fmt.Sprintf(f, args...)) }
func (b *builder) finish(o Options) []string  { return Fit(b.lines, o.Width, o.Height) }

// Fit cuts lines to width columns (one column per rune: the view uses
// only single-width characters) and to height rows (<= 0 = unlimited).
func Fit(lines []string, width, height int) []string {
	if height > 0 && len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		if width > 0 && utf8.RuneCountInString(l) > width {
			n := 0
			for j := range l {
				if n == width {
					l = l[:j]
					break
				}
				n++
			}
		}
		lines[i] = strings.TrimRight(l, " ")
	}
	return lines
}
