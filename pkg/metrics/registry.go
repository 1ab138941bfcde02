// Package metrics is the aggregator's metrics registry: counters and series
// samplers that build the snapshot.Snapshot published to the benchmark.
//
// It reproduces upstream's MetricsRegistry (inference_endpoint
// async_utils/services/metrics_aggregator/registry.py): series keep exact
// rollups, an HDR histogram for cheap live percentiles, and all raw values
// for the exact final (COMPLETE) statistics, which must match upstream's
// numpy results field by field. Hot-path calls are indexed by ID and do not
// allocate beyond amortized growth of the raw-value slices.
//
// A Registry is not safe for concurrent use; the aggregator owns it from a
// single goroutine.
package metrics

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// SeriesID identifies a registered series; it indexes the registry's series
// slice so Record needs no map lookup.
type SeriesID int

// Registry holds every counter and series, in registration order, and builds
// snapshots of them (upstream MetricsRegistry).
type Registry struct {
	es        *EarlyStoppingSpec
	names     map[string]int // name -> index; counters >= 0, series as ^index
	counters  []counter
	series    []*series
	snapshots int64
	log       *slog.Logger // clamp warnings and early-stopping detail, for every series
}

// NewRegistry returns an empty registry. es, when non-nil, is applied to
// every series registered with TailLatency (nil disables early stopping).
func NewRegistry(es *EarlyStoppingSpec, log *slog.Logger) *Registry {
	if log == nil {
		log = slog.Default()
	}
	return &Registry{es: es, names: map[string]int{}, log: log}
}

// RegisterCounter adds an int counter starting at 0. Counter and series names
// share one namespace; a duplicate name is an error.
func (r *Registry) RegisterCounter(name string) (CounterID, error) {
	if _, dup := r.names[name]; dup {
		return -1, fmt.Errorf("register counter: metric name already registered: %s", name)
	}
	id := CounterID(len(r.counters))
	r.counters = append(r.counters, counter{name: name})
	r.names[name] = int(id)
	return id, nil
}

// RegisterSeries adds a series. It fails, as upstream does, on a duplicate
// name, a grid without 50, or HDRHigh < 2*max(HDRLow, 1); additionally on
// out-of-range significant figures, bucket counts or percentiles, which
// upstream only discovers when building a snapshot.
func (r *Registry) RegisterSeries(name string, o SeriesOpts) (SeriesID, error) {
	if _, dup := r.names[name]; dup {
		return -1, fmt.Errorf("register series: metric name already registered: %s", name)
	}
	s, err := newSeries(name, o, r.es, r.log)
	if err != nil {
		return -1, err
	}
	id := SeriesID(len(r.series))
	r.series = append(r.series, s)
	r.names[name] = ^int(id)
	return id, nil
}

// Record adds one value to an int series; on a float series it records
// float64(v), as Python's float array would store it.
func (r *Registry) Record(id SeriesID, v int64) {
	s := r.series[id]
	if s.isFloat {
		s.recordFloat(float64(v))
		return
	}
	s.recordInt(v)
}

// RecordFloat adds one value to a float series. Recording a float into an int
// series is a programming error (upstream's int array rejects it) and panics.
func (r *Registry) RecordFloat(id SeriesID, v float64) {
	s := r.series[id]
	if !s.isFloat {
		panic(fmt.Sprintf("metrics: RecordFloat on int series %q", s.name))
	}
	s.recordFloat(v)
}

// Build overwrites dst with a snapshot of every metric (counters first, then
// series, each in registration order) and increments the registry's snapshot
// counter, like upstream's build_snapshot. Statistics are exact (from the raw
// values) iff state is snapshot.Complete, and HDR-derived otherwise.
//
// Build reuses dst's slices (and each series' percentile and histogram
// slices) to avoid garbage on the 250 ms live path, so a caller must not keep
// references into a snapshot it passes to Build again.
func (r *Registry) Build(dst *snapshot.Snapshot, state snapshot.State, pending int64, nowNs int64) {
	exact := state == snapshot.Complete
	r.snapshots++
	dst.Counter = r.snapshots
	dst.TimestampNs = nowNs
	dst.State = state
	dst.NPendingTasks = pending
	dst.Counters = dst.Counters[:0]
	for _, c := range r.counters {
		dst.Counters = append(dst.Counters, snapshot.Counter{Name: c.name, Value: snapshot.Int(c.value)})
	}
	dst.Series = slices.Grow(dst.Series[:0], len(r.series))[:len(r.series)]
	for i, s := range r.series {
		s.build(&dst.Series[i], exact)
	}
}

// Snapshots returns how many snapshots Build has produced.
func (r *Registry) Snapshots() int64 { return r.snapshots }

// CounterByName returns the ID of a registered counter.
func (r *Registry) CounterByName(name string) (CounterID, bool) {
	i, ok := r.names[name]
	if !ok || i < 0 {
		return -1, false
	}
	return CounterID(i), true
}

// SeriesByName returns the ID of a registered series.
func (r *Registry) SeriesByName(name string) (SeriesID, bool) {
	i, ok := r.names[name]
	if !ok || i >= 0 {
		return -1, false
	}
	return SeriesID(^i), true
}
