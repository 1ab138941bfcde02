package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// realInputs are final snapshots written by the upstream aggregator, plus
// the incomplete-drain copy under testdata/report.
var realInputs = []string{
	"testdata/replay/streaming/expected.json",
	"testdata/replay/nonstreaming/expected.json",
	"testdata/replay/earlystop/expected.json",
	"testdata/replay/edgecases/expected.json",
	"testdata/replay/interrupted/expected.json",
	"testdata/tokens-golden/expected.json",
	"testdata/report/pending/final_snapshot.json",
}

func readSnapshot(t testing.TB, rel string) *snapshot.Snapshot {
	t.Helper()
	f, err := os.Open(filepath.Join("../..", rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := snapshot.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s", path, got)
	}
}

// synthetic is a hand-made snapshot for the edge cases the real ones lack:
// a missing core series (isl), a partial streaming set (ttft_ns only), an
// unknown series with linear buckets, a series with samples but no
// histogram, NaN (null) statistics, int sum_sq, early stopping with None.
func synthetic() *snapshot.Snapshot {
	pct := func(vals ...float64) []snapshot.Percentile {
		keys := []string{"99.0", "90.0", "50.0"}
		var out []snapshot.Percentile
		for i, v := range vals {
			out = append(out, snapshot.Percentile{Key: keys[i], Value: v})
		}
		return out
	}
	return &snapshot.Snapshot{
		State: snapshot.Complete,
		Counters: []snapshot.Counter{
			{Name: snapshot.TotalSamplesIssued, Value: snapshot.Int(120)},
			{Name: snapshot.TotalSamplesCompleted, Value: snapshot.Int(110)},
			{Name: snapshot.TotalSamplesFailed, Value: snapshot.Int(10)},
			{Name: snapshot.TrackedSamplesIssued, Value: snapshot.Int(101)},
			{Name: snapshot.TrackedSamplesCompleted, Value: snapshot.Int(101)},
			{Name: snapshot.TrackedSamplesFailed, Value: snapshot.Int(0)},
			{Name: "tracked_finish_reason_stop", Value: snapshot.Int(101)},
			{Name: snapshot.TrackedDurationNs, Value: snapshot.Int(2_000_000_000)},
			{Name: snapshot.LegacyLoadgenWindowDurationNs, Value: snapshot.Int(1_000_000_000)},
			{Name: snapshot.TotalDurationNs, Value: snapshot.Int(2_500_000_000)},
		},
		Series: []snapshot.Series{
			{Name: "sample_latency_ns", Count: 4, Total: snapshot.Int(10_000_000), Min: snapshot.Int(1_000_000), Max: snapshot.Int(4_000_000),
				SumSq: snapshot.Int(30_000_000_000_000), Percentiles: pct(4e6, 4e6, 2e6),
				Histogram:     []snapshot.Bucket{{Lo: 1e6, Hi: 2e6, Count: 1}, {Lo: 2e6, Hi: 4e6, Count: 3}},
				EarlyStopping: []snapshot.Estimate{{Key: "90.0", Value: 4.5e6, Valid: true}, {Key: "99.0"}}},
			{Name: "osl", Count: 4, Total: snapshot.Int(5000), Min: snapshot.Int(500), Max: snapshot.Int(2000),
				SumSq: snapshot.Float(7.5e6), Percentiles: pct(2000, 2000, 1000.5)},
			{Name: "ttft_ns", Count: 2, Total: snapshot.Float(math.NaN()), Min: snapshot.Int(5), Max: snapshot.Int(7),
				SumSq: snapshot.Float(math.NaN()), Percentiles: pct(math.NaN(), 7, 5),
				Histogram: []snapshot.Bucket{{Lo: math.NaN(), Hi: 7, Count: 2}}},
			{Name: "queue_depth", Count: 3, Total: snapshot.Int(30), Min: snapshot.Int(0), Max: snapshot.Int(20),
				SumSq: snapshot.Float(500), Percentiles: pct(20, 20, 10),
				Histogram: []snapshot.Bucket{{Lo: 0, Hi: 10, Count: 1}, {Lo: 10, Hi: 20, Count: 2}}},
		},
	}
}

// TestReportGolden pins the text and HTML of a synthetic snapshot and the
// HTML and JSON of two real ones (the real snapshots' text is pinned by the
// CLI cases in testdata/report).
func TestReportGolden(t *testing.T) {
	cases := []struct {
		name, title string
		snap        *snapshot.Snapshot
	}{
		{"synthetic", "synthetic", synthetic()},
		{"tokens-golden", realInputs[5], readSnapshot(t, realInputs[5])},
		{"interrupted", realInputs[4], readSnapshot(t, realInputs[4])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sum := Build(c.snap)
			var txt, page, js bytes.Buffer
			if err := WriteText(&txt, sum); err != nil {
				t.Fatal(err)
			}
			if err := WriteHTML(&page, sum, c.title); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSON(&js, sum); err != nil {
				t.Fatal(err)
			}
			if !json.Valid(js.Bytes()) {
				t.Errorf("invalid JSON:\n%s", js.Bytes())
			}
			golden(t, c.name+".txt", txt.Bytes())
			golden(t, c.name+".html", page.Bytes())
			golden(t, c.name+".json", js.Bytes())
		})
	}
}

