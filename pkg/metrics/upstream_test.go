package metrics

import (
	"bytes"
	"log/slog"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// TestExactStatMatchesUpstream records the same values into this registry
// and into upstream's SeriesSampler (imported from the reference checkout)
// and compares the COMPLETE stat field by field with no tolerance: count,
// total, min, max and sum_sq with their int/float identity, every
// percentile, every histogram edge and count, and the early-stopping map.
// Cases cover n = 1, 2, 3, ties, zeros, float series, ns latencies whose
// sum of squares passes 2^63, token counts, custom grids and bucket counts.
func TestExactStatMatchesUpstream(t *testing.T) {
	if !libmIsC {
		t.Skip("bit-exact edges need the C library's exp/log (cgo)")
	}
	rng := rand.New(rand.NewPCG(27, 28))
	type tc struct {
		Ints    []int64
		Floats  []float64
		Float   bool
		Buckets int
		Pcts    []float64
		ES      bool
		Low     int64
		High    int64
	}
	var cases []tc
	add := func(c tc) {
		if c.Buckets == 0 {
			c.Buckets = 30
		}
		if c.Pcts == nil {
			c.Pcts = DefaultPercentiles
		}
		if c.High == 0 {
			c.Low, c.High = 1, nsHigh
		}
		cases = append(cases, c)
	}
	add(tc{Ints: []int64{}, ES: true})
	add(tc{Floats: []float64{}, Float: true, ES: true})
	add(tc{Ints: []int64{7}})
	add(tc{Ints: []int64{7, 800}, ES: true})
	add(tc{Ints: []int64{0, 1, 2}})
	add(tc{Ints: []int64{5, 5, 5, 5}, Buckets: 3})
	add(tc{Ints: []int64{0, 100, 1000}, Buckets: 5, Pcts: []float64{50, 99}})
	add(tc{Floats: []float64{1.5, 2.5, 3.5}, Float: true, ES: true})
	add(tc{Floats: []float64{0.25, 0.5}, Float: true})
	for i := 0; i < 12; i++ {
		n := []int{10, 100, 1000, 5000, 20000}[rng.IntN(5)]
		ints := make([]int64, n)
		kind := i % 4
		for j := range ints {
			switch kind {
			case 0: // ns latencies: the sum of squares overflows int64
				ints[j] = 3_000_000_000 + rng.Int64N(1_000_000_000)
			case 1: // token counts with many ties
				ints[j] = rng.Int64N(2000)
			case 2: // log-normal latencies
				ints[j] = int64(math.Exp(rng.NormFloat64()*1.5 + 17))
			default: // small integers sitting on edges
				ints[j] = 1 + rng.Int64N(1000)
			}
		}
		add(tc{Ints: ints, ES: i%2 == 0, Buckets: []int{30, 30, 7, 1}[rng.IntN(4)]})
	}
	for i := 0; i < 6; i++ {
		n := []int{10, 1000, 8000}[rng.IntN(3)]
		fl := make([]float64, n)
		for j := range fl {
			fl[j] = rng.ExpFloat64() * 3e6 / float64(1+rng.IntN(50)) // tpot-like
		}
		add(tc{Floats: fl, Float: true, ES: true})
	}
	add(tc{Ints: seq(1, 2000, 1), Pcts: []float64{100, 99.99, 50, 0}, ES: true})

	type pyNum [2]string // ["int"|"float", repr]
	type pyStat struct {
		Count               int64
		Total, Min, Max, Sq pyNum
		Pcts                [][2]any
		Hist                [][3]any
		ES                  *[][2]any
	}
	var want []pyStat
	runPython(t, true, `
import json, sys, logging
logging.disable(logging.CRITICAL)
from inference_endpoint.async_utils.services.metrics_aggregator.registry import SeriesSampler
from inference_endpoint.metrics.early_stopping import EarlyStoppingSpec
def num(x):
    return [type(x).__name__, repr(x) if isinstance(x, float) else str(x)]
out = []
for c in json.load(sys.stdin):
    dtype = float if c["Float"] else int
    s = SeriesSampler("s", hdr_low=c["Low"], hdr_high=c["High"], sig_figs=3,
                      n_histogram_buckets=c["Buckets"], percentiles=tuple(float(p) for p in c["Pcts"]),
                      dtype=dtype, es_spec=EarlyStoppingSpec() if c["ES"] else None)
    for v in (c["Floats"] if c["Float"] else c["Ints"]):
        s.record(dtype(v))
    st = s.build_stat(exact=True)
    es = st.early_stopping_percentiles
    out.append({"Count": st.count, "Total": num(st.total), "Min": num(st.min), "Max": num(st.max),
                "Sq": num(st.sum_sq), "Pcts": [[k, v] for k, v in st.percentiles.items()],
                "Hist": [[lo, hi, n] for (lo, hi), n in st.histogram],
                "ES": None if es is None else [[k, v] for k, v in es.items()]})
json.dump(out, sys.stdout)
`, cases, &want)

	numEq := func(got snapshot.Num, w pyNum) bool {
		if w[0] == "float" {
			f, err := strconv.ParseFloat(w[1], 64)
			return err == nil && got.Float && (got.F == f || math.IsNaN(f) && math.IsNaN(got.F))
		}
		if got.Float {
			return false
		}
		if got.Big != nil {
			return got.Big.String() == w[1]
		}
		return strconv.FormatInt(got.I, 10) == w[1]
	}
	for ci, c := range cases {
		r := NewRegistry(DefaultEarlyStoppingSpec(), slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
		id := mustSeries(t, r, "s", SeriesOpts{HDRLow: c.Low, HDRHigh: c.High, Buckets: c.Buckets,
			Percentiles: c.Pcts, Float: c.Float, TailLatency: c.ES})
		for _, v := range c.Ints {
			r.Record(id, v)
		}
		for _, v := range c.Floats {
			r.RecordFloat(id, v)
		}
		st := build(t, r, snapshot.Complete).Series[0]
		w := want[ci]
		if st.Count != w.Count || !numEq(st.Total, w.Total) || !numEq(st.Min, w.Min) || !numEq(st.Max, w.Max) || !numEq(st.SumSq, w.Sq) {
			t.Errorf("case %d: rollups count %d total %+v min %+v max %+v sq %+v; upstream %+v", ci, st.Count, st.Total, st.Min, st.Max, st.SumSq, w)
		}
		if len(st.Percentiles) != len(w.Pcts) {
			t.Fatalf("case %d: %d percentiles, upstream %d", ci, len(st.Percentiles), len(w.Pcts))
		}
		for i, p := range st.Percentiles {
			if p.Key != w.Pcts[i][0].(string) || p.Value != w.Pcts[i][1].(float64) {
				t.Errorf("case %d: percentile %+v, upstream %v", ci, p, w.Pcts[i])
			}
		}
		if len(st.Histogram) != len(w.Hist) {
			t.Fatalf("case %d: %d buckets, upstream %d", ci, len(st.Histogram), len(w.Hist))
		}
		for i, b := range st.Histogram {
			u := w.Hist[i]
			if b.Lo != u[0].(float64) || b.Hi != u[1].(float64) || float64(b.Count) != u[2].(float64) {
				t.Errorf("case %d: bucket %d %+v, upstream %v", ci, i, b, u)
			}
		}
		switch {
		case w.ES == nil && st.EarlyStopping != nil, w.ES != nil && st.EarlyStopping == nil:
			t.Errorf("case %d: early stopping %v, upstream %v", ci, st.EarlyStopping, w.ES)
		case w.ES != nil:
			if len(*w.ES) != len(st.EarlyStopping) {
				t.Fatalf("case %d: %d estimates, upstream %d", ci, len(st.EarlyStopping), len(*w.ES))
			}
			for i, e := range st.EarlyStopping {
				u := (*w.ES)[i]
				if e.Key != u[0].(string) || e.Valid != (u[1] != nil) || (e.Valid && e.Value != u[1].(float64)) {
					t.Errorf("case %d: estimate %+v, upstream %v", ci, e, u)
				}
			}
		}
	}
}
