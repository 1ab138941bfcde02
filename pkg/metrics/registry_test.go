package metrics

import (
	"bytes"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// Ports of upstream test_registry.py (TestCounterSampler,
// TestMetricsRegistry) and test_early_stopping_integration.py.

const nsHigh = 3_600_000_000_000 // 1 hour in ns, the aggregator's bound

func build(t *testing.T, r *Registry, state snapshot.State) *snapshot.Snapshot {
	t.Helper()
	var s snapshot.Snapshot
	r.Build(&s, state, 0, 1)
	return &s
}

func seriesStat(t *testing.T, s *snapshot.Snapshot, name string) *snapshot.Series {
	t.Helper()
	for i := range s.Series {
		if s.Series[i].Name == name {
			return &s.Series[i]
		}
	}
	t.Fatalf("series %q not in snapshot", name)
	return nil
}

func mustCounter(t *testing.T, r *Registry, name string) CounterID {
	t.Helper()
	id, err := r.RegisterCounter(name)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustSeries(t *testing.T, r *Registry, name string, o SeriesOpts) SeriesID {
	t.Helper()
	id, err := r.RegisterSeries(name, o)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCounterOps(t *testing.T) { // TestCounterSampler + test_register_and_increment + test_set_counter
	tests := []struct {
		name string
		ops  func(r *Registry, id CounterID)
		want int64
	}{
		{"increment-and-value", func(r *Registry, id CounterID) { r.Add(id, 1); r.Add(id, 4) }, 5},
		{"set", func(r *Registry, id CounterID) { r.Add(id, 10); r.Set(id, 2) }, 2},
		{"build-stat", func(r *Registry, id CounterID) { r.Add(id, 7) }, 7},
		{"inc", func(r *Registry, id CounterID) { r.Inc(id); r.Inc(id); r.Add(id, 2) }, 4},
		{"set-99", func(r *Registry, id CounterID) { r.Set(id, 99) }, 99},
		{"negative-delta", func(r *Registry, id CounterID) { r.Add(id, 3); r.Add(id, -5) }, -2},
	}
	for _, tt := range tests {
		r := NewRegistry(nil, nil)
		id := mustCounter(t, r, "c")
		tt.ops(r, id)
		if r.Counter(id) != tt.want {
			t.Errorf("%s: value %d, want %d", tt.name, r.Counter(id), tt.want)
		}
		s := build(t, r, snapshot.Live)
		if len(s.Counters) != 1 || s.Counters[0].Name != "c" || s.Counters[0].Value != snapshot.Int(tt.want) {
			t.Errorf("%s: snapshot counters %+v", tt.name, s.Counters)
		}
	}
}

func TestRecordSeriesComplete(t *testing.T) { // test_record_series
	r := NewRegistry(nil, nil)
	id := mustSeries(t, r, "ttft_ns", SeriesOpts{HDRLow: 1, HDRHigh: nsHigh, Buckets: 10, Percentiles: []float64{50}})
	for _, v := range []int64{100, 200, 300} {
		r.Record(id, v)
	}
	st := seriesStat(t, build(t, r, snapshot.Complete), "ttft_ns")
	if st.Count != 3 || st.Total != snapshot.Int(600) {
		t.Errorf("count %d total %+v", st.Count, st.Total)
	}
}

func TestSnapshotCounterAndFlags(t *testing.T) { // test_seq_increments + test_complete_flag_propagates
	r := NewRegistry(nil, nil)
	mustCounter(t, r, "c")
	var s1, s2 snapshot.Snapshot
	r.Build(&s1, snapshot.Live, 0, 10)
	r.Build(&s2, snapshot.Live, 0, 20)
	if s1.Counter != 1 || s2.Counter != s1.Counter+1 || r.Snapshots() != 2 {
		t.Errorf("counters %d, %d", s1.Counter, s2.Counter)
	}
	var s3 snapshot.Snapshot
	NewRegistry(nil, nil).Build(&s3, snapshot.Complete, 2, 30)
	if s3.State != snapshot.Complete || s3.NPendingTasks != 2 || s3.TimestampNs != 30 || s3.Counter != 1 {
		t.Errorf("snapshot header %+v", s3)
	}
}

func TestNameCollisions(t *testing.T) { // test_name_collision_{counter,series,cross_kind}
	ns := SeriesOpts{HDRLow: 1, HDRHigh: nsHigh}
	tests := []struct {
		name   string
		first  func(r *Registry) error
		second func(r *Registry) error
	}{
		{"counter", func(r *Registry) error { _, e := r.RegisterCounter("dup"); return e },
			func(r *Registry) error { _, e := r.RegisterCounter("dup"); return e }},
		{"series", func(r *Registry) error { _, e := r.RegisterSeries("dup", ns); return e },
			func(r *Registry) error { _, e := r.RegisterSeries("dup", ns); return e }},
		{"cross-kind", func(r *Registry) error { _, e := r.RegisterCounter("dup"); return e },
			func(r *Registry) error { _, e := r.RegisterSeries("dup", ns); return e }},
		{"cross-kind-reverse", func(r *Registry) error { _, e := r.RegisterSeries("dup", ns); return e },
			func(r *Registry) error { _, e := r.RegisterCounter("dup"); return e }},
	}
	for _, tt := range tests {
		r := NewRegistry(nil, nil)
		if err := tt.first(r); err != nil {
			t.Fatalf("%s: first registration: %v", tt.name, err)
		}
		err := tt.second(r)
		if err == nil || !strings.Contains(err.Error(), "already registered") {
			t.Errorf("%s: err = %v, want 'already registered'", tt.name, err)
		}
	}
}

func TestRegisterSeriesValidation(t *testing.T) {
	tests := []struct {
		name    string
		o       SeriesOpts
		wantErr string
	}{
		{"high-below-2x-low", SeriesOpts{HDRLow: 6, HDRHigh: 10}, "high (10) must be >= 2 * low (6)"},
		{"high-equal-2x-low", SeriesOpts{HDRLow: 5, HDRHigh: 10}, ""},
		{"low-zero-coerced", SeriesOpts{HDRLow: 0, HDRHigh: 2}, ""},
		{"low-zero-high-1", SeriesOpts{HDRLow: 0, HDRHigh: 1}, "must be >= 2 * low (1)"},
		{"no-median", SeriesOpts{HDRLow: 1, HDRHigh: 100, Percentiles: []float64{99, 90}}, "must include 50.0"},
		{"median-only", SeriesOpts{HDRLow: 1, HDRHigh: 100, Percentiles: []float64{50}}, ""},
		{"sig-figs-6", SeriesOpts{HDRLow: 1, HDRHigh: 100, SigFigs: 6}, "significant figures"},
		{"sig-figs-negative", SeriesOpts{HDRLow: 1, HDRHigh: 100, SigFigs: -1}, "significant figures"},
		{"buckets-negative", SeriesOpts{HDRLow: 1, HDRHigh: 100, Buckets: -1}, "buckets"},
		{"percentile-above-100", SeriesOpts{HDRLow: 1, HDRHigh: 100, Percentiles: []float64{150, 50}}, "outside [0, 100]"},
		{"keys-length", SeriesOpts{HDRLow: 1, HDRHigh: 100, Percentiles: []float64{50}, PercentileKeys: []string{"50", "x"}}, "percentile keys"},
	}
	for _, tt := range tests {
		_, err := NewRegistry(nil, nil).RegisterSeries("s", tt.o)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
	// test_low_zero_is_coerced_to_one
	r := NewRegistry(nil, nil)
	mustSeries(t, r, "s", SeriesOpts{HDRLow: 0, HDRHigh: 100})
	if r.series[0].hdrLow != 1 {
		t.Errorf("hdrLow = %d, want 1", r.series[0].hdrLow)
	}
}

func TestLookupsByName(t *testing.T) {
	r := NewRegistry(nil, nil)
	c0 := mustCounter(t, r, "a")
	c1 := mustCounter(t, r, "b")
	s0 := mustSeries(t, r, "x", SeriesOpts{HDRLow: 1, HDRHigh: 100})
	if id, ok := r.CounterByName("b"); !ok || id != c1 || c0 != 0 {
		t.Errorf("CounterByName(b) = %d, %v", id, ok)
	}
	if id, ok := r.SeriesByName("x"); !ok || id != s0 {
		t.Errorf("SeriesByName(x) = %d, %v", id, ok)
	}
	if _, ok := r.CounterByName("x"); ok {
		t.Error("series found as counter")
	}
	if _, ok := r.SeriesByName("a"); ok {
		t.Error("counter found as series")
	}
	if _, ok := r.SeriesByName("nope"); ok {
		t.Error("unknown name found")
	}
}

// TestSnapshotOrderAndReuse checks registration order, and that rebuilding
// into the same Snapshot reuses its buffers without leaking stale data.
func TestSnapshotOrderAndReuse(t *testing.T) {
	r := NewRegistry(nil, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	for _, n := range []string{"c2", "c1"} {
		mustCounter(t, r, n)
	}
	a := mustSeries(t, r, "zeta", SeriesOpts{HDRLow: 1, HDRHigh: nsHigh, Buckets: 5})
	b := mustSeries(t, r, "alpha", SeriesOpts{HDRLow: 1, HDRHigh: nsHigh, Buckets: 5, Float: true})
	var s snapshot.Snapshot
	r.Build(&s, snapshot.Live, 0, 1)
	if s.Counters[0].Name != "c2" || s.Series[0].Name != "zeta" || s.Series[1].Name != "alpha" {
		t.Fatalf("order: %+v %+v", s.Counters, s.Series)
	}
	for v := int64(1); v <= 1000; v++ {
		r.Record(a, v)
		r.RecordFloat(b, float64(v)/3)
	}
	r.Build(&s, snapshot.Live, 0, 2)
	hist0 := &s.Series[0].Histogram[0]
	r.Record(a, 5000)
	r.Build(&s, snapshot.Live, 0, 3)
	if &s.Series[0].Histogram[0] != hist0 {
		t.Error("histogram buffer was not reused")
	}
	fresh := build(t, r, snapshot.Live)
	fresh.Counter, fresh.TimestampNs = s.Counter, s.TimestampNs
	if !reflect.DeepEqual(fresh.Series, s.Series) {
		t.Error("reused snapshot differs from a fresh build")
	}
	// Reset keeps capacity; Build must still produce a full snapshot.
	s.Reset()
	r.Build(&s, snapshot.Complete, 0, 4)
	if len(s.Series) != 2 || len(s.Counters) != 2 || s.Series[0].Count != 1001 {
		t.Errorf("after Reset: %+v", s)
	}
}

// TestRegistryLoggerReachesSeries checks that clamp warnings go to the
// registry's logger.
func TestRegistryLoggerReachesSeries(t *testing.T) {
	var buf bytes.Buffer
	r := NewRegistry(nil, slog.New(slog.NewTextHandler(&buf, nil)))
	id := mustSeries(t, r, "s", SeriesOpts{HDRLow: 10, HDRHigh: 100})
	r.Record(id, 5)
	if !strings.Contains(buf.String(), "outside HDR bounds") {
		t.Errorf("warning not logged: %q", buf.String())
	}
}

// --- test_early_stopping_integration.py ---

var gridESKeys = []string{"99.9", "99.0", "97.0", "95.0", "90.0", "80.0", "75.0", "50.0"}

// esRegistry mirrors the upstream helper: tail-latency series with values
// in [1e6, 2e6] plus a non-tail "isl" series.
func esRegistry(t *testing.T, es *EarlyStoppingSpec, names []string, n int, float bool) *Registry {
	t.Helper()
	r := NewRegistry(es, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	var ids []SeriesID
	for _, name := range names {
		ids = append(ids, mustSeries(t, r, name, SeriesOpts{HDRLow: 1, HDRHigh: 10_000_000_000, Float: float, TailLatency: true}))
	}
	isl := mustSeries(t, r, "isl", SeriesOpts{HDRLow: 1, HDRHigh: 1_000_000})
	rng := rand.New(rand.NewPCG(0, 0))
	for i := 0; i < n; i++ {
		for _, id := range ids {
			v := 1_000_000 + rng.Int64N(1_000_001)
			if float {
				r.RecordFloat(id, float64(v))
			} else {
				r.Record(id, v)
			}
		}
		r.Record(isl, 10+rng.Int64N(491))
	}
	return r
}

func esKeys(es []snapshot.Estimate) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Key)
	}
	return out
}

func TestCompleteSnapshotCarriesGridKeyedEstimates(t *testing.T) {
	s := build(t, esRegistry(t, DefaultEarlyStoppingSpec(), []string{"ttft_ns"}, 2000, false), snapshot.Complete)
	ttft, isl := seriesStat(t, s, "ttft_ns"), seriesStat(t, s, "isl")
	if !slices.Equal(esKeys(ttft.EarlyStopping), gridESKeys) {
		t.Fatalf("keys = %v", esKeys(ttft.EarlyStopping))
	}
	if ttft.EarlyStopping[0].Valid { // n=2000 < the p99.9 floor (6636)
		t.Error("p99.9 estimate present below its floor")
	}
	for _, e := range ttft.EarlyStopping {
		if !e.Valid {
			continue
		}
		for _, p := range ttft.Percentiles {
			if p.Key == e.Key && e.Value < p.Value {
				t.Errorf("%s: estimate %v below empirical %v", e.Key, e.Value, p.Value)
			}
		}
	}
	if isl.EarlyStopping != nil {
		t.Error("non-tail series carries early stopping")
	}
}

func TestESMapOnlyOnEnabledCompleteSnapshots(t *testing.T) {
	if st := seriesStat(t, build(t, esRegistry(t, nil, []string{"ttft_ns"}, 2000, false), snapshot.Complete), "ttft_ns"); st.EarlyStopping != nil {
		t.Error("disabled registry carries the map")
	}
	r := esRegistry(t, DefaultEarlyStoppingSpec(), []string{"ttft_ns"}, 2000, false)
	for _, state := range []snapshot.State{snapshot.Live, snapshot.Draining, snapshot.Interrupted} {
		if st := seriesStat(t, build(t, r, state), "ttft_ns"); st.EarlyStopping != nil {
			t.Errorf("%v snapshot carries the map", state)
		}
	}
}

func TestEveryTailLatencySeriesAndDtypeGetsTheMap(t *testing.T) {
	names := []string{"ttft_ns", "tpot_ns", "sample_latency_ns"}
	for _, float := range []bool{false, true} {
		s := build(t, esRegistry(t, DefaultEarlyStoppingSpec(), names, 100, float), snapshot.Complete)
		for _, n := range names {
			if keys := esKeys(seriesStat(t, s, n).EarlyStopping); !slices.Equal(keys, gridESKeys) {
				t.Errorf("float=%v %s: keys %v", float, n, keys)
			}
		}
	}
}

func TestEmptyTailSeriesReportsAllNull(t *testing.T) {
	st := seriesStat(t, build(t, esRegistry(t, DefaultEarlyStoppingSpec(), []string{"ttft_ns"}, 0, false), snapshot.Complete), "ttft_ns")
	if !slices.Equal(esKeys(st.EarlyStopping), gridESKeys) {
		t.Fatalf("keys = %v", esKeys(st.EarlyStopping))
	}
	for _, e := range st.EarlyStopping {
		if e.Valid {
			t.Errorf("%s valid on an empty series", e.Key)
		}
	}
}

func TestCustomGridWithP100AndIntKeysIsSafe(t *testing.T) {
	r := NewRegistry(DefaultEarlyStoppingSpec(), slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	id := mustSeries(t, r, "ttft_ns", SeriesOpts{HDRLow: 1, HDRHigh: 10_000_000_000, TailLatency: true,
		Percentiles: []float64{100.0, 99, 50}, PercentileKeys: []string{"100.0", "99", "50"}})
	for i := 0; i < 1000; i++ {
		r.Record(id, 1_000_000)
	}
	st := seriesStat(t, build(t, r, snapshot.Complete), "ttft_ns")
	if keys := esKeys(st.EarlyStopping); !slices.Equal(keys, []string{"99", "50"}) {
		t.Errorf("keys = %v, want [99 50]", keys)
	}
	if st.Percentiles[0].Key != "100.0" || st.Percentiles[0].Value != 1_000_000 || st.Percentiles[1].Key != "99" {
		t.Errorf("percentiles = %+v", st.Percentiles)
	}
}

func TestExplicitOverrideKeysAndDedupes(t *testing.T) {
	es := &EarlyStoppingSpec{Percentiles: []float64{99, 99.9, 99.0}, PercentileKeys: []string{"99", "99.9", "99.0"}}
	st := seriesStat(t, build(t, esRegistry(t, es, []string{"ttft_ns"}, 20000, false), snapshot.Complete), "ttft_ns")
	if keys := esKeys(st.EarlyStopping); !slices.Equal(keys, []string{"99.9", "99"}) {
		t.Fatalf("keys = %v", keys)
	}
	for _, e := range st.EarlyStopping {
		if !e.Valid {
			t.Errorf("%s invalid with n above both floors", e.Key)
		}
	}
}

func TestBadOverrideOmitsMapKeepsStats(t *testing.T) { // test_override_rejects_fraction_style_percentiles + test_es_failure_does_not_kill_the_final_snapshot
	for _, ps := range [][]float64{{0.99}, {150.0}} {
		st := seriesStat(t, build(t, esRegistry(t, &EarlyStoppingSpec{Percentiles: ps}, []string{"ttft_ns"}, 100, false), snapshot.Complete), "ttft_ns")
		if st.EarlyStopping != nil {
			t.Errorf("override %v: map present", ps)
		}
		if len(st.Percentiles) == 0 || st.Count != 100 {
			t.Errorf("override %v: exact stats lost", ps)
		}
	}
}

func TestRepeatedCompleteSnapshotsAreIdentical(t *testing.T) {
	r := esRegistry(t, DefaultEarlyStoppingSpec(), []string{"ttft_ns"}, 2000, false)
	a, b := build(t, r, snapshot.Complete), build(t, r, snapshot.Complete)
	if !reflect.DeepEqual(a.Series, b.Series) {
		t.Error("second COMPLETE snapshot differs (in-place sort leaked)")
	}
}
