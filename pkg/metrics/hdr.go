package metrics

import (
	"fmt"
	"math"
	"math/bits"
)

// hdrHist is a minimal HDR histogram with the bucket geometry of
// HdrHistogram (Java/C/Python; identical to hdrhistogram-go's) and the query
// semantics of the Python hdrh package that upstream uses:
//
//   - value at percentile: target count int(p*total/100 + 0.5), at least 1,
//     p capped at 100; the first index whose cumulative count reaches it
//     reports its highest equivalent value (lowest for p == 0).
//   - recorded iteration: every non-empty index, reported at its highest
//     equivalent value with that index's count.
//
// It exists instead of using hdrhistogram-go directly for two reasons:
// hdrhistogram-go computes the target as (p/100)*total + 0.5, which rounds
// differently from Python's p*total/100 for some (p, total), and it offers no
// allocation-free walk over the recorded buckets (Distribution allocates one
// Bar per index), which the live snapshot needs 4 times a second per series.
// hdr_test.go cross-checks the geometry against hdrhistogram-go.
type hdrHist struct {
	unitMag        uint  // log2 of the lowest discernible value
	subHalfMag     uint  // log2(subBucketCount) - 1
	subHalfCount   int64 // subBucketCount / 2
	subCount       int64 // sub-buckets per bucket
	subMask        int64 // (subCount-1) << unitMag
	counts         []int64
	total          int64
	maxIdx         int // highest index with a non-zero count; -1 when empty
	lowestTrack    int64
	highestTrack   int64
	significantFig int
}

// newHDR builds an HDR histogram over [low, high] with sig significant
// figures, validating the arguments as the Python hdrh constructor does.
func newHDR(low, high int64, sig int) (*hdrHist, error) {
	if sig < 1 || sig > 5 {
		return nil, fmt.Errorf("invalid significant figures %d: must be in [1, 5]", sig)
	}
	if low < 1 {
		return nil, fmt.Errorf("invalid HDR low %d: must be >= 1", low)
	}
	if high < 2*low {
		return nil, fmt.Errorf("invalid HDR range [%d, %d]: high must be >= 2*low", low, high)
	}
	// Python: int(floor(log(low)/log(2))) and int(ceil(log(2*10**sig)/log(2)))
	// with libm's log.
	unitMag := int(math.Floor(libmLog(float64(low)) / libmLog(2)))
	subCountMag := int(math.Ceil(libmLog(2*math.Pow(10, float64(sig))) / libmLog(2)))
	subHalfMag := 0
	if subCountMag > 1 {
		subHalfMag = subCountMag - 1
	}
	if unitMag+subHalfMag > 61 {
		return nil, fmt.Errorf("HDR low %d is too large for %d significant figures", low, sig)
	}
	subCount := int64(1) << uint(subHalfMag+1)
	h := &hdrHist{
		unitMag:        uint(unitMag),
		subHalfMag:     uint(subHalfMag),
		subHalfCount:   subCount / 2,
		subCount:       subCount,
		subMask:        (subCount - 1) << uint(unitMag),
		maxIdx:         -1,
		lowestTrack:    low,
		highestTrack:   high,
		significantFig: sig,
	}
	// Buckets needed so that high is representable (same loop as every HDR
	// implementation, including the int64 overflow guard).
	smallestUntrackable := subCount << uint(unitMag)
	buckets := 1
	for smallestUntrackable <= high {
		if smallestUntrackable > math.MaxInt64/2 {
			buckets++
			break
		}
		smallestUntrackable <<= 1
		buckets++
	}
	h.counts = make([]int64, (buckets+1)*int(subCount/2))
	return h, nil
}

// bucketIndex returns the power-of-two bucket holding v.
func (h *hdrHist) bucketIndex(v int64) int {
	pow2Ceiling := 64 - bits.LeadingZeros64(uint64(v|h.subMask))
	return pow2Ceiling - int(h.unitMag) - int(h.subHalfMag+1)
}

// countsIndexFor returns the flat counts index of v.
func (h *hdrHist) countsIndexFor(v int64) int {
	b := h.bucketIndex(v)
	sub := v >> (uint(b) + h.unitMag)
	return (b+1)<<h.subHalfMag + int(sub-h.subHalfCount)
}

// record adds one occurrence of v. Like Python hdrh it silently ignores a
// value it cannot represent (negative or beyond the counts array); callers
// clamp into [low, high] first, so that never happens in practice.
func (h *hdrHist) record(v int64) {
	if v < 0 {
		return
	}
	i := h.countsIndexFor(v)
	if uint(i) >= uint(len(h.counts)) {
		return
	}
	h.counts[i]++
	h.total++
	if i > h.maxIdx {
		h.maxIdx = i
	}
}

// valueFromIndex returns the lowest value represented by flat index i.
func (h *hdrHist) valueFromIndex(i int) int64 {
	b := (i >> h.subHalfMag) - 1
	sub := int64(i)&(h.subHalfCount-1) + h.subHalfCount
	if b < 0 {
		sub -= h.subHalfCount
		b = 0
	}
	return sub << (uint(b) + h.unitMag)
}

// lowestEquivalent returns the smallest value sharing v's sub-bucket.
func (h *hdrHist) lowestEquivalent(v int64) int64 {
	b := h.bucketIndex(v)
	sub := v >> (uint(b) + h.unitMag)
	return sub << (uint(b) + h.unitMag)
}

// highestEquivalent returns the largest value sharing v's sub-bucket.
func (h *hdrHist) highestEquivalent(v int64) int64 {
	b := h.bucketIndex(v)
	sub := v >> (uint(b) + h.unitMag)
	lowest := sub << (uint(b) + h.unitMag)
	if sub >= h.subCount {
		b++
	}
	return lowest + int64(1)<<(h.unitMag+uint(b)) - 1
}

// targetCount is Python hdrh's get_target_count_at_percentile.
func (h *hdrHist) targetCount(p float64) int64 {
	p = min(p, 100.0)
	c := int64(float64(p*float64(h.total))/100 + 0.5)
	return max(c, 1)
}

// valueAtPercentile is Python hdrh's get_value_at_percentile (one scan).
func (h *hdrHist) valueAtPercentile(p float64) int64 {
	target := h.targetCount(p)
	var cum int64
	for i := 0; i <= h.maxIdx; i++ {
		cum += h.counts[i]
		if cum >= target {
			return h.valueAt(i, p)
		}
	}
	return 0
}

// valueAt reports index i for percentile p as hdrh does.
func (h *hdrHist) valueAt(i int, p float64) int64 {
	v := h.valueFromIndex(i)
	if p != 0 {
		return h.highestEquivalent(v)
	}
	return h.lowestEquivalent(v)
}
