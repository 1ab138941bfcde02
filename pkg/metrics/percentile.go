package metrics

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DefaultPercentiles is upstream's DEFAULT_PERCENTILES: the report grid of
// every series, in report order (descending).
var DefaultPercentiles = []float64{99.9, 99.0, 97.0, 95.0, 90.0, 80.0, 75.0, 50.0, 25.0, 10.0, 5.0, 1.0}

// FormatPercentile returns p as Python's str(float) prints it ("99.9",
// "50.0", "1e-05", "1e+16"): the shortest round-tripping digits, fixed
// notation with a trailing ".0" for decimal exponents in [-4, 16), scientific
// otherwise. Upstream keys the percentile and early-stopping maps with
// str(p), so the keys must match byte for byte.
func FormatPercentile(p float64) string {
	switch {
	case math.IsNaN(p):
		return "nan"
	case math.IsInf(p, 1):
		return "inf"
	case math.IsInf(p, -1):
		return "-inf"
	}
	// 'e' with -1 precision gives the shortest round-trip digits: d.ddde±XX.
	e := strconv.FormatFloat(p, 'e', -1, 64)
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		return e // Python also prints at least two exponent digits: 1e-05, 1e+16
	}
	neg := strings.HasPrefix(mant, "-")
	digits := strings.Replace(strings.TrimPrefix(mant, "-"), ".", "", 1)
	var s string
	switch {
	case exp < 0:
		s = "0." + strings.Repeat("0", -exp-1) + digits
	case exp+1 >= len(digits):
		s = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	default:
		s = digits[:exp+1] + "." + digits[exp+1:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// lowerIndex returns the index numpy.percentile(a, p, method="lower") reads
// from an ascending array of n > 0 values: floor((n-1) * (p/100)) evaluated
// in float64 exactly as numpy 1.24 does (q = p/100, then (n-1)*q, floor).
func lowerIndex(n int, p float64) int {
	q := p / 100
	i := int(math.Floor(float64(float64(n-1) * q)))
	return min(max(i, 0), n-1)
}

// validatePercentiles checks a report grid: non-empty, every entry within
// [0, 100] (numpy rejects anything else at COMPLETE time), and 50 present
// (upstream requires the median on every series).
func validatePercentiles(ps []float64) error {
	has50 := false
	for _, p := range ps {
		if !(p >= 0 && p <= 100) {
			return fmt.Errorf("percentile %v outside [0, 100]", p)
		}
		if p == 50 {
			has50 = true
		}
	}
	if !has50 {
		return fmt.Errorf("percentiles must include 50.0 (the median is a mandatory metric on every series), got %v", ps)
	}
	return nil
}
