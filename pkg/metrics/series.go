package metrics

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// SeriesOpts configures a series (upstream register_series keywords).
type SeriesOpts struct {
	// HDRLow and HDRHigh bound the live HDR view; values outside are clamped
	// into it (raw values are kept as recorded). HDRLow < 1 is raised to 1;
	// HDRHigh must be >= 2*HDRLow.
	HDRLow, HDRHigh int64
	// SigFigs is the HDR precision in [1, 5]; 0 means upstream's default 3.
	SigFigs int
	// Buckets is the display-histogram bucket count; 0 means upstream's
	// default 30.
	Buckets int
	// Percentiles is the report grid (0-100, must contain 50); nil means
	// DefaultPercentiles.
	Percentiles []float64
	// PercentileKeys optionally spells the grid keys (Python's str() of each
	// entry, e.g. "99" for an int entry); nil formats each value with
	// snapshot.FormatPyFloat ("99.0"). Must match Percentiles in length.
	PercentileKeys []string
	// Float selects a float series (upstream dtype=float, used by tpot_ns):
	// float total/sum_sq/min/max, recorded with RecordFloat.
	Float bool
	// TailLatency attaches the registry's early-stopping spec (if any).
	TailLatency bool
}

// Upstream's register_series defaults (and the CLI's --hdr-sig-figs and
// --n-histogram-buckets defaults).
const (
	DefaultSigFigs = 3
	DefaultBuckets = 30
)

// series is one series sampler: exact rollups, a live HDR view and the raw
// values for the exact final statistics (upstream SeriesSampler).
type series struct {
	name     string
	isFloat  bool
	es       *EarlyStoppingSpec // nil: no early stopping on this series
	pcts     []float64          // report grid, report order
	pctKeys  []string
	pctAsc   []int // indices of pcts by ascending value (live one-pass scan)
	buckets  int
	hdr      *hdrHist
	hdrLow   int64
	hdrHigh  int64
	warned   bool
	log      *slog.Logger
	count    int64
	isorted  bool // raw values currently sorted (exact path done)
	totalI   int128
	sumSqI   uint192
	minI     int64
	maxI     int64
	rawI     rawValues[int64]
	totalF   float64
	sumSqF   float64
	minF     float64
	maxF     float64
	rawF     rawValues[float64]
	edges    []float64 // live scratch, reused every snapshot
	hcounts  []int64   // live scratch
	pctVals  []float64 // live scratch
	esTarget []ESTarget
}

// newSeries validates o and builds a series.
func newSeries(name string, o SeriesOpts, es *EarlyStoppingSpec, log *slog.Logger) (*series, error) {
	low := max(o.HDRLow, 1)
	if o.HDRHigh < 2*low {
		ratio := float64(o.HDRHigh) / float64(low)
		return nil, fmt.Errorf("%s: HDR high (%d) must be >= 2 * low (%d); got high/low=%.2f", name, o.HDRHigh, low, ratio)
	}
	sig := o.SigFigs
	if sig == 0 {
		sig = DefaultSigFigs
	}
	nb := o.Buckets
	if nb == 0 {
		nb = DefaultBuckets
	}
	if nb < 1 {
		return nil, fmt.Errorf("%s: histogram buckets must be >= 1, got %d", name, nb)
	}
	pcts := o.Percentiles
	if pcts == nil {
		pcts = DefaultPercentiles
	}
	if err := validatePercentiles(pcts); err != nil {
		return nil, fmt.Errorf("register series %q: %w", name, err)
	}
	if o.PercentileKeys != nil && len(o.PercentileKeys) != len(pcts) {
		return nil, fmt.Errorf("register series %q: %d percentile keys for %d percentiles", name, len(o.PercentileKeys), len(pcts))
	}
	hdr, err := newHDR(low, o.HDRHigh, sig)
	if err != nil {
		return nil, fmt.Errorf("register series %q: %w", name, err)
	}
	s := &series{
		name:    name,
		isFloat: o.Float,
		pcts:    slices.Clone(pcts),
		buckets: nb,
		hdr:     hdr,
		hdrLow:  low,
		hdrHigh: o.HDRHigh,
		log:     log,
		minI:    math.MaxInt64,
		maxI:    math.MinInt64,
		minF:    math.Inf(1),
		maxF:    math.Inf(-1),
		edges:   make([]float64, 0, nb+1),
		hcounts: make([]int64, nb),
		pctVals: make([]float64, len(pcts)),
	}
	s.pctKeys = make([]string, len(pcts))
	for i, p := range pcts {
		s.pctKeys[i] = keyAt(o.PercentileKeys, i, p)
	}
	s.pctAsc = make([]int, len(pcts))
	for i := range s.pctAsc {
		s.pctAsc[i] = i
	}
	slices.SortStableFunc(s.pctAsc, func(a, b int) int {
		switch {
		case pcts[a] < pcts[b]:
			return -1
		case pcts[a] > pcts[b]:
			return 1
		}
		return 0
	})
	if o.TailLatency && es != nil {
		s.es = es
		if es.Percentiles != nil {
			if es.PercentileKeys != nil && len(es.PercentileKeys) != len(es.Percentiles) {
				return nil, fmt.Errorf("register series %q: early stopping has %d keys for %d percentiles", name, len(es.PercentileKeys), len(es.Percentiles))
			}
			s.esTarget = overrideTargets(es.Percentiles, es.PercentileKeys)
		} else {
			s.esTarget = ESTargetsFromGrid(s.pcts, s.pctKeys)
		}
	}
	return s, nil
}

