package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLibmMatchesPython checks libmExp/libmLog bit for bit against Python's
// math.exp/math.log (glibc) over histogram-like arguments: logs of integers
// and of awkward floats, exps of log-spaced grid points.
func TestLibmMatchesPython(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var logIn, expIn []float64
	for i := 0; i < 3000; i++ {
		logIn = append(logIn, float64(rng.Int64N(4e12)+1), math.Exp(rng.Float64()*30), rng.Float64()*1e6)
		lo, hi := math.Log(float64(rng.Int64N(1e6)+1)), math.Log(float64(rng.Int64N(4e12)+1e7))
		step := (hi - lo) / 30
		expIn = append(expIn, lo+float64(rng.IntN(31))*step, rng.NormFloat64()*20)
	}
	logIn = append(logIn, 1, 2, 10, 800, 0.5, 1e-300, math.MaxFloat64)
	expIn = append(expIn, 0, 1, -1, 700, -700, math.Log(800))
	var got struct{ Log, Exp []float64 }
	runPython(t, false, `
import json, math, sys
d = json.load(sys.stdin)
json.dump({"Log": [math.log(x) for x in d["Log"]], "Exp": [math.exp(x) for x in d["Exp"]]}, sys.stdout)
`, map[string][]float64{"Log": logIn, "Exp": expIn}, &got)
	mismatch := 0
	for i, x := range logIn {
		if g := libmLog(x); g != got.Log[i] {
			mismatch++
			if libmIsC {
				t.Errorf("log(%v) = %v, python %v", x, g, got.Log[i])
			}
		}
	}
	for i, x := range expIn {
		if g := libmExp(x); g != got.Exp[i] {
			mismatch++
			if libmIsC {
				t.Errorf("exp(%v) = %v, python %v", x, g, got.Exp[i])
			}
		}
	}
	if !libmIsC {
		t.Logf("pure-Go fallback: %d of %d results differ from glibc by an ulp or so", mismatch, len(logIn)+len(expIn))
	}
}
