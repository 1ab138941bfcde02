package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPyLgammaMatchesCPython checks pyLgamma bit for bit against Python's
// math.lgamma at the arguments early stopping uses (integers and half
// integers up to ~1e8) and at arbitrary positive floats, both sides of the
// x < 5 branch.
func TestPyLgammaMatchesCPython(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := []float64{1, 2, 3, 4, 4.5, 5, 5.5, 0.5, 1e-21, 1e-10, 100, 661, 662, 1e6, 5e6, 1e7 + 1, 1e8}
	for i := 0; i < 4000; i++ {
		xs = append(xs, float64(rng.Int64N(1e8)+1), rng.Float64()*10, math.Exp(rng.Float64()*25))
	}
	var got []float64
	runPython(t, false, `
import json, math, sys
json.dump([math.lgamma(x) for x in json.load(sys.stdin)], sys.stdout)
`, xs, &got)
	for i, x := range xs {
		g := pyLgamma(x)
		if libmIsC && g != got[i] {
			t.Errorf("lgamma(%v) = %v, python %v", x, g, got[i])
		}
		// Without cgo math.Log stands in for glibc's log: ulp-level only.
		if !libmIsC && math.Abs(g-got[i]) > 1e-14*math.Max(1, math.Abs(got[i])) {
			t.Errorf("lgamma(%v) = %v, python %v (pure-Go fallback)", x, g, got[i])
		}
	}
}

func TestPyLgammaSpecialCases(t *testing.T) {
	cases := []struct {
		x, want float64
	}{
		{1, 0}, {2, 0}, {0, math.Inf(1)}, {-3, math.Inf(1)}, {math.Inf(1), math.Inf(1)},
	}
	for _, c := range cases {
		if g := pyLgamma(c.x); g != c.want {
			t.Errorf("pyLgamma(%v) = %v, want %v", c.x, g, c.want)
		}
	}
	if !math.IsNaN(pyLgamma(math.NaN())) {
		t.Error("pyLgamma(NaN) is not NaN")
	}
	// Γ(5) = 24: log 24 to within an ulp or two.
	if g := pyLgamma(5); math.Abs(g-math.Log(24)) > 1e-15 {
		t.Errorf("pyLgamma(5) = %v, want log 24 = %v", g, math.Log(24))
	}
}
