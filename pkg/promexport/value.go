package promexport

import (
	"math"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/tokqueue"
	"github.com/mlperf-tools/aggregator/pkg/transport"
)

// Namespace prefixes every metric of ours.
const Namespace = "aggregator"

// quantiles are the series quantiles exported, with the snapshot's
// percentile keys they are read from.
var quantiles = [...]struct {
	key string
	q   float64
}{{"50.0", 0.5}, {"90.0", 0.9}, {"95.0", 0.95}, {"99.0", 0.99}, {"99.9", 0.999}}

const nq = len(quantiles)

// Health is the daemon's own state at a publish, filled by the owner from
// what it owns (and from the transports' thread-safe Stats). It is copied
// into the Value; Publisher.Peers must not be modified afterwards.
type Health struct {
	Events        int64 // records decoded and folded
	DecodeErrors  int64 // malformed or dropped event payloads
	FramesDropped int64 // undecodable frames dropped whole
	Subscriber    transport.SubscriberStats
	Publisher     transport.PublisherStats
	// Tokens is set when a token pipeline exists (--tokenizer); then
	// TokenQueue and TokenQueueLen are meaningful.
	Tokens        bool
	TokenQueue    tokqueue.Stats
	TokenQueueLen int64
	// LiveLane and DrainLane: the lane exists and is running.
	LiveLane, DrainLane bool
}

// Value is one immutable view published by the owner: the latest
// snapshot's numbers (when there is one) and the daemon's health.
type Value struct {
	layout       *layout // nil: no snapshot yet
	state        snapshot.State
	counter      int64 // the snapshot's counter field
	pending      int64
	at           time.Time
	eventsPerSec float64
	counters     []float64
	series       []seriesValue
	health       Health
}

// Final reports whether v carries a terminal (complete or interrupted)
// state.
func (v *Value) Final() bool {
	return v.state == snapshot.Complete || v.state == snapshot.Interrupted
}

type seriesValue struct {
	count         uint64
	sum, min, max float64
	q             [nq]float64
}

// layout is what stays the same from one snapshot to the next: the names
// and their descriptors, and where each exported quantile sits in a
// series' percentile list. It is rebuilt only when the snapshot's shape
// changes (in practice once).
type layout struct {
	counters []counterLayout
	series   []seriesLayout
}

type counterLayout struct {
	name  string
	desc  *prometheus.Desc // nil: the name clashes with another metric
	gauge bool             // a duration (…_ns): set from event times, not counted
}

type seriesLayout struct {
	name              string
	npct              int
	qidx              [nq]int // -1: the snapshot has no such percentile
	summary, min, max *prometheus.Desc
}

// matches reports whether s has l's shape (cheap: the names are the
// registry's own strings, so equal ones share their bytes).
func (l *layout) matches(s *snapshot.Snapshot) bool {
	if len(l.counters) != len(s.Counters) || len(l.series) != len(s.Series) {
		return false
	}
	for i := range l.counters {
		if l.counters[i].name != s.Counters[i].Name {
			return false
		}
	}
	for i := range l.series {
		sl, ss := &l.series[i], &s.Series[i]
		if sl.name != ss.Name || sl.npct != len(ss.Percentiles) {
			return false
		}
		for k, j := range sl.qidx {
			if j >= 0 && ss.Percentiles[j].Key != quantiles[k].key {
				return false
			}
		}
	}
	return true
}

