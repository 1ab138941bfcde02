package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// Definitions explain the headline numbers; the HTML page and the CLI help
// show them.
var Definitions = []string{
	"duration: tracked_duration_ns, the sum over performance-tracking blocks of (last tracked completion - block start); blocks can overlap, so it can exceed total_duration_ns (wall clock from session.started)",
	"QPS: tracked_samples_completed / duration (upstream's endpoints-native QPS)",
	"TPS: osl total (output tokens of tracked samples) / duration; N/A without output token counts",
	"legacy LoadGen window: legacy_loadgen_window_duration_ns, first tracked issue to the completion of the last-issued tracked sample; QPS = (tracked completed - 1) / window, TPS = osl total / window (upstream's headline for poisson runs)",
	"series: ms for *_ns series, tokens for isl/osl; avg = total / count; median, p90, p99 are the snapshot's percentiles (exact on a complete snapshot, HDR approximations on an interrupted one)",
}

const css = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff;margin:24px;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}
.src{color:#555;margin:0 0 12px;font-family:ui-monospace,monospace;font-size:13px}
.warn{background:#fff4e5;border-left:4px solid #e08a00;padding:6px 10px;margin:6px 0;font-size:14px}
table{border-collapse:collapse;font-size:13px}
th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
table.num td,table.num th{text-align:right}
table.num td:first-child,table.num th:first-child,table.series td:nth-child(2),table.series th:nth-child(2){text-align:left}
table.kv th{font-weight:600;color:#333}
.def{color:#666;font-size:12px}
.note{color:#555;font-size:13px;margin:6px 0}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px;align-items:start}
figure{margin:0;border:1px solid #e2e2e2;border-radius:4px;padding:8px}
figcaption{font-size:14px;font-weight:600;margin-bottom:4px}
figcaption .sub{font-weight:400;color:#666;font-size:12px}
svg.hist{width:100%;height:auto;font-size:11px;font-family:system-ui,sans-serif}
svg.hist text{fill:#333}
svg.hist text.axis{font-size:12px}
svg.hist text.marker{fill:` + MarkerColor + `}
code{font-family:ui-monospace,monospace;font-size:12px}
ul.defs{font-size:13px;color:#444}
`

// WriteHTML writes s as one self-contained HTML page: no scripts, no
// external resources; inline CSS and one inline-SVG histogram per series
// with samples. title names the source (e.g. the snapshot's path).
func WriteHTML(w io.Writer, s *Summary, title string) error {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<title>Benchmark report: %s</title>\n<style>%s</style>\n</head>\n<body>\n", esc(title), css)
	b.WriteString("<h1>Benchmark report</h1>\n")
	fmt.Fprintf(&b, "<p class=\"src\">%s</p>\n", esc(title))
	for _, w := range s.Warnings {
		fmt.Fprintf(&b, "<div class=\"warn\"><strong>WARNING:</strong> %s</div>\n", esc(w))
	}

	b.WriteString("<h2>Summary</h2>\n<table class=\"kv\">\n")
	kv := func(k, v, def string) {
		fmt.Fprintf(&b, "<tr><th>%s</th><td>%s", esc(k), esc(v))
		if def != "" {
			fmt.Fprintf(&b, " <span class=\"def\">%s</span>", esc(def))
		}
		b.WriteString("</td></tr>\n")
	}
	c := s.Samples
	kv("state", s.State, "")
	kv("samples issued", fmt.Sprintf("%d (tracked %d)", c.Issued, c.TrackedIssued), "")
	kv("samples completed", fmt.Sprintf("%d (tracked %d)", c.Completed, c.TrackedCompleted), "")
	kv("samples failed", fmt.Sprintf("%d (tracked %d)", c.Failed, c.TrackedFailed), "")
	if s.NPendingTasks > 0 {
		kv("pending token tasks", strconv.FormatInt(s.NPendingTasks, 10), "n_pending_tasks")
	}
	kv("duration", seconds(s.Duration), snapshot.TrackedDurationNs)
	kv("total duration", seconds(s.TotalDuration), snapshot.TotalDurationNs)
	qpsDef := "tracked samples completed / duration"
	if !s.QPS.OK() {
		qpsDef = "no tracked duration"
	}
	kv("QPS", fixed2(s.QPS), qpsDef)
	tpsDef := "osl total / duration"
	if !s.TPS.OK() {
		tpsDef = s.TPSNote
	}
	kv("TPS", fixed2(s.TPS), tpsDef)
	if s.LegacyQPS.OK() {
		kv("legacy LoadGen window", seconds(s.LegacyWindow), snapshot.LegacyLoadgenWindowDurationNs)
		kv("legacy QPS / TPS", fixed2(s.LegacyQPS)+" / "+fixed2(s.LegacyTPS), "(tracked completed - 1) / window, osl total / window: upstream's numbers for poisson runs")
	}
	b.WriteString("</table>\n")

	if len(s.FinishReasons) > 0 {
		b.WriteString("<h2>Finish reasons <span class=\"def\">(tracked samples)</span></h2>\n<table class=\"num\">\n<tr>")
		for _, r := range s.FinishReasons {
			fmt.Fprintf(&b, "<th>%s</th>", esc(r.Reason))
		}
		b.WriteString("</tr>\n<tr>")
		for _, r := range s.FinishReasons {
			fmt.Fprintf(&b, "<td>%d</td>", r.Count)
		}
		b.WriteString("</tr>\n</table>\n")
	}

	b.WriteString("<h2>Series</h2>\n")
	if len(s.Series) == 0 {
		b.WriteString("<p class=\"note\">no series in the snapshot</p>\n")
	} else {
		b.WriteString("<table class=\"num series\">\n<tr>")
		for _, h := range SeriesColumns {
			fmt.Fprintf(&b, "<th>%s</th>", h)
		}
		b.WriteString("<th>std dev</th></tr>\n")
		for i := range s.Series {
			se := &s.Series[i]
			b.WriteString("<tr>")
			for j, cell := range SeriesRow(se) {
				if j == 0 {
					fmt.Fprintf(&b, "<td><code>%s</code></td>", esc(cell))
				} else {
					fmt.Fprintf(&b, "<td>%s</td>", esc(cell))
				}
			}
			sd := "-"
			if se.Count > 0 {
				sd = FormatValue(se.StdDev, se.Unit)
			}
			fmt.Fprintf(&b, "<td>%s</td></tr>\n", esc(sd))
		}
		b.WriteString("</table>\n")
	}
	for _, l := range Notes(s) {
		fmt.Fprintf(&b, "<p class=\"note\">%s</p>\n", esc(l))
	}

	if len(s.Series) > 0 {
		b.WriteString("<h2>Histograms</h2>\n<div class=\"plots\">\n")
		for i := range s.Series {
			se := &s.Series[i]
			fmt.Fprintf(&b, "<figure id=\"plot-%s\">\n<figcaption>%s <code>%s</code> <span class=\"sub\">%d samples",
				esc(se.Name), esc(se.Label), esc(se.Name), se.Count)
			if se.Unit != "" {
				fmt.Fprintf(&b, ", %s", esc(se.Unit))
			}
			b.WriteString("</span></figcaption>\n")
			if svg := HistogramSVG(se, BarColors[i%len(BarColors)]); svg != "" {
				b.WriteString(svg)
				b.WriteString("\n")
			} else {
				msg := "no samples"
				if se.Count > 0 {
					msg = "no histogram in the snapshot"
				} else if se.Note != "" {
					msg += " (" + se.Note + ")"
				}
				fmt.Fprintf(&b, "<p class=\"note\">%s</p>\n", esc(msg))
			}
			b.WriteString("</figure>\n")
		}
		b.WriteString("</div>\n")
	}

	writePercentileTable(&b, s, "Percentiles", "", func(se *Series) Points { return se.Percentiles })
	writePercentileTable(&b, s, "Early-stopping percentile estimates", "N/A = insufficient samples",
		func(se *Series) Points { return se.EarlyStopping })

	b.WriteString("<h2>Definitions</h2>\n<ul class=\"defs\">\n")
	for _, d := range Definitions {
		fmt.Fprintf(&b, "<li>%s</li>\n", esc(d))
	}
	b.WriteString("</ul>\n</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writePercentileTable writes one row per percentile key and one column per
// series that has points; nothing when no series has any.
func writePercentileTable(b *strings.Builder, s *Summary, heading, sub string, points func(*Series) Points) {
	var cols []*Series
	var keys []string
	seen := map[string]bool{}
	for i := range s.Series {
		pts := points(&s.Series[i])
		if len(pts) == 0 || (s.Series[i].Count == 0 && heading == "Percentiles") {
			continue
		}
		cols = append(cols, &s.Series[i])
		for _, p := range pts {
			if !seen[p.Key] {
				seen[p.Key] = true
				keys = append(keys, p.Key)
			}
		}
	}
	if len(cols) == 0 {
		return
	}
	fmt.Fprintf(b, "<h2>%s", esc(heading))
	if sub != "" {
		fmt.Fprintf(b, " <span class=\"def\">(%s)</span>", esc(sub))
	}
	b.WriteString("</h2>\n<table class=\"num\">\n<tr><th>percentile</th>")
	for _, se := range cols {
		fmt.Fprintf(b, "<th><code>%s</code>", esc(se.Name))
		if se.Unit != "" {
			fmt.Fprintf(b, " %s", esc(se.Unit))
		}
		b.WriteString("</th>")
	}
	b.WriteString("</tr>\n")
	for _, k := range keys {
		fmt.Fprintf(b, "<tr><td>%s</td>", esc(k))
		for _, se := range cols {
			cell := ""
			for _, p := range points(se) {
				if p.Key == k {
					cell = FormatValue(p.Value, se.Unit)
					break
				}
			}
			fmt.Fprintf(b, "<td>%s</td>", esc(cell))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
}

// seconds prints a duration in seconds, or N/A.
func seconds(v Value) string {
	if !v.OK() {
		return "N/A"
	}
	return fixed2(v) + " s"
}
