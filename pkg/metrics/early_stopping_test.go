package metrics

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// Ports of upstream tests/unit/metrics/test_early_stopping.py, then a
// field-by-field cross-check against upstream's own functions.

func TestFindMinPassingLoadgenReferenceValues(t *testing.T) { // test_loadgen_reference_values
	tests := []struct {
		t    int
		p    float64
		want int
	}{
		{0, 0.99, 459}, // closed form ceil(ln(1-c)/ln(p))
		{0, 0.90, 44},
		{1, 0.99, 661}, // the SingleStream estimate floor
		{1, 0.999, 6635},
	}
	for _, tt := range tests {
		got, err := FindMinPassing(tt.t, tt.p, Tolerance, Confidence)
		if err != nil || got != tt.want {
			t.Errorf("FindMinPassing(%d, %v) = %d, %v; want %d", tt.t, tt.p, got, err, tt.want)
		}
	}
	// Strictly increasing in t: the binary searches rely on monotonicity.
	prev := -1
	for k := 0; k < 6; k++ {
		v, _ := FindMinPassing(k, 0.99, Tolerance, Confidence)
		if v <= prev {
			t.Errorf("FindMinPassing(%d) = %d not above %d", k, v, prev)
		}
		prev = v
	}
}

func TestConstantsAndSpecDefaults(t *testing.T) { // test_constants_and_spec_defaults
	if Confidence != 0.99 || Tolerance != 0.0 || ESMinPercentile != 50.0 {
		t.Errorf("constants: c=%v d=%v min=%v", Confidence, Tolerance, ESMinPercentile)
	}
	spec := DefaultEarlyStoppingSpec()
	if spec.Percentiles != nil || spec.Confidence != Confidence {
		t.Errorf("default spec = %+v", spec)
	}
	if (&EarlyStoppingSpec{}).confidence() != Confidence {
		t.Error("zero Confidence does not default to 0.99")
	}
	// Tolerance is an algorithm constant, not configuration.
	if _, ok := reflect.TypeOf(EarlyStoppingSpec{}).FieldByName("Tolerance"); ok {
		t.Error("EarlyStoppingSpec must not have a Tolerance field")
	}
}

func TestESTargetsFromGrid(t *testing.T) { // test_grid_derivation_and_key_format
	grid := []float64{100.0, 99.9, 99.0, 97.0, 95.0, 90.0, 80.0, 75.0, 50.0, 25.0, 1.0}
	targets := ESTargetsFromGrid(grid, nil)
	wantKeys := []string{"99.9", "99.0", "97.0", "95.0", "90.0", "80.0", "75.0", "50.0"}
	if keys := targetKeys(targets); !slices.Equal(keys, wantKeys) {
		t.Errorf("keys = %v, want %v", keys, wantKeys)
	}
	if targets[0].Percentile != 99.9 || targets[len(targets)-1].Percentile != 50.0 {
		t.Errorf("values not as given: %+v", targets)
	}
	// An int grid keys as "99" (Python str of an int entry).
	intGrid := ESTargetsFromGrid([]float64{99, 90, 50}, []string{"99", "90", "50"})
	if keys := targetKeys(intGrid); !slices.Equal(keys, []string{"99", "90", "50"}) {
		t.Errorf("int grid keys = %v", keys)
	}
	// String grid entries (summary-JSON keys) keep their spelling.
	strGrid, err := ESTargetsFromGridKeys([]string{"99.0", "50.0"})
	if err != nil || !slices.Equal(targetKeys(strGrid), []string{"99.0", "50.0"}) || strGrid[0].Percentile != 99 {
		t.Errorf("string grid = %+v, %v", strGrid, err)
	}
	if _, err := ESTargetsFromGridKeys([]string{"p99"}); err == nil {
		t.Error("unparsable key accepted")
	}
}

func TestOverrideTargetsDedupeAndOrder(t *testing.T) { // registry override rule
	got := overrideTargets([]float64{99, 99.9, 99.0}, []string{"99", "99.9", "99.0"})
	if keys := targetKeys(got); !slices.Equal(keys, []string{"99.9", "99"}) {
		t.Errorf("keys = %v, want [99.9 99]", keys)
	}
	got = overrideTargets([]float64{50, 90, 99}, nil)
	if keys := targetKeys(got); !slices.Equal(keys, []string{"99.0", "90.0", "50.0"}) {
		t.Errorf("keys = %v", keys)
	}
}

func targetKeys(ts []ESTarget) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Key)
	}
	return out
}

func floatRange(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i)
	}
	return out
}