// recordInt is the int-series hot path: exact rollups, HDR, raw append.
func (s *series) recordInt(v int64) {
	s.count++
	s.totalI.add(v)
	s.sumSqI.addSquare(v)
	s.minI = min(s.minI, v)
	s.maxI = max(s.maxI, v)
	c := min(max(v, s.hdrLow), s.hdrHigh)
	if c != v && !s.warned { // checked here so v is not boxed on every clamp
		s.warnClamp(v)
	}
	s.hdr.record(c)
	s.rawI.add(v)
	s.isorted = false
}

// recordFloat is the float-series hot path. total and sum_sq are float sums
// in recording order, like Python's; the explicit conversion keeps v*v from
// being fused into the addition.
func (s *series) recordFloat(v float64) {
	s.count++
	s.totalF += v
	s.sumSqF += float64(v * v)
	if v < s.minF {
		s.minF = v
	}
	if v > s.maxF {
		s.maxF = v
	}
	// Python: max(float(v), float(low)), then high if above, then int().
	c := math.Max(v, float64(s.hdrLow))
	if c > float64(s.hdrHigh) {
		c = float64(s.hdrHigh)
	}
	if c != v && !s.warned { // checked here so v is not boxed on every clamp
		s.warnClamp(v)
	}
	s.hdr.record(int64(c))
	s.rawF.add(v)
	s.isorted = false
}

// warnClamp logs the first out-of-bounds value of this series.
func (s *series) warnClamp(v any) {
	s.warned = true
	s.log.Warn(fmt.Sprintf("%s: value %v outside HDR bounds [%d, %d]; clamped (warn-once)", s.name, v, s.hdrLow, s.hdrHigh),
		"series", s.name)
}

// zero returns the dtype's zero (Python dtype()).
func (s *series) zero() snapshot.Num {
	if s.isFloat {
		return snapshot.Float(0)
	}
	return snapshot.Int(0)
}

// build writes the series' stat into st, reusing st's slice capacity.
func (s *series) build(st *snapshot.Series, exact bool) {
	pct := st.Percentiles[:0]
	hist := st.Histogram[:0]
	if hist == nil {
		hist = make([]snapshot.Bucket, 0, s.buckets)
	}
	*st = snapshot.Series{Name: s.name, Count: s.count}
	if s.count == 0 {
		st.Total, st.SumSq = s.zero(), s.zero()
		st.Min, st.Max = snapshot.Int(0), snapshot.Int(0)
		for _, k := range s.pctKeys {
			pct = append(pct, snapshot.Percentile{Key: k, Value: 0})
		}
		st.Percentiles = pct
		st.Histogram = hist
		if exact {
			st.EarlyStopping = s.earlyStopping()
		}
		return
	}
	if s.isFloat {
		st.Total = snapshot.Float(s.totalF)
		st.SumSq = snapshot.Float(s.sumSqF)
		st.Min, st.Max = snapshot.Float(s.minF), snapshot.Float(s.maxF)
		s.edges = logSpacedEdges(s.edges, s.minF, s.maxF, s.buckets)
	} else {
		if s.totalI.fitsInt64() {
			st.Total = snapshot.Int(int64(s.totalI.lo))
		} else {
			st.Total = snapshot.Num{Big: s.totalI.big()}
		}
		st.SumSq = snapshot.Float(s.sumSqI.float64())
		st.Min, st.Max = snapshot.Int(s.minI), snapshot.Int(s.maxI)
		s.edges = logSpacedEdges(s.edges, float64(s.minI), float64(s.maxI), s.buckets)
	}
	if exact {
		s.exactStats(s.pctVals, s.hcounts)
		st.EarlyStopping = s.earlyStopping()
	} else {
		s.liveStats(s.pctVals, s.hcounts)
	}
	for i, k := range s.pctKeys {
		pct = append(pct, snapshot.Percentile{Key: k, Value: s.pctVals[i]})
	}
	for i, c := range s.hcounts {
		hist = append(hist, snapshot.Bucket{Lo: s.edges[i], Hi: s.edges[i+1], Count: c})
	}
	st.Percentiles = pct
	st.Histogram = hist
}

