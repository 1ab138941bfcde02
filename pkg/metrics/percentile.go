package metrics

import (
	"fmt"
	"math"
)

// DefaultPercentiles is upstream's DEFAULT_PERCENTILES: the report grid of
// every series, in report order (descending).
var DefaultPercentiles = []float64{99.9, 99.0, 97.0, 95.0, 90.0, 80.0, 75.0, 50.0, 25.0, 10.0, 5.0, 1.0}

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
