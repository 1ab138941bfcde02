package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// FormatValue prints v in unit: ms with two decimals, token counts as
// integers (one decimal when fractional), other units with six significant
// digits; N/A when not available.
func FormatValue(v Value, unit string) string {
	if !v.OK() {
		return "N/A"
	}
	f := float64(v)
	switch unit {
	case "ms":
		return strconv.FormatFloat(f, 'f', 2, 64)
	case "tokens":
		if f == math.Trunc(f) && math.Abs(f) < 1e15 {
			return strconv.FormatFloat(f, 'f', 0, 64)
		}
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// fixed2 prints v with two decimals (upstream's QPS/TPS/duration format).
func fixed2(v Value) string {
	if !v.OK() {
		return "N/A"
	}
	return strconv.FormatFloat(float64(v), 'f', 2, 64)
}

// SeriesColumns are the columns of the series table.
var SeriesColumns = []string{"series", "unit", "count", "min", "avg", "median", "p90", "p99", "max"}

// SeriesRow is one row of the series table as text ("-" where a series has
// no samples).
func SeriesRow(se *Series) []string {
	row := []string{se.Name, se.Unit, strconv.FormatInt(se.Count, 10)}
	for _, v := range []Value{se.Min, se.Avg, se.Median, se.P90, se.P99, se.Max} {
		if se.Count == 0 {
			row = append(row, "-")
		} else {
			row = append(row, FormatValue(v, se.Unit))
		}
	}
	return row
}

// Headline is the summary's text lines before the series table: state,
// warnings, samples, duration, QPS/TPS and finish reasons.
func Headline(s *Summary) []string {
	lines := []string{"state: " + s.State}
	for _, w := range s.Warnings {
		lines = append(lines, "WARNING: "+w)
	}
	c := s.Samples
	lines = append(lines, fmt.Sprintf("samples: issued %d (tracked %d), completed %d (tracked %d), failed %d (tracked %d)",
		c.Issued, c.TrackedIssued, c.Completed, c.TrackedCompleted, c.Failed, c.TrackedFailed))
	d := "duration: N/A (no tracked_duration_ns counter)"
	if s.Duration.OK() {
		d = "duration: " + fixed2(s.Duration) + " seconds (tracked_duration_ns)"
	}
	if s.TotalDuration.OK() {
		d += "; total " + fixed2(s.TotalDuration) + " seconds (total_duration_ns)"
		if s.Duration.OK() && s.Duration > s.TotalDuration {
			d += "; tracking blocks overlap, so tracked exceeds total"
		}
	}
	lines = append(lines, d)
	qps := "QPS: " + fixed2(s.QPS)
	if s.QPS.OK() {
		qps += " (tracked samples completed / duration)"
	} else {
		qps += " (no tracked duration)"
	}
	tps := "TPS: " + fixed2(s.TPS)
	if s.TPS.OK() {
		tps += " (output tokens: osl total / duration)"
	} else if s.TPSNote != "" {
		tps += " (" + s.TPSNote + ")"
	}
	lines = append(lines, qps, tps)
	if s.LegacyQPS.OK() {
		lines = append(lines, fmt.Sprintf("legacy LoadGen window: %s seconds, QPS %s, TPS %s (upstream's numbers for poisson runs: (tracked completed - 1) / window, osl total / window)",
			fixed2(s.LegacyWindow), fixed2(s.LegacyQPS), fixed2(s.LegacyTPS)))
	}
	if len(s.FinishReasons) > 0 {
		parts := make([]string, len(s.FinishReasons))
		for i, r := range s.FinishReasons {
			parts[i] = fmt.Sprintf("%s %d", r.Reason, r.Count)
		}
		lines = append(lines, "finish reasons: "+strings.Join(parts, ", ")+" (tracked samples)")
	}
	return lines
}

// Notes are the lines after the series table: empty and absent series.
func Notes(s *Summary) []string {
	var lines, empty []string
	for i := range s.Series {
		se := &s.Series[i]
		if se.Count == 0 {
			if se.Note != "" {
				empty = append(empty, se.Name+" ("+se.Note+")")
			} else {
				empty = append(empty, se.Name)
			}
		}
	}
	if len(empty) > 0 {
		lines = append(lines, "no samples: "+strings.Join(empty, ", "))
	}
	if len(s.Missing) > 0 {
		lines = append(lines, "missing from the snapshot: "+strings.Join(s.Missing, ", "))
	}
	if s.NotStreaming {
		lines = append(lines, "not recorded: "+strings.Join(snapshot.StreamingSeries[:], ", ")+" (run without --streaming)")
	}
	return lines
}

// WriteText writes the text report of s.
func WriteText(w io.Writer, s *Summary) error {
	var b strings.Builder
	for _, l := range Headline(s) {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	rows := [][]string{SeriesColumns}
	for i := range s.Series {
		rows = append(rows, SeriesRow(&s.Series[i]))
	}
	if len(s.Series) == 0 {
		b.WriteString("no series in the snapshot\n")
	} else {
		writeTable(&b, rows, 2)
	}
	for _, l := range Notes(s) {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTable writes rows in columns two spaces apart: the first leftAligned
// columns left-aligned, the others right-aligned.
func writeTable(b *strings.Builder, rows [][]string, leftAligned int) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-len(c))
			if i < leftAligned {
				line.WriteString(c + pad)
			} else {
				line.WriteString(pad + c)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}
