package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// TestPercentileKeysMatchPythonStr compares the percentile keys
// (snapshot.FormatPyFloat) with Python's str(float) for the grid values,
// the fixed/scientific switch-over points and random values.
func TestPercentileKeysMatchPythonStr(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	vals := append([]float64{}, DefaultPercentiles...)
	vals = append(vals, 100, 0, math.Copysign(0, -1), 99.99, 99.999, 33.333333333333336, 12.5, 0.1,
		1e-4, 9.9e-5, 1e-5, 1e15, 1e16, 1.5e16, 123456789012345.6, 1234567890123456.7, -2.5,
		0.30000000000000004, math.Inf(1), math.Inf(-1), math.NaN())
	for i := 0; i < 2000; i++ {
		vals = append(vals, rng.Float64()*100, math.Round(rng.Float64()*1000)/10, math.Exp(rng.NormFloat64()*15))
	}
	strs := make([]string, len(vals)) // NaN/Inf cannot travel as JSON numbers
	for i, v := range vals {
		strs[i] = snapshot.FormatPyFloat(v)
	}
	var got []string
	runPython(t, false, `
import json, sys
json.dump([str(float(s)) for s in json.load(sys.stdin)], sys.stdout)
`, strs, &got)
	for i, v := range vals {
		if strs[i] != got[i] {
			t.Errorf("FormatPyFloat(%v) = %q, python str %q", v, strs[i], got[i])
		}
	}
	// Pin the grid keys literally too, independent of Python.
	want := []string{"99.9", "99.0", "97.0", "95.0", "90.0", "80.0", "75.0", "50.0", "25.0", "10.0", "5.0", "1.0"}
	for i, p := range DefaultPercentiles {
		if k := snapshot.FormatPyFloat(p); k != want[i] {
			t.Errorf("FormatPyFloat(%v) = %q, want %q", p, k, want[i])
		}
	}
}

// TestLowerIndexMatchesNumpy compares the exact-path order statistic with
// numpy.percentile(method="lower") on random data with many ties, small n
// (1, 2, 3) and awkward percentiles (99.9 / 100 is not exact in binary).
func TestLowerIndexMatchesNumpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	type tc struct {
		Vals []int64
		Ps   []float64
	}
	ps := append([]float64{100, 0, 99.99, 33.3, 66.7, 0.1, 12.5, 57}, DefaultPercentiles...)
	var cases []tc
	for _, n := range []int{1, 2, 3, 4, 7, 10, 11, 100, 101, 999, 1000, 1001, 1002, 10001, 65537} {
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = rng.Int64N(int64(n/3 + 2)) // many ties
		}
		cases = append(cases, tc{vals, ps})
	}
	for i := 0; i < 40; i++ {
		n := 1 + rng.IntN(5000)
		vals := make([]int64, n)
		for j := range vals {
			vals[j] = rng.Int64N(1e12)
		}
		cases = append(cases, tc{vals, ps})
	}
	var got [][]float64
	runPython(t, false, `
import json, sys
import numpy as np
out = []
for c in json.load(sys.stdin):
    arr = np.array(c["Vals"], dtype=np.int64)
    arr.sort()
    out.append([float(v) for v in np.percentile(arr, c["Ps"], method="lower")])
json.dump(out, sys.stdout)
`, cases, &got)
	for ci, c := range cases {
		sorted := append([]int64(nil), c.Vals...)
		sortInt64(sorted)
		for j, p := range c.Ps {
			if g := float64(sorted[lowerIndex(len(sorted), p)]); g != got[ci][j] {
				t.Errorf("n=%d p=%v: got %v, numpy %v", len(sorted), p, g, got[ci][j])
			}
		}
	}
}

func TestValidatePercentiles(t *testing.T) {
	tests := []struct {
		name string
		ps   []float64
		ok   bool
	}{
		{"default", DefaultPercentiles, true},
		{"only-median", []float64{50}, true},
		{"with-100-and-0", []float64{100, 50, 0}, true},
		{"no-median", []float64{99, 90}, false},
		{"empty", []float64{}, false},
		{"above-100", []float64{150, 50}, false},
		{"negative", []float64{-1, 50}, false},
		{"nan", []float64{math.NaN(), 50}, false},
	}
	for _, tt := range tests {
		if err := validatePercentiles(tt.ps); (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
