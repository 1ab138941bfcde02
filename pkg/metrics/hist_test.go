package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLogSpacedEdgesMatchUpstream compares edges bit for bit with upstream's
// _log_spaced_edges (imported from the reference checkout), over ranges
// whose edges land on or next to integers, below-1 minima and tiny ranges.
func TestLogSpacedEdgesMatchUpstream(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	type tc struct {
		Lo, Hi float64
		N      int
	}
	cases := []tc{{1, 10, 10}, {7, 800, 30}, {1, 1000, 3}, {0, 0, 30}, {0, 5, 30}, {5, 5, 30},
		{10, 1e8, 8}, {1, 3.6e12, 30}, {1e6, 1e7, 5}, {0.25, 7.5, 30}, {2, 4096, 12}, {1, 1, 1}}
	for i := 0; i < 300; i++ {
		lo := float64(rng.Int64N(1e7))
		cases = append(cases, tc{lo, lo + float64(rng.Int64N(1e12)), 1 + rng.IntN(60)})
	}
	var got [][]float64
	runPython(t, true, `
import json, sys
from inference_endpoint.async_utils.services.metrics_aggregator.registry import _log_spaced_edges
json.dump([_log_spaced_edges(c["Lo"], c["Hi"], c["N"]) for c in json.load(sys.stdin)], sys.stdout)
`, cases, &got)
	for i, c := range cases {
		e := logSpacedEdges(nil, c.Lo, c.Hi, c.N)
		if len(e) != c.N+1 {
			t.Fatalf("%+v: %d edges", c, len(e))
		}
		for j := range e {
			if libmIsC && e[j] != got[i][j] {
				t.Errorf("%+v: edge %d = %v, upstream %v", c, j, e[j], got[i][j])
			}
			if !libmIsC && math.Abs(e[j]-got[i][j]) > 1e-12*got[i][j] {
				t.Errorf("%+v: edge %d = %v, upstream %v", c, j, e[j], got[i][j])
			}
		}
	}
}

// TestExactCountsMatchNumpyHistogram compares exactCounts with upstream's
// np.histogram(np.clip(arr, edges[0], edges[-1]), bins=edges), for int and
// float data, including values exactly on (and an ulp beside) every edge,
// values below 1 and ties.
func TestExactCountsMatchNumpyHistogram(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	type tc struct {
		Ints   []int64
		Floats []float64
		N      int
	}
	var cases []tc
	for i := 0; i < 60; i++ {
		nb := 1 + rng.IntN(40)
		n := 1 + rng.IntN(3000)
		var ints []int64
		scale := []int64{10, 1000, 1e6, 4e12}[rng.IntN(4)]
		for j := 0; j < n; j++ {
			ints = append(ints, rng.Int64N(scale))
		}
		if i%3 == 0 { // add integers sitting on and around every edge
			mn, mx := slices.Min(ints), slices.Max(ints)
			for _, e := range logSpacedEdges(nil, float64(mn), float64(mx), nb) {
				r := int64(math.Round(e))
				ints = append(ints, r-1, r, r, r+1)
			}
		}
		var floats []float64
		for j := 0; j < n; j++ {
			floats = append(floats, rng.ExpFloat64()*float64(scale)/10)
		}
		if i%3 == 1 { // floats exactly on edges and one ulp away
			mn, mx := slices.Min(floats), slices.Max(floats)
			for _, e := range logSpacedEdges(nil, mn, mx, nb) {
				floats = append(floats, e, math.Nextafter(e, 0), math.Nextafter(e, math.Inf(1)))
			}
		}
		cases = append(cases, tc{ints, floats, nb})
	}
	cases = append(cases, tc{[]int64{7}, []float64{7}, 30}, tc{[]int64{0, 100, 1000}, []float64{0.5, 0.5}, 5},
		tc{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, []float64{1, 10}, 5})
	// The counting is checked against upstream's own edges, so it holds in
	// pure-Go builds too; edge parity itself is TestLogSpacedEdgesMatchUpstream.
	var got []struct {
		Ints, Floats         []int64
		IntEdges, FloatEdges []float64
	}
	runPython(t, true, `
import json, sys
import numpy as np
from inference_endpoint.async_utils.services.metrics_aggregator.registry import _log_spaced_edges
def hist(arr):
    edges = _log_spaced_edges(float(arr.min()), float(arr.max()), c["N"])
    counts, _ = np.histogram(np.clip(arr, edges[0], edges[-1]), bins=edges)
    return [int(x) for x in counts], edges
out = []
for c in json.load(sys.stdin):
    ic, ie = hist(np.array(c["Ints"], dtype=np.int64))
    fc, fe = hist(np.array(c["Floats"], dtype=np.float64))
    out.append({"Ints": ic, "IntEdges": ie, "Floats": fc, "FloatEdges": fe})
json.dump(out, sys.stdout)
`, cases, &got)
	for i, c := range cases {
		ints := slices.Clone(c.Ints)
		slices.Sort(ints)
		counts := make([]int64, c.N)
		exactCounts(counts, ints, got[i].IntEdges)
		if !slices.Equal(counts, got[i].Ints) {
			t.Errorf("case %d ints: counts %v, numpy %v", i, counts, got[i].Ints)
		}
		fl := slices.Clone(c.Floats)
		slices.Sort(fl)
		exactCounts(counts, fl, got[i].FloatEdges)
		if !slices.Equal(counts, got[i].Floats) {
			t.Errorf("case %d floats: counts %v, numpy %v", i, counts, got[i].Floats)
		}
	}
}

// TestDisplayBucketIsBisectRight pins bisect_right semantics: a value equal
// to an interior edge opens the bucket to its right; values below the first
// edge or at/above the last clamp to the outer buckets.
func TestDisplayBucketIsBisectRight(t *testing.T) {
	edges := []float64{1, 10, 100, 1000}
	tests := []struct {
		v    float64
		want int
	}{
		{0, 0}, {1, 0}, {9.99, 0}, {10, 1}, {99, 1}, {100, 2}, {999, 2}, {1000, 2}, {5000, 2},
	}
	for _, tt := range tests {
		if got := displayBucket(edges, tt.v); got != tt.want {
			t.Errorf("displayBucket(%v) = %d, want %d", tt.v, got, tt.want)
		}
	}
}