// liveStats fills percentile values and display-bucket counts from the HDR
// view in one pass over its counts: grid percentiles resolve in ascending
// order (their targets are monotone in p), and every non-empty HDR index
// adds its count to the display bucket of its highest equivalent value.
func (s *series) liveStats(pv []float64, counts []int64) {
	clear(counts)
	h := s.hdr
	next := 0
	target := int64(0)
	if len(s.pctAsc) > 0 {
		target = h.targetCount(s.pcts[s.pctAsc[0]])
	}
	var cum int64
	for i := 0; i <= h.maxIdx; i++ {
		c := h.counts[i]
		if c == 0 {
			continue
		}
		cum += c
		for next < len(s.pctAsc) && cum >= target {
			p := s.pcts[s.pctAsc[next]]
			pv[s.pctAsc[next]] = float64(h.valueAt(i, p))
			next++
			if next < len(s.pctAsc) {
				target = h.targetCount(s.pcts[s.pctAsc[next]])
			}
		}
		v := h.highestEquivalent(h.valueFromIndex(i))
		counts[displayBucket(s.edges, float64(v))] += c
	}
	for ; next < len(s.pctAsc); next++ { // unreachable with total > 0; hdrh returns 0
		pv[s.pctAsc[next]] = 0
	}
}

// exactStats sorts the raw values (in place, once) and fills the exact
// percentiles (numpy method="lower") and histogram counts (np.histogram over
// clipped values).
func (s *series) exactStats(pv []float64, counts []int64) {
	if s.isFloat {
		vals := s.rawF.all()
		if !s.isorted {
			slices.Sort(vals)
			s.isorted = true
		}
		for i, p := range s.pcts {
			pv[i] = vals[lowerIndex(len(vals), p)]
		}
		exactCounts(counts, vals, s.edges)
		return
	}
	vals := s.rawI.all()
	if !s.isorted {
		slices.Sort(vals)
		s.isorted = true
	}
	for i, p := range s.pcts {
		pv[i] = float64(vals[lowerIndex(len(vals), p)])
	}
	exactCounts(counts, vals, s.edges)
}

// earlyStopping computes the compact early-stopping map over the sorted raw
// values, or nil when the series has no spec. Like upstream it is
// best-effort: any failure (e.g. an out-of-domain explicit percentile) logs
// and omits the map instead of failing the final snapshot.
func (s *series) earlyStopping() []snapshot.Estimate {
	if s.es == nil {
		return nil
	}
	c := s.es.confidence()
	out := make([]snapshot.Estimate, 0, len(s.esTarget))
	var detail strings.Builder
	for _, t := range s.esTarget {
		var r ESResult
		var err error
		if s.isFloat {
			r, err = ESPercentileEstimate(s.rawF.all(), t.Percentile, c)
		} else {
			r, err = ESPercentileEstimate(s.rawI.all(), t.Percentile, c)
		}
		if err != nil {
			s.log.Error(fmt.Sprintf("%s: early-stopping computation failed; omitting the map", s.name),
				"series", s.name, "err", err)
			return nil
		}
		out = append(out, snapshot.Estimate{Key: t.Key, Value: r.Estimate, Valid: r.HasEstimate})
		if detail.Len() > 0 {
			detail.WriteString("; ")
		}
		fmt.Fprintf(&detail, "p%s: estimate=%s empirical=%s n=%d min_queries=%d discarded=%d",
			t.Key, optFloat(r.Estimate, r.HasEstimate), optFloat(r.Empirical, r.HasEmpirical), r.N, r.MinQueries, r.Discarded)
	}
	s.log.Info(fmt.Sprintf("%s early-stopping detail (confidence %v): %s", s.name, c, detail.String()), "series", s.name)
	return out
}

// optFloat renders an optional float for log lines ("None" when absent).
func optFloat(v float64, ok bool) string {
	if !ok {
		return "None"
	}
	return fmt.Sprint(v)
}