func TestESEstimateReferenceValues(t *testing.T) { // test_estimate_reference_values_and_conservatism
	arr := floatRange(10000)
	r, err := ESPercentileEstimate(arr, 99.0, Confidence)
	if err != nil {
		t.Fatal(err)
	}
	if r.Discarded != 76 || r.MinQueries != 662 {
		t.Errorf("discarded, min_queries = %d, %d; want 76, 662", r.Discarded, r.MinQueries)
	}
	if !r.HasEstimate || r.Estimate != arr[10000-77] || r.Estimate < r.Empirical {
		t.Errorf("estimate = %+v, want %v >= empirical", r, arr[10000-77])
	}
	if r.N != 10000 || r.Percentile != 99.0 || r.Confidence != Confidence || !r.Sufficient() { // test_result_dict_shape
		t.Errorf("result fields = %+v", r)
	}
}

func TestESSufficiencyFloor(t *testing.T) { // test_sufficiency_floor_boundary
	below, _ := ESPercentileEstimate(floatRange(661), 99.0, Confidence)
	if below.HasEstimate || !below.HasEmpirical || below.MinQueries != 662 || below.Sufficient() {
		t.Errorf("n=661: %+v", below)
	}
	arr := floatRange(662)
	at, _ := ESPercentileEstimate(arr, 99.0, Confidence)
	if !at.HasEstimate || at.Estimate != arr[661] || at.Discarded != 0 {
		t.Errorf("n=662: %+v", at)
	}
	empty, err := ESPercentileEstimate([]float64(nil), 99.0, Confidence)
	if err != nil || empty.HasEstimate || empty.HasEmpirical || empty.N != 0 {
		t.Errorf("n=0: %+v, %v", empty, err)
	}
	// p99.9 floor used by the registry integration test.
	r, _ := ESPercentileEstimate(floatRange(2000), 99.9, Confidence)
	if r.HasEstimate || r.MinQueries != 6636 {
		t.Errorf("p99.9 at n=2000: %+v", r)
	}
}

func TestBetaiBranchesAndCapRegime(t *testing.T) { // test_betai_branches_and_cap_regime
	if g := betai(3.0, 1.0, 0.2); math.Abs(g-0.2*0.2*0.2) >= 1e-12 { // direct branch: x^a
		t.Errorf("betai(3,1,0.2) = %v", g)
	}
	if g := betai(1.0, 3.0, 0.9); math.Abs(g-(1.0-0.1*0.1*0.1)) >= 1e-12 { // reflection: 1-(1-x)^b
		t.Errorf("betai(1,3,0.9) = %v", g)
	}
	if g := betai(5e6, 5e6, 0.5); !(0.4 < g && g < 0.6) { // iteration cap: truncated but sane
		t.Errorf("betai(5e6,5e6,0.5) = %v", g)
	}
	if betai(2, 3, 0) != 0 || betai(2, 3, 1) != 1 {
		t.Error("betai bounds")
	}
}

func TestESEmpiricalMatchesGrid(t *testing.T) { // test_empirical_matches_report_grid_convention
	arr := floatRange(50)
	r, _ := ESPercentileEstimate(arr, 99.0, Confidence)
	if r.Empirical != arr[48] { // floor(p*(n-1)) = 48, not ceil(p*n)-1 = 49
		t.Errorf("empirical = %v, want 48", r.Empirical)
	}
	if r.Empirical != arr[lowerIndex(50, 99.0)] {
		t.Error("empirical differs from the grid's order statistic")
	}
}

func TestESInvalidDomain(t *testing.T) { // test_invalid_domain_raises
	kernel := []struct {
		t       int
		p, d, c float64
	}{
		{1, 1.0, 0, 0.99}, {1, 0.0, 0, 0.99}, {1, 0.99, 0, 1.0}, {1, 0.99, 0.99, 0.99},
		{1, math.NaN(), 0, 0.99}, {1, 0.99, -0.1, 0.99},
	}
	for _, k := range kernel {
		if _, err := FindMinPassing(k.t, k.p, k.d, k.c); err == nil {
			t.Errorf("FindMinPassing(%d, %v, d=%v, c=%v) accepted", k.t, k.p, k.d, k.c)
		}
	}
	surface := []struct{ p, c float64 }{{150, 0.99}, {100, 0.99}, {0.99, 0.99}, {0, 0.99}, {99, 0}}
	for _, s := range surface {
		if _, err := ESPercentileEstimate([]float64{1, 2}, s.p, s.c); err == nil {
			t.Errorf("ESPercentileEstimate(p=%v, c=%v) accepted", s.p, s.c)
		}
	}
}

