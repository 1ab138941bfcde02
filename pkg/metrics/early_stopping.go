package metrics

import (
	"fmt"
	"math"
	"slices"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// Early stopping: a port of MLPerf LoadGen's early-stopping binomial test
// (upstream inference_endpoint.metrics.early_stopping). Given n ascending
// latencies and a target percentile p it reports sorted[n-t], the t-th
// highest sample, where t is the largest over-latency budget whose binomial
// confidence bound still holds; the true p-percentile is at most that value
// with confidence c. The arithmetic follows upstream operation by operation
// (with the C library's exp/log and CPython's lgamma) so estimates are
// identical, not merely close.

// Algorithm constants, as LoadGen hardcodes them (results.cc): confidence
// c = 0.99 and tolerance d = 0. They are not knobs; weakening either weakens
// the certified claim.
const (
	Confidence = 0.99
	Tolerance  = 0.0
	// ESMinPercentile is the lowest grid percentile early stopping covers:
	// the estimate is a tail certification, meaningless below the median.
	ESMinPercentile = 50.0
)

// EarlyStoppingSpec mirrors upstream's EarlyStoppingSpec dataclass: the
// early-stopping parameters applied to every series registered with
// SeriesOpts.TailLatency. Upstream has no tolerance field (it is the
// Tolerance constant).
type EarlyStoppingSpec struct {
	// Percentiles is an explicit target list (grid convention, 0-100) for
	// tests and offline analysis; nil derives the targets from each series'
	// own report grid (ESTargetsFromGrid), which is what the benchmark does.
	Percentiles []float64
	// PercentileKeys optionally spells the keys of Percentiles (Python's
	// str() of each entry, e.g. "99" for an int); nil formats each value
	// with snapshot.FormatPyFloat. When set it must match Percentiles in length.
	PercentileKeys []string
	// Confidence is the confidence level c in (0, 1); 0 means the default
	// Confidence (0.99), upstream's dataclass default.
	Confidence float64
}

// DefaultEarlyStoppingSpec returns the spec upstream builds with
// EarlyStoppingSpec(): grid-derived targets at confidence 0.99.
func DefaultEarlyStoppingSpec() *EarlyStoppingSpec {
	return &EarlyStoppingSpec{Confidence: Confidence}
}

// confidence returns the effective confidence level.
func (s *EarlyStoppingSpec) confidence() float64 {
	if s.Confidence == 0 {
		return Confidence
	}
	return s.Confidence
}

// ESTarget is one early-stopping target: the map key and the percentile in
// grid convention (0-100).
type ESTarget struct {
	Key        string
	Percentile float64
}

// ESTargetsFromGrid is upstream's es_targets_from_grid: every grid entry in
// [ESMinPercentile, 100), in grid order, keyed by the grid's own key. keys
// may be nil (keys are then snapshot.FormatPyFloat of each value).
func ESTargetsFromGrid(grid []float64, keys []string) []ESTarget {
	var out []ESTarget
	for i, p := range grid {
		if ESMinPercentile <= p && p < 100.0 {
			out = append(out, ESTarget{Key: keyAt(keys, i, p), Percentile: p})
		}
	}
	return out
}

// overrideTargets is upstream's explicit-override target list: descending by
// value, deduplicated on the value with the first spelling (in the stable
// descending order) keeping its key, so 99 and 99.0 are one target.
func overrideTargets(ps []float64, keys []string) []ESTarget {
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case ps[a] > ps[b]:
			return -1
		case ps[a] < ps[b]:
			return 1
		}
		return 0
	})
	var out []ESTarget
	for _, i := range order {
		if len(out) > 0 && out[len(out)-1].Percentile == ps[i] {
			continue
		}
		out = append(out, ESTarget{Key: keyAt(keys, i, ps[i]), Percentile: ps[i]})
	}
	return out
}

// keyAt returns keys[i], or FormatPercentile(p) without explicit keys.
func keyAt(keys []string, i int, p float64) string {
	if keys != nil {
		return keys[i]
	}
	return snapshot.FormatPyFloat(p)
}

// betacf is the continued-fraction kernel of the regularized incomplete beta
// (Numerical Recipes betacf, modified Lentz), with upstream's constants:
// eps 3e-16, fpmin 1e-300 and at most 399 iterations. Reaching the cap
// returns the truncated value rather than failing; it only happens far from
// the 1-c decision boundary (see upstream's notes).
func betacf(a, b, x float64) float64 {
	const eps, fpmin = 3e-16, 1e-300
	qab, qap, qam := a+b, a+1.0, a-1.0
	c := 1.0
	d := 1.0 - float64(qab*x)/qap
	if math.Abs(d) < fpmin {
		d = fpmin
	}
	d = 1.0 / d
	h := d
	for m := 1; m < 400; m++ {
		fm := float64(m)
		m2 := float64(2 * m)
		aa := float64(float64(fm*(b-fm))*x) / float64((qam+m2)*(a+m2))
		d = 1.0 + float64(aa*d)
		if math.Abs(d) < fpmin {
			d = fpmin
		}
		c = 1.0 + aa/c
		if math.Abs(c) < fpmin {
			c = fpmin
		}
		d = 1.0 / d
		h *= float64(d * c)
		aa = float64(float64(-(a+fm)*(qab+fm))*x) / float64((a+m2)*(qap+m2))
		d = 1.0 + float64(aa*d)
		if math.Abs(d) < fpmin {
			d = fpmin
		}
		c = 1.0 + aa/c
		if math.Abs(c) < fpmin {
			c = fpmin
		}
		d = 1.0 / d
		de := d * c
		h *= de
		if math.Abs(de-1.0) < eps {
			break
		}
	}
	return h
}

