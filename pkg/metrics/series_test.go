package metrics

import (
	"bytes"
	"log/slog"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// Ports of upstream test_registry.py TestSeriesSampler and
// TestSeriesSamplerBoundaries, plus live-path and shape checks.

// sampler is a one-series registry like upstream's SeriesSampler fixture:
// 5 buckets, percentiles (50, 99).
type sampler struct {
	r   *Registry
	id  SeriesID
	log *bytes.Buffer
}

func newSampler(t *testing.T, o SeriesOpts) *sampler {
	t.Helper()
	if o.HDRHigh == 0 {
		o.HDRLow, o.HDRHigh = 1, nsHigh
	}
	if o.Buckets == 0 {
		o.Buckets = 5
	}
	if o.Percentiles == nil {
		o.Percentiles = []float64{50.0, 99.0}
	}
	buf := &bytes.Buffer{}
	s := &sampler{r: NewRegistry(nil, slog.New(slog.NewTextHandler(buf, nil))), log: buf}
	s.id = mustSeries(t, s.r, "s", o)
	return s
}

func (s *sampler) rec(vs ...int64) {
	for _, v := range vs {
		s.r.Record(s.id, v)
	}
}

func (s *sampler) stat(t *testing.T, exact bool) *snapshot.Series {
	t.Helper()
	state := snapshot.Live
	if exact {
		state = snapshot.Complete
	}
	return &build(t, s.r, state).Series[0]
}

func (s *sampler) warnings() int { return strings.Count(s.log.String(), "outside HDR bounds") }

func pctValue(t *testing.T, st *snapshot.Series, key string) float64 {
	t.Helper()
	for _, p := range st.Percentiles {
		if p.Key == key {
			return p.Value
		}
	}
	t.Fatalf("no percentile %q in %+v", key, st.Percentiles)
	return 0
}

func histTotal(st *snapshot.Series) int64 {
	var n int64
	for _, b := range st.Histogram {
		n += b.Count
	}
	return n
}

func TestEmptySeriesShape(t *testing.T) { // test_empty_build_stat + test_empty_rollups_*
	for _, float := range []bool{false, true} {
		for _, exact := range []bool{false, true} {
			s := newSampler(t, SeriesOpts{Float: float})
			st := s.stat(t, exact)
			zero := snapshot.Int(0)
			if float {
				zero = snapshot.Float(0)
			}
			if st.Count != 0 || st.Total != zero || st.SumSq != zero || st.Min != snapshot.Int(0) || st.Max != snapshot.Int(0) {
				t.Errorf("float=%v exact=%v: rollups %+v", float, exact, st)
			}
			if st.Histogram == nil || len(st.Histogram) != 0 {
				t.Errorf("float=%v exact=%v: histogram %#v, want non-nil empty", float, exact, st.Histogram)
			}
			if len(st.Percentiles) != 2 || st.Percentiles[0] != (snapshot.Percentile{Key: "50.0"}) || st.Percentiles[1] != (snapshot.Percentile{Key: "99.0"}) {
				t.Errorf("percentiles %+v", st.Percentiles)
			}
			if st.EarlyStopping != nil {
				t.Error("early stopping without a spec")
			}
		}
	}
}

func TestRollups(t *testing.T) { // test_record_and_rollups + test_count_one_rollups + test_float_dtype + test_ns_range_sum_sq_is_float
	tests := []struct {
		name                string
		ints                []int64
		floats              []float64
		count               int64
		total, min, max, sq snapshot.Num
	}{
		{"five", []int64{10, 20, 30, 40, 50}, nil, 5, snapshot.Int(150), snapshot.Int(10), snapshot.Int(50), snapshot.Float(5500)},
		{"one", []int64{42}, nil, 1, snapshot.Int(42), snapshot.Int(42), snapshot.Int(42), snapshot.Float(42 * 42)},
		{"negative", []int64{-5, 3}, nil, 2, snapshot.Int(-2), snapshot.Int(-5), snapshot.Int(3), snapshot.Float(34)},
		{"ns-range", []int64{nsHigh, nsHigh}, nil, 2, snapshot.Int(2 * nsHigh), snapshot.Int(nsHigh), snapshot.Int(nsHigh), snapshot.Float(2 * float64(nsHigh) * float64(nsHigh))},
		{"float", nil, []float64{1.5, 2.5, 3.5}, 3, snapshot.Float(7.5), snapshot.Float(1.5), snapshot.Float(3.5), snapshot.Float(1.5*1.5 + 2.5*2.5 + 3.5*3.5)},
		{"float-order", nil, []float64{1e16, 1, -1e16, 1}, 4, snapshot.Float(1), snapshot.Float(-1e16), snapshot.Float(1e16), snapshot.Float(2e32 + 1)},
	}
	for _, tt := range tests {
		s := newSampler(t, SeriesOpts{Float: tt.floats != nil})
		s.rec(tt.ints...)
		for _, f := range tt.floats {
			s.r.RecordFloat(s.id, f)
		}
		for _, exact := range []bool{false, true} {
			st := s.stat(t, exact)
			if st.Count != tt.count || st.Total != tt.total || st.Min != tt.min || st.Max != tt.max || st.SumSq != tt.sq {
				t.Errorf("%s exact=%v: got count %d total %+v min %+v max %+v sq %+v", tt.name, exact, st.Count, st.Total, st.Min, st.Max, st.SumSq)
			}
		}
	}
}

// TestIntTotalsBeyondInt64 checks that total becomes a big int and sum_sq
// the correctly rounded float of the exact sum once they overflow int64.
func TestIntTotalsBeyondInt64(t *testing.T) {
	s := newSampler(t, SeriesOpts{})
	want, sq := new(big.Int), new(big.Int)
	for i := 0; i < 5; i++ {
		v := int64(math.MaxInt64 - i)
		s.rec(v)
		b := big.NewInt(v)
		want.Add(want, b)
		sq.Add(sq, new(big.Int).Mul(b, b))
	}
	st := s.stat(t, false)
	if st.Total.Big == nil || st.Total.Big.Cmp(want) != 0 {
		t.Errorf("total = %+v, want %v", st.Total, want)
	}
	wsq, _ := new(big.Float).SetInt(sq).Float64()
	if st.SumSq != snapshot.Float(wsq) {
		t.Errorf("sum_sq = %v, want %v", st.SumSq.F, wsq)
	}
}

func TestHDRPercentilesWithinTolerance(t *testing.T) { // test_hdr_percentiles_within_tolerance + test_final_exact_percentiles
	s := newSampler(t, SeriesOpts{})
	for v := int64(1); v <= 100; v++ {
		s.rec(v * 1000)
	}
	live := s.stat(t, false)
	if p := pctValue(t, live, "50.0"); math.Abs(p-50_000) > 0.05*50_000 {
		t.Errorf("live p50 = %v", p)
	}
	if p := pctValue(t, live, "99.0"); math.Abs(p-99_000) > 0.05*99_000 {
		t.Errorf("live p99 = %v", p)
	}
	exact := s.stat(t, true)
	if pctValue(t, exact, "50.0") != 50_000 || pctValue(t, exact, "99.0") != 99_000 {
		t.Errorf("exact percentiles %+v", exact.Percentiles)
	}
}

func TestHistogramInvariants(t *testing.T) {
	tests := []struct {
		name   string
		sig    int
		vals   []int64
		exact  bool
		checks func(t *testing.T, st *snapshot.Series)
	}{
		{"final-dense", 3, seq(1, 10, 1), true, nil},                   // test_final_histogram_is_dense
		{"zero-value-clipped", 3, []int64{0, 100, 1000}, true, nil},    // test_final_histogram_handles_zero_value
		{"hdr-count-matches", 3, seq(1000, 100_000, 1000), false, nil}, // test_hdr_histogram_count_matches_total
		{"sig-figs-min", 1, seq(1000, 100_000, 1000), false, nil},      // test_sig_figs_min
		{"sig-figs-max", 5, []int64{1000, 50_000}, true, nil},          // test_sig_figs_max
		{"below-one-live", 3, []int64{0, 0, 5}, false, nil},            // clamped into [1, high]
		{"edges-track-range", 3, []int64{1_000_000, 2_000_000, 5_000_000, 10_000_000}, true, // test_final_histogram_edges_track_observed_range
			func(t *testing.T, st *snapshot.Series) {
				lo, hi := st.Histogram[0].Lo, st.Histogram[len(st.Histogram)-1].Hi
				if lo < 1 || lo > 1_000_000 || math.Abs(hi-10_000_000) > 1e-6*10_000_000 {
					t.Errorf("edges [%v, %v]", lo, hi)
				}
			}},
	}
	for _, tt := range tests {
		s := newSampler(t, SeriesOpts{SigFigs: tt.sig})
		s.rec(tt.vals...)
		st := s.stat(t, tt.exact)
		if len(st.Histogram) != 5 {
			t.Errorf("%s: %d buckets, want 5", tt.name, len(st.Histogram))
		}
		if histTotal(st) != st.Count || st.Count != int64(len(tt.vals)) {
			t.Errorf("%s: bucket total %d, count %d", tt.name, histTotal(st), st.Count)
		}
		for i := 1; i < len(st.Histogram); i++ {
			if st.Histogram[i].Lo != st.Histogram[i-1].Hi {
				t.Errorf("%s: buckets %d/%d not contiguous", tt.name, i-1, i)
			}
		}
		if tt.checks != nil {
			tt.checks(t, st)
		}
	}
}

func seq(from, to, step int64) []int64 {
	var out []int64
	for v := from; v <= to; v += step {
		out = append(out, v)
	}
	return out
}

func TestHDRHistogramDistributionMatchesExact(t *testing.T) { // test_hdr_histogram_distribution_matches_exact
	s := newSampler(t, SeriesOpts{})
	for i := 0; i < 60; i++ {
		s.rec(10_000)
	}
	for i := 0; i < 40; i++ {
		s.rec(100_000_000)
	}
	live, exact := s.stat(t, false), s.stat(t, true)
	for i := range live.Histogram {
		if (live.Histogram[i].Count > 0) != (exact.Histogram[i].Count > 0) {
			t.Errorf("bucket %d: live %d, exact %d", i, live.Histogram[i].Count, exact.Histogram[i].Count)
		}
	}
	if histTotal(live) != 100 || histTotal(exact) != 100 {
		t.Errorf("totals %d, %d", histTotal(live), histTotal(exact))
	}
}

func TestClampWarnOnce(t *testing.T) {
	tests := []struct {
		name      string
		low, high int64
		float     bool
		ints      []int64
		floats    []float64
		warns     int
		min, max  snapshot.Num
	}{
		{"at-low-unclamped", 10, 10_000, false, []int64{10}, nil, 0, snapshot.Int(10), snapshot.Int(10)},                 // test_value_at_hdr_low_is_unclamped
		{"at-high-unclamped", 10, 10_000, false, []int64{10_000}, nil, 0, snapshot.Int(10_000), snapshot.Int(10_000)},    // test_value_at_hdr_high_is_unclamped
		{"below-low-once", 10, 10_000, false, []int64{5, 7}, nil, 1, snapshot.Int(5), snapshot.Int(7)},                   // test_value_below_hdr_low_clamps_and_warns_once
		{"above-high-once", 10, 1_000, false, []int64{5_000, 10_000}, nil, 1, snapshot.Int(5_000), snapshot.Int(10_000)}, // test_value_above_hdr_high_clamps_and_warns_once
		{"float-clamp", 10, 10_000, true, nil, []float64{9.5}, 1, snapshot.Float(9.5), snapshot.Float(9.5)},              // test_float_value_uses_float_clamp
		{"float-in-range-fraction", 10, 10_000, true, nil, []float64{10.5}, 0, snapshot.Float(10.5), snapshot.Float(10.5)},
	}
	for _, tt := range tests {
		s := newSampler(t, SeriesOpts{HDRLow: tt.low, HDRHigh: tt.high, Float: tt.float})
		s.rec(tt.ints...)
		for _, f := range tt.floats {
			s.r.RecordFloat(s.id, f)
		}
		if s.warnings() != tt.warns || s.r.series[0].warned != (tt.warns > 0) {
			t.Errorf("%s: %d warnings, want %d", tt.name, s.warnings(), tt.warns)
		}
		st := s.stat(t, true) // raw values are kept unclamped
		if st.Min != tt.min || st.Max != tt.max || st.Count != int64(len(tt.ints)+len(tt.floats)) {
			t.Errorf("%s: min %+v max %+v count %d", tt.name, st.Min, st.Max, st.Count)
		}
	}
	// test_warn_once_resets_per_sampler: the flag is per series.
	s := newSampler(t, SeriesOpts{HDRLow: 10, HDRHigh: 100})
	s2 := mustSeries(t, s.r, "s2", SeriesOpts{HDRLow: 10, HDRHigh: 100})
	s.rec(5)
	if !s.r.series[0].warned || s.r.series[s2].warned {
		t.Error("warn-once flag is not per series")
	}
}

// TestLiveClampedValuesInHDR checks that out-of-range values enter the HDR
// view at the bounds: live p99 of values above high is high's bucket.
func TestLiveClampedValuesInHDR(t *testing.T) {
	s := newSampler(t, SeriesOpts{HDRLow: 10, HDRHigh: 1000})
	s.rec(5, 5000, 5000, 5000)
	st := s.stat(t, false)
	// low 10 gives unit magnitude 3: 1000's sub-bucket is [1000, 1007].
	top := float64(s.r.series[0].hdr.highestEquivalent(1000))
	if p := pctValue(t, st, "99.0"); p != top || top != 1007 {
		t.Errorf("live p99 = %v, want %v (high's bucket)", p, top)
	}
	if p := pctValue(t, st, "50.0"); p != top {
		t.Errorf("live p50 = %v, want %v", p, top)
	}
	f := newSampler(t, SeriesOpts{HDRLow: 10, HDRHigh: 1000, Float: true})
	f.r.RecordFloat(f.id, 55.9) // HDR records int(55.9) = 55
	if p := pctValue(t, f.stat(t, false), "50.0"); p != 55 {
		t.Errorf("float live p50 = %v, want 55 (truncated)", p)
	}
}

// TestLiveStatMatchesHdrhistogramGo is an independent oracle for the live
// path: percentiles equal hdrhistogram-go's ValueAtPercentile (identical to
// Python hdrh for grid percentiles), and display counts equal its
// Distribution bars binned by their highest equivalent value.
func TestLiveStatMatchesHdrhistogramGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for trial := 0; trial < 20; trial++ {
		nb := 1 + rng.IntN(40)
		s := newSampler(t, SeriesOpts{Buckets: nb, Percentiles: DefaultPercentiles, SigFigs: 1 + rng.IntN(5)})
		lib := hdrhistogram.New(1, nsHigh, s.r.series[0].hdr.significantFig)
		n := 1 + rng.IntN(20000)
		for i := 0; i < n; i++ {
			v := int64(math.Exp(rng.NormFloat64()*2 + 16)) // ~1e7 ns, wide spread
			s.rec(v)
			_ = lib.RecordValue(min(max(v, 1), nsHigh))
		}
		st := s.stat(t, false)
		for i, p := range DefaultPercentiles {
			if st.Percentiles[i].Value != float64(lib.ValueAtPercentile(p)) {
				t.Errorf("trial %d p%v: %v, hdrhistogram-go %d", trial, p, st.Percentiles[i].Value, lib.ValueAtPercentile(p))
			}
		}
		edges := make([]float64, 0, nb+1)
		for _, b := range st.Histogram {
			edges = append(edges, b.Lo)
		}
		edges = append(edges, st.Histogram[nb-1].Hi)
		want := make([]int64, nb)
		for _, bar := range lib.Distribution() {
			if bar.Count == 0 {
				continue
			}
			i := 0
			for i+1 < len(edges) && edges[i+1] <= float64(bar.To) {
				i++
			}
			want[min(i, nb-1)] += bar.Count
		}
		for i := range want {
			if st.Histogram[i].Count != want[i] {
				t.Fatalf("trial %d bucket %d: %d, want %d", trial, i, st.Histogram[i].Count, want[i])
			}
		}
	}
}

func TestRecordOnFloatSeriesAndMisuse(t *testing.T) {
	s := newSampler(t, SeriesOpts{Float: true})
	s.rec(3) // an int into a float series is stored as 3.0
	st := s.stat(t, true)
	if st.Total != snapshot.Float(3) || st.Min != snapshot.Float(3) {
		t.Errorf("int into float series: %+v", st)
	}
	defer func() {
		if recover() == nil {
			t.Error("RecordFloat on an int series did not panic")
		}
	}()
	i := newSampler(t, SeriesOpts{})
	i.r.RecordFloat(i.id, 1.5)
}

// TestExactPercentilesAfterMoreRecords checks the sorted flag: records after
// a COMPLETE build are sorted again on the next one.
func TestExactPercentilesAfterMoreRecords(t *testing.T) {
	s := newSampler(t, SeriesOpts{Percentiles: []float64{0, 50, 100}})
	s.rec(5, 1, 3)
	_ = s.stat(t, true)
	s.rec(0, 9)
	st := s.stat(t, true)
	if pctValue(t, st, "0.0") != 0 || pctValue(t, st, "50.0") != 3 || pctValue(t, st, "100.0") != 9 {
		t.Errorf("percentiles %+v", st.Percentiles)
	}
}