// newLayout builds the descriptors for s's shape. A name that would clash
// with another metric (one of ours, or an earlier one of the snapshot's)
// gets no descriptor and is not exported.
func newLayout(s *snapshot.Snapshot) *layout {
	taken := make(map[string]bool, len(fixedNames)+len(s.Counters)+4*len(s.Series))
	for n := range fixedNames {
		taken[n] = true
	}
	claim := func(names ...string) bool {
		for _, n := range names {
			if taken[n] {
				return false
			}
		}
		for _, n := range names {
			taken[n] = true
		}
		return true
	}
	l := &layout{counters: make([]counterLayout, len(s.Counters)), series: make([]seriesLayout, len(s.Series))}
	for i, c := range s.Counters {
		cl := &l.counters[i]
		cl.name = c.Name
		if n := metricName(c.Name); claim(n) {
			help := "Snapshot counter " + c.Name + " (latest live or final snapshot)."
			if cl.gauge = strings.HasSuffix(c.Name, "_ns"); cl.gauge {
				help = "Snapshot counter " + c.Name + " (latest live or final snapshot; a duration set from event times, so a gauge)."
			}
			cl.desc = prometheus.NewDesc(n, help, nil, nil)
		}
	}
	for i := range s.Series {
		ss, sl := &s.Series[i], &l.series[i]
		sl.name, sl.npct = ss.Name, len(ss.Percentiles)
		for k, q := range quantiles {
			sl.qidx[k] = -1
			for j, p := range ss.Percentiles {
				if p.Key == q.key {
					sl.qidx[k] = j
					break
				}
			}
		}
		n := metricName(ss.Name)
		if claim(n, n+"_sum", n+"_count", n+"_min", n+"_max") {
			sl.summary = prometheus.NewDesc(n, "Snapshot series "+ss.Name+": quantiles (live HDR view; exact in the final snapshot), count and total.", nil, nil)
			sl.min = prometheus.NewDesc(n+"_min", "Snapshot series "+ss.Name+": minimum.", nil, nil)
			sl.max = prometheus.NewDesc(n+"_max", "Snapshot series "+ss.Name+": maximum.", nil, nil)
		}
	}
	return l
}

// metricName is Namespace_name with every character Prometheus does not
// allow in a name replaced by '_'.
func metricName(name string) string {
	return Namespace + "_" + strings.Map(func(r rune) rune {
		if r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, name)
}

// publishState is Publish's own state, touched only by the publishing
// goroutine.
type publishState struct {
	layout     *layout
	prevAt     time.Time
	prevEvents int64
}

// Publish makes snap (nil before the first snapshot; then state is the
// session state) and h the numbers the endpoint serves. It copies what it
// needs (snap may be reused at once), allocates one Value, and stores it
// atomically; it never blocks. Call it from one goroutine only.
func (e *Exporter) Publish(snap *snapshot.Snapshot, state snapshot.State, h *Health) {
	if e == nil {
		return
	}
	now := time.Now()
	p := &e.pub
	v := &Value{state: state, at: now, health: *h}
	if !p.prevAt.IsZero() {
		if dt := now.Sub(p.prevAt).Seconds(); dt > 0 {
			v.eventsPerSec = float64(h.Events-p.prevEvents) / dt
		}
	}
	p.prevAt, p.prevEvents = now, h.Events
	if snap != nil {
		if p.layout == nil || !p.layout.matches(snap) {
			p.layout = newLayout(snap)
		}
		fill(v, p.layout, snap)
	}
	e.cur.Store(v)
}

// fill copies snap's numbers into v (two allocations: counters, series).
func fill(v *Value, l *layout, snap *snapshot.Snapshot) {
	v.layout, v.state, v.counter, v.pending = l, snap.State, snap.Counter, snap.NPendingTasks
	v.counters = make([]float64, len(snap.Counters))
	for i := range snap.Counters {
		v.counters[i] = snap.Counters[i].Value.Value()
	}
	v.series = make([]seriesValue, len(snap.Series))
	for i := range snap.Series {
		ss, sv := &snap.Series[i], &v.series[i]
		sv.count = uint64(max(ss.Count, 0))
		sv.sum, sv.min, sv.max = ss.Total.Value(), ss.Min.Value(), ss.Max.Value()
		for k, j := range l.series[i].qidx {
			if j < 0 || ss.Count == 0 {
				sv.q[k] = math.NaN() // as client_golang reports an empty summary
			} else {
				sv.q[k] = ss.Percentiles[j].Value
			}
		}
	}
}
