package metrics

import (
	"math/rand/v2"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// TestHDRGeometryMatchesHdrhistogramGo records the same values into hdrHist
// and hdrhistogram-go and compares, index by index, the counts, the lowest
// and highest equivalent values and the counts-array length, for the bounds
// the aggregator uses and a few unusual ones.
func TestHDRGeometryMatchesHdrhistogramGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	configs := []struct {
		low, high int64
		sig       int
	}{
		{1, 3_600_000_000_000, 3}, {1, 10_000_000, 3}, {1, 100, 1}, {1, 1 << 40, 5},
		{10, 10_000, 2}, {1000, 1e9, 3}, {5, 10, 3}, {1024, 1e12, 4},
	}
	for _, c := range configs {
		mine, err := newHDR(c.low, c.high, c.sig)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		lib := hdrhistogram.New(c.low, c.high, c.sig)
		if n := len(lib.Export().Counts); n != len(mine.counts) {
			t.Errorf("%+v: counts len %d, hdrhistogram-go %d", c, len(mine.counts), n)
		}
		for i := 0; i < 5000; i++ {
			v := c.low + rng.Int64N(c.high-c.low+1)
			if i%2 == 0 { // log-uniform to hit every bucket
				v = min(c.low+int64(rng.ExpFloat64()*float64(rng.Int64N(c.high/8+1))), c.high)
			}
			mine.record(v)
			if err := lib.RecordValue(v); err != nil {
				t.Fatal(err)
			}
		}
		mine.record(c.high)
		_ = lib.RecordValue(c.high)
		bars := lib.Distribution() // one bar per flat index up to the last recorded
		if len(bars) != mine.maxIdx+1 {
			t.Fatalf("%+v: %d bars, maxIdx %d", c, len(bars), mine.maxIdx)
		}
		for i, b := range bars {
			v := mine.valueFromIndex(i)
			if b.Count != mine.counts[i] || b.From != mine.lowestEquivalent(v) || b.To != mine.highestEquivalent(v) {
				t.Fatalf("%+v index %d: lib %+v, mine count %d [%d, %d]", c, i, b, mine.counts[i], mine.lowestEquivalent(v), mine.highestEquivalent(v))
			}
		}
		for _, p := range append([]float64{0, 100, 99.99, 33.3}, DefaultPercentiles...) {
			if a, b := mine.valueAtPercentile(p), lib.ValueAtPercentile(p); a != b {
				t.Errorf("%+v p%v: %d, hdrhistogram-go %d", c, p, a, b)
			}
		}
	}
}

// TestHDRTargetCountIsPythonHdrh pins the rank formula to Python hdrh's
// int(p*total/100 + 0.5) (at least 1), computed by Python itself. It differs
// from hdrhistogram-go's (p/100)*total + 0.5 for some inputs, e.g. p57 of
// 3292250 values: Python 1876583, hdrhistogram-go 1876582.
func TestHDRTargetCountIsPythonHdrh(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	type tc struct {
		P     float64
		Total int64
	}
	cases := []tc{{57.0, 3292250}, {82.0, 4815875}, {29.0, 822950}, {0, 10}, {0.001, 5}, {100, 7}, {150, 7}, {50, 1}}
	for i := 0; i < 3000; i++ {
		cases = append(cases, tc{float64(rng.IntN(10000)) / 100, 1 + rng.Int64N(1e7)})
	}
	var want []int64
	runPython(t, false, `
import json, sys
out = []
for c in json.load(sys.stdin):
    p = min(c["P"], 100.0)
    out.append(max(int((p * c["Total"] / 100) + 0.5), 1))
json.dump(out, sys.stdout)
`, cases, &want)
	h, _ := newHDR(1, 1000, 3)
	for i, c := range cases {
		h.total = c.Total
		if got := h.targetCount(c.P); got != want[i] {
			t.Errorf("targetCount(p=%v, total=%d) = %d, python hdrh %d", c.P, c.Total, got, want[i])
		}
	}
	h.total = 3292250
	if h.targetCount(57.0) != 1876583 {
		t.Errorf("p57 of 3292250: %d, want 1876583", h.targetCount(57.0))
	}
}

// TestHDRValueAtPercentileSemantics pins hdrh's reporting rule: highest
// equivalent value, except lowest for p == 0; 0 on an empty histogram.
func TestHDRValueAtPercentileSemantics(t *testing.T) {
	h, _ := newHDR(1, 3_600_000_000_000, 3)
	if v := h.valueAtPercentile(50); v != 0 {
		t.Errorf("empty p50 = %d, want 0", v)
	}
	for v := int64(1000); v <= 100_000; v += 1000 {
		h.record(v)
	}
	tests := []struct {
		p    float64
		want int64
	}{
		{0, 1000}, {50, 50_015}, {99, 99_007}, {100, 100_031}, {1, 1000},
	}
	for _, tt := range tests {
		if got := h.valueAtPercentile(tt.p); got != tt.want {
			t.Errorf("p%v = %d, want %d", tt.p, got, tt.want)
		}
	}
}

func TestNewHDRValidation(t *testing.T) {
	tests := []struct {
		low, high int64
		sig       int
		ok        bool
	}{
		{1, 2, 3, true}, {5, 10, 3, true}, {6, 10, 3, false}, {1, 100, 0, false},
		{1, 100, 6, false}, {1, 100, 1, true}, {1, 100, 5, true}, {0, 100, 3, false},
	}
	for _, tt := range tests {
		if _, err := newHDR(tt.low, tt.high, tt.sig); (err == nil) != tt.ok {
			t.Errorf("newHDR(%d, %d, %d): err = %v, want ok=%v", tt.low, tt.high, tt.sig, err, tt.ok)
		}
	}
}
