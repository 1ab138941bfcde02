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

// quantiles are the series quantiles exported from the snapshot's
// percentile grid, with the keys they are read from. The summary also
// carries quantile 0 (the series' minimum) and 1 (its maximum).
var quantiles = [...]struct {
	key string
	q   float64
}{{"50.0", 0.5}, {"90.0", 0.9}, {"95.0", 0.95}, {"99.0", 0.99}, {"99.9", 0.999}}

const nq = len(quantiles)

// Health is the daemon's own state at a publish, filled by the owner from
// what it owns (and from the transports' thread-safe Stats). It is copied
// into the Value; Publisher.Peers and Drain must not be modified
// afterwards.
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
	// Drain is a copy of the end-of-run drain's progress, nil before a
	// drain began (DrainProgress.Copy: the owner's own keeps changing).
	Drain *tokqueue.DrainProgress
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
	counters     []float64 // already scaled (ns → s)
	series       []seriesValue
	health       Health
	// the drain's ratio done and time left at the publish (with Drain)
	drainRatio float64
	drainETA   time.Duration
}

// Final reports whether v carries a terminal (complete or interrupted)
// state.
func (v *Value) Final() bool {
	return v.state == snapshot.Complete || v.state == snapshot.Interrupted
}

// seriesValue is one series, already scaled (ns → s).
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
	label string           // the reason label's value (a finish-reason counter)
	kind  prometheus.ValueType
	div   float64 // the snapshot value is divided by it (1e9: ns → s)
}

type seriesLayout struct {
	name    string
	npct    int
	qidx    [nq]int // -1: the snapshot has no such percentile
	div     float64 // values are divided by it (1e9: ns → s)
	summary *prometheus.Desc
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

// nsSuffix marks a snapshot name in nanoseconds; its metric is in seconds
// (Prometheus's base unit), the name's "_ns" becoming "_seconds".
const nsSuffix = "_ns"

// seriesUnits are the units of the snapshot series whose names carry none.
var seriesUnits = map[string]string{snapshot.ISL: "tokens", snapshot.OSL: "tokens"}

// counterMetric is the Prometheus family of a snapshot counter, by the
// naming rules of the Prometheus documentation: a duration in ns is a
// gauge in seconds ("tracked_duration_ns" → "tracked_duration_seconds");
// a finish-reason counter is the reason label of one family
// ("tracked_finish_reason_stop" → "tracked_finish_reasons_total"
// {reason="stop"}); any other counter drops a "total_" prefix and ends in
// "_total" ("total_samples_issued" → "samples_issued_total",
// "tracked_samples_issued" → "tracked_samples_issued_total").
func counterMetric(name string) (family, reason string, kind prometheus.ValueType, div float64) {
	switch {
	case strings.HasSuffix(name, nsSuffix):
		return metricName(strings.TrimSuffix(name, nsSuffix) + "_seconds"), "", prometheus.GaugeValue, 1e9
	case strings.HasPrefix(name, snapshot.FinishReasonPrefix):
		return metricName("tracked_finish_reasons_total"), strings.TrimPrefix(name, snapshot.FinishReasonPrefix), prometheus.CounterValue, 1
	}
	n := strings.TrimPrefix(name, "total_")
	if !strings.HasSuffix(n, "_total") {
		n += "_total"
	}
	return metricName(n), "", prometheus.CounterValue, 1
}

// seriesMetric is the Prometheus summary of a snapshot series: its name
// with the unit in base units ("sample_latency_ns" →
// "sample_latency_seconds", "isl" → "isl_tokens") and the divisor of its
// values (1e9 from ns to s: a division, so exactly the correctly rounded
// quotient).
func seriesMetric(name string) (string, float64) {
	if strings.HasSuffix(name, nsSuffix) {
		return metricName(strings.TrimSuffix(name, nsSuffix) + "_seconds"), 1e9
	}
	if u, ok := seriesUnits[name]; ok {
		return metricName(name + "_" + u), 1
	}
	return metricName(name), 1
}

// MetricName returns the name of the Prometheus metric a snapshot counter
// or series is exported as (see counterMetric and seriesMetric), and the
// label that tells it apart within its family ("reason" and its value for
// a finish-reason counter, else empty); for readers of the endpoint that
// match it against a snapshot (tests, dashboards' documentation).
func MetricName(snapshotName string, isSeries bool) (name, labelName, labelValue string) {
	if isSeries {
		n, _ := seriesMetric(snapshotName)
		return n, "", ""
	}
	n, reason, _, _ := counterMetric(snapshotName)
	if reason != "" {
		return n, "reason", reason
	}
	return n, "", ""
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
	reasons := map[string]*prometheus.Desc{} // the finish-reason family, once claimed
	seen := map[string]bool{}                // reasons already exported
	l := &layout{counters: make([]counterLayout, len(s.Counters)), series: make([]seriesLayout, len(s.Series))}
	for i, c := range s.Counters {
		cl := &l.counters[i]
		cl.name = c.Name
		n, reason, kind, div := counterMetric(c.Name)
		cl.kind, cl.div, cl.label = kind, div, reason
		if reason != "" {
			d, ok := reasons[n]
			if !ok && claim(n) {
				d = prometheus.NewDesc(n, "Snapshot counters "+snapshot.FinishReasonPrefix+"REASON: tracked samples completed with each finish reason (latest live or final snapshot).", []string{"reason"}, nil)
				reasons[n] = d
			}
			if d != nil && !seen[reason] {
				seen[reason] = true
				cl.desc = d
			}
			continue
		}
		if claim(n) {
			help := "Snapshot counter " + c.Name + " (latest live or final snapshot)."
			if kind == prometheus.GaugeValue {
				help = "Snapshot counter " + c.Name + " in seconds (latest live or final snapshot; a duration set from event times, so a gauge)."
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
		n, div := seriesMetric(ss.Name)
		sl.div = div
		if claim(n, n+"_sum", n+"_count") {
			unit := ""
			if div != 1 {
				unit = " in seconds"
			}
			sl.summary = prometheus.NewDesc(n, "Snapshot series "+ss.Name+unit+": quantiles 0.5 to 0.999 (the live HDR view; exact in the final snapshot), 0 the minimum and 1 the maximum, count and total.", nil, nil)
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
	if d := h.Drain; d != nil {
		v.drainRatio, v.drainETA = d.Fraction(), d.ETA(now)
	}
	e.cur.Store(v)
}

// fill copies snap's numbers into v (two allocations: counters, series).
func fill(v *Value, l *layout, snap *snapshot.Snapshot) {
	v.layout, v.state, v.counter, v.pending = l, snap.State, snap.Counter, snap.NPendingTasks
	v.counters = make([]float64, len(snap.Counters))
	for i := range snap.Counters {
		v.counters[i] = snap.Counters[i].Value.Value() / l.counters[i].div
	}
	v.series = make([]seriesValue, len(snap.Series))
	for i := range snap.Series {
		ss, sv, div := &snap.Series[i], &v.series[i], l.series[i].div
		sv.count = uint64(max(ss.Count, 0))
		sv.sum = ss.Total.Value() / div
		sv.min, sv.max = math.NaN(), math.NaN() // as client_golang reports an empty summary
		if ss.Count > 0 {
			sv.min, sv.max = ss.Min.Value()/div, ss.Max.Value()/div
		}
		for k, j := range l.series[i].qidx {
			if j < 0 || ss.Count == 0 {
				sv.q[k] = math.NaN()
			} else {
				sv.q[k] = ss.Percentiles[j].Value / div
			}
		}
	}
}
