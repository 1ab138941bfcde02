package metrics

import (
	"bytes"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// Benchmarks of the hot path (Record, Inc) and of snapshot building at 1M
// samples. Run with:
//
//	go test -run '^$' -bench . -benchtime 2x ./pkg/metrics/   (Build*)
//	go test -run '^$' -bench 'Record|Inc' ./pkg/metrics/

// latencies returns n log-normal ns latencies (median ~ 20 ms).
func latencies(n int) []int64 {
	rng := rand.New(rand.NewPCG(29, 30))
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(math.Exp(rng.NormFloat64()*0.8 + 16.8))
	}
	return out
}

func benchRegistry(b *testing.B, es *EarlyStoppingSpec) (*Registry, SeriesID) {
	r := NewRegistry(es, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	id, err := r.RegisterSeries("sample_latency_ns", SeriesOpts{HDRLow: 1, HDRHigh: nsHigh, TailLatency: true})
	if err != nil {
		b.Fatal(err)
	}
	return r, id
}

func BenchmarkRecord(b *testing.B) {
	r, id := benchRegistry(b, nil)
	vals := latencies(1 << 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Record(id, vals[i&(1<<16-1)])
	}
}

func BenchmarkRecordFloat(b *testing.B) {
	r := NewRegistry(nil, nil)
	id, _ := r.RegisterSeries("tpot_ns", SeriesOpts{HDRLow: 1, HDRHigh: nsHigh, Float: true})
	vals := latencies(1 << 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.RecordFloat(id, float64(vals[i&(1<<16-1)])/7)
	}
}

func BenchmarkInc(b *testing.B) {
	r := NewRegistry(nil, nil)
	id, _ := r.RegisterCounter("c")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r.Inc(id)
	}
}

// BenchmarkBuildLive builds LIVE snapshots of a 1M-sample series (the
// 250 ms tick); steady state should not allocate.
func BenchmarkBuildLive(b *testing.B) {
	r, id := benchRegistry(b, DefaultEarlyStoppingSpec())
	for _, v := range latencies(1_000_000) {
		r.Record(id, v)
	}
	var s snapshot.Snapshot
	r.Build(&s, snapshot.Live, 0, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Build(&s, snapshot.Live, 0, int64(i))
	}
}

// BenchmarkBuildExact builds the COMPLETE snapshot of a 1M-sample
// tail-latency series: sort, 12 percentiles, histogram and the 8
// early-stopping estimates. The raw values are unsorted again between
// iterations (outside the timer).
func BenchmarkBuildExact(b *testing.B) {
	r, id := benchRegistry(b, DefaultEarlyStoppingSpec())
	vals := latencies(1_000_000)
	for _, v := range vals {
		r.Record(id, v)
	}
	s := r.series[id]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		copy(s.rawI.all(), vals)
		s.isorted = false
		var snap snapshot.Snapshot
		b.StartTimer()
		r.Build(&snap, snapshot.Complete, 0, 0)
	}
}

// BenchmarkMemory1Mx6 records 1M samples into each of the aggregator's six
// series and reports retained heap bytes per sample (raw values dominate:
// 8 bytes plus the slice's growth slack).
func BenchmarkMemory1Mx6(b *testing.B) {
	vals := latencies(1_000_000)
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := NewRegistry(DefaultEarlyStoppingSpec(), nil)
		var ids []SeriesID
		for _, name := range []string{"sample_latency_ns", "isl", "osl", "ttft_ns", "chunk_delta_ns", "tpot_ns"} {
			id, _ := r.RegisterSeries(name, SeriesOpts{HDRLow: 1, HDRHigh: nsHigh, Float: name == "tpot_ns"})
			ids = append(ids, id)
		}
		for _, v := range vals {
			for _, id := range ids {
				r.Record(id, v)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(6*len(vals)), "heapB/sample")
		runtime.KeepAlive(r)
	}
}

// TestRecordDoesNotAllocate guards the hot path: once the raw slice has
// capacity, Record, RecordFloat and Inc allocate nothing.
func TestRecordDoesNotAllocate(t *testing.T) {
	r := NewRegistry(nil, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	si, _ := r.RegisterSeries("i", SeriesOpts{HDRLow: 1, HDRHigh: nsHigh})
	sf, _ := r.RegisterSeries("f", SeriesOpts{HDRLow: 1, HDRHigh: nsHigh, Float: true})
	c, _ := r.RegisterCounter("c")
	r.Record(si, 0) // below HDR low: the warn-once path, then clamps without logging
	r.RecordFloat(sf, 0)
	// AllocsPerRun makes 1001 runs of 2 values each: stay inside the first
	// raw chunks so the measurement sees only the per-value path.
	r.series[si].rawI.cur = make([]int64, 0, 4096)
	r.series[sf].rawF.cur = make([]float64, 0, 4096)
	if a := testing.AllocsPerRun(1000, func() {
		r.Record(si, 12345)
		r.Record(si, -5000) // boxing -5000 would allocate
		r.RecordFloat(sf, 1.5)
		r.RecordFloat(sf, 1e300)
		r.Inc(c)
	}); a != 0 {
		t.Errorf("hot path allocates %v times per call", a)
	}
}

// TestBuildLiveDoesNotAllocate guards the 250 ms live path once the
// destination snapshot has been built once.
func TestBuildLiveDoesNotAllocate(t *testing.T) {
	r := NewRegistry(DefaultEarlyStoppingSpec(), nil)
	id, _ := r.RegisterSeries("s", SeriesOpts{HDRLow: 1, HDRHigh: nsHigh, TailLatency: true})
	f, _ := r.RegisterSeries("f", SeriesOpts{HDRLow: 1, HDRHigh: nsHigh, Float: true})
	r.RegisterCounter("c")
	for _, v := range latencies(10000) {
		r.Record(id, v)
		r.RecordFloat(f, float64(v)/3)
	}
	var s snapshot.Snapshot
	r.Build(&s, snapshot.Live, 0, 0)
	if a := testing.AllocsPerRun(50, func() { r.Build(&s, snapshot.Live, 0, 0) }); a != 0 {
		t.Errorf("live Build allocates %v times", a)
	}
}
