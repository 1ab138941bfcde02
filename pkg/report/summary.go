// Package report turns a final snapshot (final_snapshot.json) into the
// human summary of a benchmark run: a text report, a self-contained HTML
// page with one histogram plot per series (inline SVG, no network), and the
// summary numbers as JSON. Every renderer is a pure function of a Summary,
// which Build derives from the snapshot with upstream's definitions
// (mlcommons/endpoints src/inference_endpoint/metrics/report.py,
// Report.from_snapshot and _series_to_metric_dict):
//
//   - duration: tracked_duration_ns, the sum over performance-tracking blocks
//     of (last tracked completion - block start). Blocks can overlap (late
//     completions of one block run past the start of the next), so it can
//     exceed total_duration_ns, the wall clock from session.started.
//   - QPS: tracked_samples_completed / duration; N/A when the duration is 0.
//   - TPS: osl total (output tokens of tracked samples) / duration; N/A when
//     the osl series is absent or empty (no tokenizer).
//   - legacy LoadGen window (upstream's headline for poisson runs with
//     use_legacy_loadgen_qps_metrics, its default there):
//     QPS = (tracked_samples_completed - 1) / legacy_loadgen_window_duration_ns,
//     TPS = osl total / window; only when the window is > 0 and at least two
//     tracked samples completed.
//   - per series: avg = total / count, std dev = sqrt((sum_sq - total²/n) /
//     (n - 1)), median/p90/p99 = the snapshot's percentiles "50.0", "90.0",
//     "99.0" (exact on a complete snapshot, HDR approximations on an
//     interrupted one).
package report

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// Value is a number of the summary; NaN stands for "not available" and is
// written as N/A in text and null in JSON.
type Value float64

// NA is the not-available Value.
var NA = Value(math.NaN())

// OK reports whether v is a finite number.
func (v Value) OK() bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// MarshalJSON writes non-finite values as null.
func (v Value) MarshalJSON() ([]byte, error) {
	if !v.OK() {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(v), 'g', -1, 64), nil
}

// Samples are the sample counters.
type Samples struct {
	Issued           int64 `json:"issued"`
	Completed        int64 `json:"completed"`
	Failed           int64 `json:"failed"`
	TrackedIssued    int64 `json:"tracked_issued"`
	TrackedCompleted int64 `json:"tracked_completed"`
	TrackedFailed    int64 `json:"tracked_failed"`
}

// Reason is one finish-reason counter of tracked samples.
type Reason struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// Point is one percentile (or early-stopping estimate; NA = too few
// samples) in display units.
type Point struct {
	Key   string
	Value Value
}

// Points are percentiles in the snapshot's order; JSON: an object keyed by
// percentile, in that order.
type Points []Point

// MarshalJSON writes p as an ordered object.
func (p Points) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, q := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, q.Key)
		v, _ := q.Value.MarshalJSON()
		b = append(append(b, ':'), v...)
	}
	return append(b, '}'), nil
}

// Reasons are the finish-reason counters in snapshot order; JSON: an object
// keyed by reason, in that order (upstream's finish_reason_counts).
type Reasons []Reason

// MarshalJSON writes r as an ordered object.
func (r Reasons) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, c := range r {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, c.Reason)
		b = append(b, ':')
		b = strconv.AppendInt(b, c.Count, 10)
	}
	return append(b, '}'), nil
}

// Bucket is one histogram bucket in display units.
type Bucket struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Count int64   `json:"count"`
}

// Series is the summary of one series, in display units (ms for *_ns,
// tokens for isl/osl).
type Series struct {
	Name   string `json:"name"`
	Label  string `json:"label"`
	Unit   string `json:"unit"`
	Count  int64  `json:"count"`
	Min    Value  `json:"min"`
	Avg    Value  `json:"avg"`
	Median Value  `json:"median"`
	P90    Value  `json:"p90"`
	P99    Value  `json:"p99"`
	Max    Value  `json:"max"`
	StdDev Value  `json:"std_dev"`
	// Percentiles are all of the snapshot's, in its order.
	Percentiles Points `json:"percentiles"`
	// EarlyStopping is nil when the snapshot has none for this series.
	EarlyStopping Points   `json:"early_stopping_percentiles,omitempty"`
	Histogram     []Bucket `json:"-"`
	// Note says why an empty series is empty.
	Note string `json:"note,omitempty"`
}