// TestESMatchesUpstream runs upstream's es_percentile_estimate on the same
// sorted data (ints and floats, sizes around the floors, several confidence
// levels) and requires identical results: every field, estimates bitwise.
func TestESMatchesUpstream(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	type tc struct {
		Vals []int64
		P, C float64
	}
	var cases []tc
	for _, n := range []int{0, 1, 44, 45, 100, 459, 661, 662, 663, 1000, 2000, 6635, 6636, 6637, 20000} {
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = 1_000_000 + rng.Int64N(1_000_000)
		}
		slices.Sort(vals)
		for _, p := range []float64{99.9, 99.0, 97.0, 95.0, 90.0, 80.0, 75.0, 50.0} {
			cases = append(cases, tc{vals, p, Confidence})
		}
	}
	for i := 0; i < 30; i++ {
		vals := make([]int64, 200+rng.IntN(5000))
		for j := range vals {
			vals[j] = rng.Int64N(1e9)
		}
		slices.Sort(vals)
		cases = append(cases, tc{vals, 1 + rng.Float64()*98.9, []float64{0.9, 0.95, 0.99, 0.999}[rng.IntN(4)]})
	}
	type res struct {
		Estimate, Empirical      *float64
		N, MinQueries, Discarded int
	}
	var want []res
	runPython(t, true, `
import json, sys
from inference_endpoint.metrics.early_stopping import es_percentile_estimate
out = []
for c in json.load(sys.stdin):
    r = es_percentile_estimate(c["Vals"], c["P"], c["C"])
    out.append({"Estimate": r.estimate, "Empirical": r.empirical, "N": r.n,
                "MinQueries": r.min_queries, "Discarded": r.discarded})
json.dump(out, sys.stdout)
`, cases, &want)
	for i, c := range cases {
		r, err := ESPercentileEstimate(c.Vals, c.P, c.C)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		w := want[i]
		ok := r.N == w.N && r.MinQueries == w.MinQueries && r.Discarded == w.Discarded &&
			r.HasEstimate == (w.Estimate != nil) && r.HasEmpirical == (w.Empirical != nil) &&
			(w.Estimate == nil || r.Estimate == *w.Estimate) && (w.Empirical == nil || r.Empirical == *w.Empirical)
		if !ok {
			t.Errorf("n=%d p=%v c=%v: got %+v, upstream %+v", len(c.Vals), c.P, c.C, r, w)
		}
	}
}

// TestFindMinPassingMatchesUpstream compares the kernel directly over a grid
// of (t, p, c), which exercises both betai branches and deep searches.
func TestFindMinPassingMatchesUpstream(t *testing.T) {
	type tc struct {
		T    int
		P, C float64
	}
	var cases []tc
	for _, tt := range []int{0, 1, 2, 5, 17, 100, 1000, 10000} {
		for _, p := range []float64{0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.123} {
			for _, c := range []float64{0.5, 0.9, 0.99, 0.999} {
				cases = append(cases, tc{tt, p, c})
			}
		}
	}
	var want []int
	runPython(t, true, `
import json, sys
from inference_endpoint.metrics.early_stopping import find_min_passing
json.dump([find_min_passing(c["T"], c["P"], 0.0, c["C"]) for c in json.load(sys.stdin)], sys.stdout)
`, cases, &want)
	for i, c := range cases {
		if got, _ := FindMinPassing(c.T, c.P, 0, c.C); got != want[i] {
			t.Errorf("FindMinPassing(%d, %v, c=%v) = %d, upstream %d", c.T, c.P, c.C, got, want[i])
		}
	}
}

// TestBetaiMatchesUpstream compares the regularized incomplete beta with
// upstream's _betai bit for bit (ints as LoadGen's odds passes them, and
// arbitrary floats), so no reordering or fused multiply-add crept in.
func TestBetaiMatchesUpstream(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	type tc struct{ A, B, X float64 }
	var cases []tc
	for i := 0; i < 3000; i++ {
		a := float64(1 + rng.IntN(100000))
		b := float64(1 + rng.IntN(2000))
		x := []float64{0.5, 0.9, 0.99, 0.999, rng.Float64()}[rng.IntN(5)]
		cases = append(cases, tc{a, b, x}, tc{rng.Float64() * 50, rng.Float64() * 50, rng.Float64()})
	}
	var want []float64
	runPython(t, true, `
import json, sys
from inference_endpoint.metrics.early_stopping import _betai
json.dump([_betai(c["A"], c["B"], c["X"]) for c in json.load(sys.stdin)], sys.stdout)
`, cases, &want)
	for i, c := range cases {
		got := betai(c.A, c.B, c.X)
		if libmIsC && got != want[i] {
			t.Errorf("betai(%v, %v, %v) = %v, upstream %v", c.A, c.B, c.X, got, want[i])
		}
		if !libmIsC && math.Abs(got-want[i]) > 1e-9*math.Max(math.Abs(want[i]), 1e-300) {
			t.Errorf("betai(%v, %v, %v) = %v, upstream %v (pure-Go fallback)", c.A, c.B, c.X, got, want[i])
		}
	}
}