// TestSummaryDefinitions checks QPS, TPS, the legacy window numbers and
// the series statistics against hand-computed values.
func TestSummaryDefinitions(t *testing.T) {
	s := Build(synthetic())
	near := func(name string, got Value, want float64) {
		t.Helper()
		if !got.OK() || math.Abs(float64(got)-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %v, want %v", name, float64(got), want)
		}
	}
	near("duration", s.Duration, 2)
	near("QPS", s.QPS, 101.0/2)              // tracked completed / tracked duration
	near("TPS", s.TPS, 5000.0/2)             // osl total / tracked duration
	near("legacy QPS", s.LegacyQPS, 100.0/1) // (completed - 1) / window
	near("legacy TPS", s.LegacyTPS, 5000.0/1)
	lat := s.Series[0]
	near("latency avg", lat.Avg, 2.5)
	near("latency median", lat.Median, 2)
	near("latency p99", lat.P99, 4)
	// Values 1, 2, 3, 4 ms: sample std dev sqrt(5/3) (int form).
	near("latency std", lat.StdDev, math.Sqrt(5.0/3))
	// osl: float sum_sq 7.5e6, total 5000, n 4: (7.5e6 - 6.25e6) / 3.
	near("osl std", s.Series[1].StdDev, math.Sqrt(1.25e6/3))
	if s.Series[2].Avg.OK() || s.Series[2].StdDev.OK() || s.Series[2].P99.OK() {
		t.Errorf("NaN statistics must stay N/A: %+v", s.Series[2])
	}
	if got := strings.Join(s.Missing, ","); got != "isl,chunk_delta_ns,tpot_ns" {
		t.Errorf("missing = %q", got)
	}
	if !s.Complete || len(s.Warnings) != 0 {
		t.Errorf("complete run: complete=%v warnings=%q", s.Complete, s.Warnings)
	}

	// Upstream: no duration -> QPS and TPS N/A; one completion -> no
	// legacy numbers; empty osl -> TPS N/A.
	snap := synthetic()
	snap.Counters[4].Value = snapshot.Int(1)
	snap.Counters[7].Value = snapshot.Int(0)
	snap.Series[1].Count = 0
	s = Build(snap)
	if s.QPS.OK() || s.TPS.OK() || s.LegacyQPS.OK() {
		t.Errorf("want QPS, TPS and legacy QPS N/A: %v %v %v", s.QPS, s.TPS, s.LegacyQPS)
	}
}

// TestReportWarnings: incomplete drain and interrupted runs say so.
func TestReportWarnings(t *testing.T) {
	for _, c := range []struct {
		state   snapshot.State
		pending int64
		want    []string
	}{
		{snapshot.Complete, 0, nil},
		{snapshot.Complete, 7, []string{"token metrics incomplete: the tokenizer drain did not finish (7 pending)"}},
		{snapshot.Interrupted, 0, []string{"run interrupted: metrics cover only"}},
		{snapshot.Interrupted, 3, []string{"run interrupted: metrics cover only", "3 token counts were still pending"}},
	} {
		snap := synthetic()
		snap.State, snap.NPendingTasks = c.state, c.pending
		s := Build(snap)
		if len(s.Warnings) != len(c.want) {
			t.Errorf("%s/%d: warnings %q, want %q", c.state, c.pending, s.Warnings, c.want)
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(s.Warnings[i], w) {
				t.Errorf("%s/%d: warning %q lacks %q", c.state, c.pending, s.Warnings[i], w)
			}
		}
		if s.Complete != (c.state == snapshot.Complete && c.pending == 0) {
			t.Errorf("%s/%d: complete=%v", c.state, c.pending, s.Complete)
		}
		var txt bytes.Buffer
		WriteText(&txt, s)
		for _, w := range c.want {
			if !strings.Contains(txt.String(), "WARNING: ") || !strings.Contains(txt.String(), w) {
				t.Errorf("%s/%d: text lacks the warning %q:\n%s", c.state, c.pending, w, txt.String())
			}
		}
	}
}

// htmlShape is what TestReportHTMLStructure reads back from a page.
type htmlShape struct {
	svgs    []string // aria-label of each <svg>
	rects   []int    // <rect> bars per <svg>
	markers []int    // percentile marker lines per <svg>
	urls    []string // src/href attribute values
}