// Summary is everything the renderers show.
type Summary struct {
	State         string `json:"state"`
	NPendingTasks int64  `json:"n_pending_tasks"`
	// Complete is upstream's Report.complete: state complete and no
	// pending token work.
	Complete bool    `json:"complete"`
	Samples  Samples `json:"samples"`
	// Durations in seconds; Duration is the tracked duration QPS/TPS use.
	Duration      Value `json:"duration_s"`
	TotalDuration Value `json:"total_duration_s"`
	LegacyWindow  Value `json:"legacy_loadgen_window_s"`
	QPS           Value `json:"qps"`
	TPS           Value `json:"tps"`
	LegacyQPS     Value `json:"legacy_loadgen_qps"`
	LegacyTPS     Value `json:"legacy_loadgen_tps"`
	// TPSNote says why TPS is N/A.
	TPSNote       string   `json:"-"`
	FinishReasons Reasons  `json:"finish_reason_counts"`
	Series        []Series `json:"series"`
	// Missing lists expected series the snapshot does not have;
	// NotStreaming is set when none of the streaming series is there.
	Missing      []string `json:"missing_series"`
	NotStreaming bool     `json:"not_streaming"`
	Warnings     []string `json:"warnings"`
}

// Build derives the summary of s.
func Build(s *snapshot.Snapshot) *Summary {
	sum := &Summary{
		State:         s.State.String(),
		NPendingTasks: s.NPendingTasks,
		Complete:      s.State == snapshot.Complete && s.NPendingTasks == 0,
		FinishReasons: Reasons{},
		Series:        []Series{},
		Missing:       []string{},
		Warnings:      []string{},
	}
	n := func(name string) int64 {
		v, _ := s.CounterValue(name) // a sample count the run lacks is 0
		return int64(v)
	}
	sum.Samples = Samples{
		Issued: n(snapshot.TotalSamplesIssued), Completed: n(snapshot.TotalSamplesCompleted), Failed: n(snapshot.TotalSamplesFailed),
		TrackedIssued: n(snapshot.TrackedSamplesIssued), TrackedCompleted: n(snapshot.TrackedSamplesCompleted),
		TrackedFailed: n(snapshot.TrackedSamplesFailed),
	}
	seconds := func(name string) Value {
		v, ok := s.CounterValue(name)
		if !ok {
			return NA
		}
		return Value(v / 1e9)
	}
	sum.Duration = seconds(snapshot.TrackedDurationNs)
	sum.TotalDuration = seconds(snapshot.TotalDurationNs)
	sum.LegacyWindow = seconds(snapshot.LegacyLoadgenWindowDurationNs)

	osl := s.FindSeries(snapshot.OSL)
	oslTotal, haveOSL := 0.0, osl != nil && osl.Count > 0
	if haveOSL {
		oslTotal = osl.Total.Value()
	}
	switch {
	case osl == nil:
		sum.TPSNote = "no osl series"
	case osl.Count == 0:
		sum.TPSNote = "no output token counts: osl is empty"
	}
	sum.QPS, sum.TPS, sum.LegacyQPS, sum.LegacyTPS = NA, NA, NA, NA
	if d := float64(sum.Duration); sum.Duration.OK() && d > 0 {
		sum.QPS = Value(float64(sum.Samples.TrackedCompleted) / d)
		if haveOSL {
			sum.TPS = Value(oslTotal / d)
		}
	} else if sum.TPSNote == "" {
		sum.TPSNote = "no tracked duration"
	}
	if w := float64(sum.LegacyWindow); sum.LegacyWindow.OK() && w > 0 && sum.Samples.TrackedCompleted >= 2 {
		sum.LegacyQPS = Value(float64(sum.Samples.TrackedCompleted-1) / w)
		if haveOSL {
			sum.LegacyTPS = Value(oslTotal / w)
		}
	}

	for _, c := range s.Counters {
		if r, ok := strings.CutPrefix(c.Name, snapshot.FinishReasonPrefix); ok {
			sum.FinishReasons = append(sum.FinishReasons, Reason{Reason: r, Count: int64(c.Value.Value())})
		}
	}

	for i := range s.Series {
		sum.Series = append(sum.Series, buildSeries(&s.Series[i]))
	}
	for _, name := range snapshot.CoreSeries {
		if s.FindSeries(name) == nil {
			sum.Missing = append(sum.Missing, name)
		}
	}
	nStreaming := 0
	for _, name := range snapshot.StreamingSeries {
		if s.FindSeries(name) != nil {
			nStreaming++
		}
	}
	if nStreaming == 0 {
		sum.NotStreaming = true
	} else {
		for _, name := range snapshot.StreamingSeries {
			if s.FindSeries(name) == nil {
				sum.Missing = append(sum.Missing, name)
			}
		}
	}

	switch s.State {
	case snapshot.Complete:
		if s.NPendingTasks > 0 {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf(
				"token metrics incomplete: the tokenizer drain did not finish (%d pending); isl, osl, tpot_ns and TPS miss those samples", s.NPendingTasks))
		}
	case snapshot.Interrupted:
		sum.Warnings = append(sum.Warnings,
			"run interrupted: metrics cover only what was folded before the run was stopped (by the benchmark or by SIGTERM); samples still in flight are not counted and percentiles are HDR approximations")
		if s.NPendingTasks > 0 {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf(
				"token metrics incomplete: %d token counts were still pending when the run was interrupted", s.NPendingTasks))
		}
	default:
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("not a final snapshot: state %s", s.State))
	}
	return sum
}