// betai is the regularized incomplete beta I_x(a, b) (Numerical Recipes
// betai): the log prefactor via lgamma, then the continued fraction on
// whichever side of I_x(a,b) = 1 - I_{1-x}(b,a) converges faster.
func betai(a, b, x float64) float64 {
	if x <= 0.0 {
		return 0.0
	}
	if x >= 1.0 {
		return 1.0
	}
	lnBt := pyLgamma(a+b) - pyLgamma(a) - pyLgamma(b) +
		float64(a*libmLog(x)) + float64(b*libmLog(1.0-x))
	bt := libmExp(lnBt)
	if x < (a+1.0)/(a+b+2.0) {
		return float64(bt*betacf(a, b, x)) / a
	}
	return 1.0 - float64(bt*betacf(b, a, 1.0-x))/b
}

// odds is LoadGen's odds(): P(at most t over-latency queries among h+t |
// over-latency rate 1-p+d) = I_{p-d}(h, t+1).
func odds(h, t int, p, d float64) float64 {
	return betai(float64(h), float64(1+t), p-d)
}

// validateDomain rejects arguments for which the searches would not
// terminate or would return garbage.
func validateDomain(p, d, c float64) error {
	if !(0.0 < p && p < 1.0) {
		return fmt.Errorf("percentile must be in (0, 1), got %v", p)
	}
	if !(0.0 < c && c < 1.0) {
		return fmt.Errorf("confidence must be in (0, 1), got %v", c)
	}
	if !(0.0 <= d && d < p) {
		return fmt.Errorf("tolerance must be in [0, percentile), got %v", d)
	}
	return nil
}

// findMinPassing is FindMinPassing without validation: exponential
// bracketing, then binary search on the monotone odds.
func findMinPassing(t int, p, d, c float64) int {
	target := 1.0 - c
	lo, hi := 1, 2
	for odds(hi, t, p, d) >= target {
		hi *= 2
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if odds(mid, t, p, d) < target {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// discardCount is the largest t >= 1 with n >= findMinPassing(t)+t, or 0
// when even t = 1 does not fit (LoadGen's SingleStream construction).
func discardCount(n int, p, d, c float64) int {
	if findMinPassing(1, p, d, c)+1 > n {
		return 0
	}
	lo, hi := 1, 2
	for findMinPassing(hi, p, d, c)+hi <= n {
		hi *= 2
	}
	for lo < hi-1 {
		mid := (lo + hi) / 2
		if findMinPassing(mid, p, d, c)+mid <= n {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// ESResult is upstream's EarlyStoppingResult: the estimate for one
// percentile. Python's None is HasEstimate/HasEmpirical == false.
type ESResult struct {
	Percentile   float64 // grid convention, 0-100
	Confidence   float64
	N            int
	Estimate     float64 // valid iff HasEstimate
	HasEstimate  bool    // false: too few samples (N < MinQueries)
	Empirical    float64 // valid iff HasEmpirical (N > 0)
	HasEmpirical bool
	MinQueries   int // find_min_passing(1) + 1: the sample floor
	Discarded    int // samples strictly above the estimate
}

// Sufficient reports whether there were enough samples for an estimate.
func (r ESResult) Sufficient() bool { return r.HasEstimate }

// ESPercentileEstimate is upstream's es_percentile_estimate: the
// conservative early-stopping estimate of percentile (grid convention,
// [1, 100)) over ascending values at the given confidence. Empirical is the
// report grid's own order statistic (numpy "lower": index
// floor(p/100*(n-1))).
func ESPercentileEstimate[T int64 | float64](sorted []T, percentile, confidence float64) (ESResult, error) {
	if !(1.0 <= percentile && percentile < 100.0) {
		hint := ""
		if 0.0 < percentile && percentile < 1.0 {
			hint = fmt.Sprintf(" — did you mean %v?", percentile*100)
		}
		return ESResult{}, fmt.Errorf("percentile uses the grid convention (0-100) and must be in [1, 100), got %v%s", percentile, hint)
	}
	fraction := percentile / 100.0
	if err := validateDomain(fraction, Tolerance, confidence); err != nil {
		return ESResult{}, err
	}
	n := len(sorted)
	r := ESResult{
		Percentile: percentile,
		Confidence: confidence,
		N:          n,
		MinQueries: findMinPassing(1, fraction, Tolerance, confidence) + 1,
	}
	if n > 0 {
		r.Empirical = float64(sorted[int(float64(fraction*float64(n-1)))])
		r.HasEmpirical = true
	}
	if n < r.MinQueries {
		return r, nil
	}
	t := discardCount(n, fraction, Tolerance, confidence)
	r.Estimate = float64(sorted[n-t])
	r.HasEstimate = true
	r.Discarded = t - 1
	return r, nil
}