func parseHTML(t *testing.T, page []byte) htmlShape {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var sh htmlShape
	var stack []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("page does not parse: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			stack = append(stack, e.Name.Local)
			for _, a := range e.Attr {
				if a.Name.Local == "src" || a.Name.Local == "href" || a.Name.Local == "xlink:href" {
					sh.urls = append(sh.urls, a.Value)
				}
			}
			switch e.Name.Local {
			case "svg":
				label := ""
				for _, a := range e.Attr {
					if a.Name.Local == "aria-label" {
						label = a.Value
					}
				}
				sh.svgs = append(sh.svgs, label)
				sh.rects = append(sh.rects, 0)
				sh.markers = append(sh.markers, 0)
			case "rect":
				sh.rects[len(sh.rects)-1]++
			case "line":
				for _, a := range e.Attr {
					if a.Name.Local == "class" && a.Value == "marker" {
						sh.markers[len(sh.markers)-1]++
					}
				}
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	return sh
}

// TestReportHTMLStructure renders every real snapshot and checks the page: one
// <svg> per series with a histogram (in series order), one bar per
// non-empty bucket, three percentile markers, and no external resource
// (no http:// or https:// anywhere, no src/href, no script).
func TestReportHTMLStructure(t *testing.T) {
	for _, in := range realInputs {
		t.Run(in, func(t *testing.T) {
			snap := readSnapshot(t, in)
			var page bytes.Buffer
			if err := WriteHTML(&page, Build(snap), in); err != nil {
				t.Fatal(err)
			}
			p := page.Bytes()
			for _, bad := range []string{"http://", "https://", "<script", "<link", "<img", "<iframe", "@import", "url("} {
				if bytes.Contains(p, []byte(bad)) {
					t.Errorf("page contains %q", bad)
				}
			}
			sh := parseHTML(t, p)
			if len(sh.urls) > 0 {
				t.Errorf("page references %q", sh.urls)
			}
			var want []string
			var wantRects []int
			for _, se := range snap.Series {
				if se.Count == 0 {
					continue
				}
				want = append(want, "histogram of "+se.Name)
				n := 0
				for _, b := range se.Histogram {
					if b.Count > 0 {
						n++
					}
				}
				wantRects = append(wantRects, n)
			}
			if strings.Join(sh.svgs, "|") != strings.Join(want, "|") {
				t.Fatalf("plots %q, want %q", sh.svgs, want)
			}
			for i := range want {
				if sh.rects[i] != wantRects[i] {
					t.Errorf("%s: %d bars, want %d", want[i], sh.rects[i], wantRects[i])
				}
				if sh.markers[i] != 3 {
					t.Errorf("%s: %d percentile markers, want 3", want[i], sh.markers[i])
				}
			}
			if len(p) > 200<<10 {
				t.Errorf("page is %d bytes; want < 200 KiB", len(p))
			}
		})
	}
}

func TestReportLogSpaced(t *testing.T) {
	snap := readSnapshot(t, realInputs[5])
	for i := range snap.Series {
		se := buildSeries(&snap.Series[i])
		if se.Count > 0 && !LogSpaced(se.Histogram) {
			t.Errorf("%s: upstream buckets are log-spaced", se.Name)
		}
	}
	if LogSpaced([]Bucket{{0, 10, 1}, {10, 20, 1}}) || LogSpaced([]Bucket{{1, 2, 1}, {2, 3, 1}}) || LogSpaced([]Bucket{{1, 10, 1}}) {
		t.Error("linear buckets taken for log-spaced")
	}
}

func TestReportTicks(t *testing.T) {
	got := xTicks(axis{lo: 7, hi: 1020, log: true})
	if want := []float64{10, 20, 50, 100, 200, 500, 1000}; !equal(got, want) {
		t.Errorf("log ticks %v, want %v", got, want)
	}
	// Less than a decade: linear ticks on the log axis.
	got = xTicks(axis{lo: 200, hi: 450, log: true})
	if want := []float64{200, 250, 300, 350, 400, 450}; !equal(got, want) {
		t.Errorf("narrow log ticks %v, want %v", got, want)
	}
	// Many decades: only powers of ten.
	got = xTicks(axis{lo: 1e-3, hi: 1e4, log: true})
	if len(got) != 8 || got[0] != 1e-3 || got[7] != 1e4 {
		t.Errorf("wide log ticks %v", got)
	}
	for v, want := range map[float64]string{0: "0", 0.30000000000000004: "0.3", 2.5: "2.5", 1234.5678: "1234.57", 2e7: "2e+07", 1e-4: "0.0001"} {
		if got := tickLabel(v); got != want {
			t.Errorf("tickLabel(%v) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[float64]string{0: "0", 950: "950", 5000: "5000", 15000: "15k", 1.2e6: "1.2M", 2.5e9: "2.5G"} {
		if got := countLabel(v); got != want {
			t.Errorf("countLabel(%v) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[float64]float64{0.7: 1, 3: 5, 6: 10, 19.9: 20, 200: 200} {
		if got := niceStep(v); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", v, got, want)
		}
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9*math.Abs(b[i]) {
			return false
		}
	}
	return true
}

// BenchmarkWriteHTML renders the HTML report of the tokens-golden snapshot
// (six series): the in-process cost without process start-up and I/O.
func BenchmarkWriteHTML(b *testing.B) {
	sum := Build(readSnapshot(b, realInputs[5]))
	b.ReportAllocs()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := WriteHTML(&buf, sum, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "html-bytes")
}