// unitOf returns a series' display unit and the divisor from its raw unit.
func unitOf(name string) (unit string, div float64) {
	switch {
	case strings.HasSuffix(name, "_ns"):
		return "ms", 1e6
	case name == snapshot.ISL || name == snapshot.OSL:
		return "tokens", 1
	}
	return "", 1
}

var labels = map[string]string{
	snapshot.SampleLatencyNs: "Latency",
	snapshot.TTFTNs:          "TTFT",
	snapshot.TPOTNs:          "TPOT",
	snapshot.ChunkDeltaNs:    "Chunk delta",
	snapshot.ISL:             "Input sequence lengths",
	snapshot.OSL:             "Output sequence lengths",
}

var emptyNotes = map[string]string{
	snapshot.ISL:    "needs --tokenizer or pre-tokenized prompts",
	snapshot.OSL:    "needs --tokenizer",
	snapshot.TPOTNs: "needs --tokenizer for output token counts",
	snapshot.TTFTNs: "no streamed first chunk",
}

func buildSeries(se *snapshot.Series) Series {
	unit, div := unitOf(se.Name)
	label := labels[se.Name]
	if label == "" {
		label = se.Name
	}
	out := Series{
		Name: se.Name, Label: label, Unit: unit, Count: se.Count,
		Min: NA, Avg: NA, Median: NA, P90: NA, P99: NA, Max: NA, StdDev: NA,
		Percentiles: Points{},
	}
	if se.Count == 0 {
		out.Note = emptyNotes[se.Name]
		if se.EarlyStopping != nil {
			out.EarlyStopping = estimates(se.EarlyStopping, div)
		}
		return out
	}
	sc := func(v float64) Value { return Value(v / div) }
	out.Min, out.Max = sc(se.Min.Value()), sc(se.Max.Value())
	out.Avg = sc(se.Total.Value() / float64(se.Count))
	out.StdDev = sc(stdDev(se))
	pick := func(p float64) Value {
		if v, ok := se.Percentile(p); ok {
			return sc(v)
		}
		return NA
	}
	out.Median, out.P90, out.P99 = pick(50), pick(90), pick(99)
	for _, p := range se.Percentiles {
		out.Percentiles = append(out.Percentiles, Point{Key: p.Key, Value: sc(p.Value)})
	}
	if se.EarlyStopping != nil {
		out.EarlyStopping = estimates(se.EarlyStopping, div)
	}
	for _, b := range se.Histogram {
		out.Histogram = append(out.Histogram, Bucket{Lo: b.Lo / div, Hi: b.Hi / div, Count: b.Count})
	}
	return out
}

func estimates(es []snapshot.Estimate, div float64) Points {
	out := Points{}
	for _, e := range es {
		v := NA
		if e.Valid {
			v = Value(e.Value / div)
		}
		out = append(out, Point{Key: e.Key, Value: v})
	}
	return out
}

// stdDev is upstream's sample standard deviation from the rollups:
// sqrt(max(0, sum_sq - total*total/n) / (n-1)), with total*total/n
// correctly rounded when total is an int (Python's int true division).
func stdDev(se *snapshot.Series) float64 {
	n := se.Count
	if n <= 1 {
		return 0
	}
	if !se.Total.Float && !se.SumSq.Float {
		// Both ints: upstream's exact form sqrt(n*sum_sq - total²) / sqrt(n(n-1)).
		num := new(big.Int).Mul(big.NewInt(n), bigOf(se.SumSq))
		t := bigOf(se.Total)
		num.Sub(num, t.Mul(t, t))
		if num.Sign() <= 0 {
			return 0
		}
		f, _ := new(big.Float).SetInt(num).Float64()
		return math.Sqrt(f) / math.Sqrt(float64(n)*float64(n-1))
	}
	var sq float64
	if se.Total.Float {
		sq = se.Total.F * se.Total.F / float64(n)
	} else {
		t := bigOf(se.Total)
		t.Mul(t, t)
		q := new(big.Float).SetPrec(256).SetInt(t)
		q.Quo(q, new(big.Float).SetPrec(256).SetInt64(n))
		sq, _ = q.Float64()
	}
	v := (se.SumSq.Value() - sq) / float64(n-1)
	return math.Sqrt(math.Max(0, v))
}

// bigOf returns an int Num as a new big.Int.
func bigOf(v snapshot.Num) *big.Int {
	if v.Big != nil {
		return new(big.Int).Set(v.Big)
	}
	return big.NewInt(v.I)
}
