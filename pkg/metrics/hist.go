package metrics

import "sort"

// logSpacedEdges writes the n+1 display-histogram edges for an observed range
// [low, high] into dst (reusing its capacity) and returns it. It is upstream's
// _log_spaced_edges: lo = max(low, 1), hi = max(high, 10*lo),
// step = (log(hi) - log(lo)) / n, edge_i = exp(log(lo) + i*step), with the C
// library's exp and log (see libm_cgo.go) and every intermediate rounded to
// float64 (the explicit conversions forbid FMA fusion) so each edge is
// bit-identical to upstream's.
func logSpacedEdges(dst []float64, low, high float64, n int) []float64 {
	lo := max(low, 1.0)
	hi := max(high, float64(lo*10.0))
	logLo := libmLog(lo)
	logHi := libmLog(hi)
	step := (logHi - logLo) / float64(n)
	dst = dst[:0]
	for i := 0; i <= n; i++ {
		dst = append(dst, libmExp(logLo+float64(float64(i)*step)))
	}
	return dst
}

// clip is numpy.clip for one value against the outer edges.
func clip(x, lo, hi float64) float64 { return min(max(x, lo), hi) }

// exactCounts fills counts (len(edges)-1 buckets) the way upstream's
// np.histogram(np.clip(arr, edges[0], edges[-1]), bins=edges) does, for
// ascending values converted to float64 by conv. numpy counts bucket i as
// searchsorted(edges[i+1], 'left') - searchsorted(edges[i], 'left'), except
// that the last edge is searched 'right' (last bucket closed); after clipping
// nothing falls outside, so the cumulative count at the last edge is n.
// Values are sorted, so each cumulative count is one binary search.
func exactCounts[T int64 | float64](counts []int64, sorted []T, edges []float64) {
	n := len(sorted)
	lo, hi := edges[0], edges[len(edges)-1]
	below := func(e float64) int { // #values whose clipped value is < e
		return sort.Search(n, func(j int) bool { return clip(float64(sorted[j]), lo, hi) >= e })
	}
	prev := below(edges[0])
	last := len(edges) - 1
	for i := range counts {
		var cum int
		if i+1 == last {
			cum = sort.Search(n, func(j int) bool { return clip(float64(sorted[j]), lo, hi) > edges[last] })
		} else {
			cum = below(edges[i+1])
		}
		counts[i] = int64(cum - prev)
		prev = cum
	}
}

// displayBucket returns the bucket a live HDR value v goes to, as upstream's
// bisect.bisect_right(edges, v) - 1 clamped to [0, n-1].
func displayBucket(edges []float64, v float64) int {
	// bisect_right: first index whose edge is > v.
	lo, hi := 0, len(edges)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if v < edges[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return min(max(lo-1, 0), len(edges)-2)
}
