package watch

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// load reads a snapshot in its JSON dict form.
func load(t *testing.T, path string) *snapshot.Snapshot {
	t.Helper()
	f, err := os.Open(path)
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

// Fixtures: a live snapshot captured from the daemon mid-run (streaming
// golden stream, snapshot 6) and the final snapshots of the repo's golden
// runs.
func live(t *testing.T) *snapshot.Snapshot { return load(t, filepath.Join("testdata", "live.json")) }
func final(t *testing.T, name string) *snapshot.Snapshot {
	return load(t, filepath.Join("..", "..", "testdata", name, "expected.json"))
}

// checkGolden compares got with testdata/name.golden (-update rewrites it).
func checkGolden(t *testing.T, name string, lines []string) {
	t.Helper()
	got := strings.Join(lines, "\n") + "\n"
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Watch ./pkg/watch/ -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (-update rewrites it)\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

const src = "ipc:///tmp/agg/met"

// TestWatchViewGolden renders the view of each fixture at several sizes.
func TestWatchViewGolden(t *testing.T) {
	lr := Rates{Valid: true, Span: 1250 * time.Millisecond, QPS: 87.21, TPS: 0}
	draining := live(t)
	draining.State, draining.NPendingTasks = snapshot.Draining, 42
	cases := []struct {
		name  string
		snap  *snapshot.Snapshot
		rates Rates
		opt   Options
	}{
		// A live view on a 120x40 terminal: 30 buckets merged into 15 rows.
		{"live_120x40", live(t), lr, Options{Source: src, Width: 120, Height: 40}},
		// No rate yet (first snapshot), a connection-status line.
		{"live_first_status", live(t), Rates{}, Options{Source: src, Width: 120, Height: 40, Status: "connection lost; waiting for " + src + " (last snapshot 3s ago)"}},
		// A small terminal: lines cut to 60 columns, 3 histogram rows, cut at 24 rows.
		{"live_60x24", live(t), lr, Options{Source: src, Width: 60, Height: 24}},
		// Cut at 12 rows: the histogram does not fit at all.
		{"live_80x12", live(t), lr, Options{Source: src, Width: 80, Height: 12}},
		// Another series; a series without samples; an unknown series.
		{"live_ttft", live(t), lr, Options{Source: src, Series: "ttft_ns", Width: 100, Height: 40}},
		{"live_osl_empty", live(t), lr, Options{Source: src, Series: "osl", Width: 100, Height: 40}},
		{"live_unknown_series", live(t), lr, Options{Source: src, Series: "nope", Width: 100, Height: 40}},
		{"draining", draining, lr, Options{Source: src, Width: 100, Height: 40}},
		// Final views, unlimited height (every bucket): the interval
		// rates are ignored, the averages shown.
		{"final_streaming", final(t, "replay/streaming"), lr, Options{Source: src, Width: 100}},
		{"final_interrupted", final(t, "replay/interrupted"), Rates{}, Options{Source: src, Width: 100}},
		{"final_tokens_isl", final(t, "tokens-golden"), Rates{}, Options{Source: src, Series: "isl", Width: 100}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines := View(c.snap, c.rates, c.opt)
			for i, l := range lines {
				if n := utf8.RuneCountInString(l); n > c.opt.Width {
					t.Errorf("line %d has %d columns > %d: %q", i, n, c.opt.Width, l)
				}
			}
			if c.opt.Height > 0 && len(lines) > c.opt.Height {
				t.Errorf("%d lines > height %d", len(lines), c.opt.Height)
			}
			if lines[0] != Title(src) {
				t.Errorf("first line %q, want the title", lines[0])
			}
			checkGolden(t, c.name, lines)
		})
	}
}

// TestWatchViewFinalIgnoresRates: the final view is a function of the
// snapshot alone (what the integration tests compare with the file).
func TestWatchViewFinalIgnoresRates(t *testing.T) {
	s := final(t, "replay/streaming")
	a := strings.Join(View(s, Rates{}, Options{Source: src}), "\n")
	b := strings.Join(View(s, Rates{Valid: true, Span: time.Second, QPS: 1, TPS: 2}, Options{Source: src}), "\n")
	if a != b {
		t.Errorf("final view depends on the interval rates:\n%s\n---\n%s", a, b)
	}
}

func TestWatchWaitingGolden(t *testing.T) {
	o := Options{Source: src, Width: 100, Height: 40}
	checkGolden(t, "waiting", Waiting(false, 3400*time.Millisecond, o))
	checkGolden(t, "waiting_connected", Waiting(true, 12*time.Second, o))
}

// TestWatchPlainLines: the one-line summaries of plain mode.
func TestWatchPlainLines(t *testing.T) {
	lr := Rates{Valid: true, Span: time.Second, QPS: 87.214, TPS: 1234.56}
	lines := []string{
		Line(live(t), Rates{}, ""),
		Line(live(t), lr, ""),
		Line(live(t), lr, "isl"),
		Line(live(t), lr, "osl"),
		Line(final(t, "replay/streaming"), lr, ""),
		Line(final(t, "tokens-golden"), Rates{}, ""),
		Line(final(t, "replay/interrupted"), Rates{}, "ttft_ns"),
	}
	for _, l := range lines {
		if strings.ContainsAny(l, "\n\x1b") {
			t.Errorf("plain line with a newline or escape: %q", l)
		}
	}
	checkGolden(t, "plain_lines", lines)
}

// snap builds a minimal snapshot for the rate tests.
func snap(counter int64, tsMs int64, completed int64, osl int64, durMs int64) *snapshot.Snapshot {
	return &snapshot.Snapshot{
		Counter: counter, TimestampNs: tsMs * 1e6, State: snapshot.Live,
		Counters: []snapshot.Counter{
			{Name: snapshot.TotalSamplesCompleted, Value: snapshot.Int(completed)},
			{Name: snapshot.TotalDurationNs, Value: snapshot.Int(durMs * 1e6)},
		},
		Series: []snapshot.Series{{Name: snapshot.OSL, Count: 1, Total: snapshot.Int(osl)}},
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestWatchRates checks the QPS/TPS derivation: deltas of
// total_samples_completed and of the osl total over the daemon's
// timestamp_ns, between consecutive snapshots (Window 0) or against the
// newest snapshot at least Window older.
func TestWatchRates(t *testing.T) {
	t.Run("consecutive", func(t *testing.T) {
		tr := Tracker{}
		if r := tr.Observe(snap(1, 1000, 0, 0, 0)); r.Valid {
			t.Fatalf("rates from one snapshot: %+v", r)
		}
		r := tr.Observe(snap(2, 1250, 25, 500, 250))
		if !r.Valid || r.Span != 250*time.Millisecond || !near(r.QPS, 100) || !near(r.TPS, 2000) {
			t.Fatalf("got %+v, want 100 QPS, 2000 TPS over 250ms", r)
		}
		r = tr.Observe(snap(3, 1500, 30, 600, 500))
		if !near(r.QPS, 20) || !near(r.TPS, 400) {
			t.Fatalf("got %+v, want 20 QPS, 400 TPS", r)
		}
	})
	t.Run("window", func(t *testing.T) {
		tr := Tracker{Window: time.Second}
		// 4 Hz snapshots, 10 completions and 100 tokens each.
		var r Rates
		for i := int64(0); i <= 12; i++ {
			r = tr.Observe(snap(i+1, 1000+250*i, 10*i, 100*i, 250*i))
			if i == 2 && (r.Span != 500*time.Millisecond || !near(r.QPS, 40)) {
				t.Fatalf("young run: %+v, want the oldest snapshot as base", r)
			}
		}
		if r.Span != time.Second || !near(r.QPS, 40) || !near(r.TPS, 400) {
			t.Fatalf("got %+v, want 40 QPS, 400 TPS over 1s", r)
		}
		if len(tr.hist) > 6 {
			t.Errorf("history holds %d points, want only those within the window", len(tr.hist))
		}
	})
	t.Run("conflation", func(t *testing.T) {
		// Snapshots skipped in between (conflated) change nothing: the
		// rate is over the daemon's clock, not over receive times.
		all, some := Tracker{}, Tracker{}
		seq := []*snapshot.Snapshot{snap(1, 0, 0, 0, 0), snap(2, 100, 3, 10, 100), snap(3, 400, 7, 90, 400), snap(4, 1000, 40, 400, 1000)}
		for _, s := range seq[:3] {
			all.Observe(s)
		}
		some.Observe(seq[0])
		ra, rs := all.Observe(seq[3]), some.Observe(seq[3])
		if !near(rs.QPS, 40) || !near(rs.TPS, 400) || rs.Span != time.Second {
			t.Fatalf("skipping: %+v, want 40 QPS over 1s", rs)
		}
		if !near(ra.QPS, 55) {
			t.Fatalf("consecutive: %+v, want (40-7)/0.6s = 55 QPS", ra)
		}
	})
	t.Run("restart", func(t *testing.T) {
		tr := Tracker{}
		tr.Observe(snap(10, 5000, 100, 0, 0))
		tr.Observe(snap(11, 5250, 110, 0, 0))
		// A new daemon: counter and clock start over.
		if r := tr.Observe(snap(1, 200, 2, 0, 0)); r.Valid {
			t.Fatalf("rates across a restart: %+v", r)
		}
		if r := tr.Observe(snap(2, 450, 7, 0, 0)); !r.Valid || !near(r.QPS, 20) {
			t.Fatalf("after restart: %+v, want 20 QPS", r)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		tr := Tracker{}
		tr.Observe(snap(1, 0, 0, 0, 0))
		tr.Observe(snap(2, 500, 10, 0, 0))
		if r := tr.Observe(snap(2, 500, 10, 0, 0)); !r.Valid || !near(r.QPS, 20) {
			t.Fatalf("same snapshot twice: %+v, want the same 20 QPS", r)
		}
	})
}

// TestWatchAverages: whole-run rates over total_duration_ns and, once set,
// tracked_duration_ns (as the summary of `demo` computes them).
func TestWatchAverages(t *testing.T) {
	s := final(t, "tokens-golden")
	a := Average(s)
	dur := value(s, snapshot.TotalDurationNs) / 1e9
	tdur := value(s, snapshot.TrackedDurationNs) / 1e9
	osl := s.FindSeries(snapshot.OSL).Total.Value()
	if !a.Valid || !near(a.QPS, value(s, snapshot.TotalSamplesCompleted)/dur) || !near(a.TPS, osl/dur) {
		t.Errorf("averages %+v", a)
	}
	if !a.TrackedValid || !near(a.TrackedQPS, value(s, snapshot.TrackedSamplesCompleted)/tdur) || !near(a.TrackedTPS, osl/tdur) {
		t.Errorf("tracked averages %+v", a)
	}
	if a.TPS <= 0 {
		t.Errorf("tokens golden run has TPS %v, want > 0", a.TPS)
	}
	if a := Average(&snapshot.Snapshot{}); a.Valid || a.TrackedValid {
		t.Errorf("empty snapshot: %+v", a)
	}
}

func TestWatchBarAndMerge(t *testing.T) {
	for _, c := range []struct {
		count, max int64
		width      int
		want       string
	}{
		{0, 10, 10, ""},
		{10, 10, 4, "████"},
		{5, 10, 4, "██"},
		{1, 16, 4, "▎"},   // 2 eighths
		{1, 1000, 4, "▏"}, // rounds to 0: at least one eighth
		{3, 8, 3, "█▏"},   // 9 eighths
	} {
		if got := bar(c.count, c.max, c.width); got != c.want {
			t.Errorf("bar(%d, %d, %d) = %q, want %q", c.count, c.max, c.width, got, c.want)
		}
	}
	h := make([]snapshot.Bucket, 30)
	var total int64
	for i := range h {
		h[i] = snapshot.Bucket{Lo: float64(i * i), Hi: float64((i + 1) * (i + 1)), Count: int64(i)}
		total += int64(i)
	}
	for _, rows := range []int{0, 1, 3, 7, 15, 16, 29, 30, 40} {
		m := Merge(h, rows)
		if rows > 0 && len(m) > rows {
			t.Errorf("Merge(30, %d) gave %d rows", rows, len(m))
		}
		var sum int64
		for i, b := range m {
			sum += b.Count
			if i > 0 && b.Lo != m[i-1].Hi {
				t.Errorf("Merge(30, %d): row %d starts at %v, previous ends at %v", rows, i, b.Lo, m[i-1].Hi)
			}
		}
		if sum != total || m[0].Lo != h[0].Lo || m[len(m)-1].Hi != h[29].Hi {
			t.Errorf("Merge(30, %d): counts %d (want %d), range [%v, %v]", rows, sum, total, m[0].Lo, m[len(m)-1].Hi)
		}
	}
}

func TestWatchFitAndFrame(t *testing.T) {
	got := Fit([]string{"héllo wörld", "ab  ", "x", "y"}, 5, 3)
	want := []string{"héllo", "ab", "x"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Fit = %q, want %q", got, want)
	}
	fr := string(Frame([]string{"a", "b"}))
	if fr != "\x1b[Ha\x1b[K\r\nb\x1b[K\x1b[J" {
		t.Errorf("Frame = %q", fr)
	}
}

// TestWatchEndpoint: --socket-dir/--metrics-socket resolve to the socket
// the daemon binds for the same values; --connect is taken as is.
func TestWatchEndpoint(t *testing.T) {
	for _, c := range []struct {
		dir, met, connect string
		want, err         string
	}{
		{"/tmp/s", "met", "", "ipc:///tmp/s/met", ""},
		{"/tmp/s/", "met", "", "ipc:///tmp/s/met", ""},
		{"/tmp/s", "sub/met", "", "ipc:///tmp/s/sub/met", ""},
		{"/tmp/s", "ipc:///other/met", "", "ipc:///other/met", ""},
		{"", "ipc:///other/met", "", "ipc:///other/met", ""},
		{"", "tcp://127.0.0.1:5555", "", "tcp://127.0.0.1:5555", ""},
		{"", "", "ipc:///x/met", "ipc:///x/met", ""},
		{"", "", "tcp://host:1", "tcp://host:1", ""},
		{"", "met", "", "", "--socket-dir is required"},
		{"/tmp/s", "", "", "", "--metrics-socket is required"},
		{"", "", "", "", "give --socket-dir"},
		{"/tmp/s", "met", "ipc:///x", "", "excludes"},
		{"", "", "/x/met", "", "want ipc://"},
		{"", "", "udp://x:1", "", "want ipc://"},
		{"/tmp/s", "udp://x:1", "", "", "want a socket name"},
	} {
		got, err := Endpoint(c.dir, c.met, c.connect)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("Endpoint(%q, %q, %q) error %v, want %q", c.dir, c.met, c.connect, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("Endpoint(%q, %q, %q) = %q, %v; want %q", c.dir, c.met, c.connect, got, err, c.want)
		}
	}
}
