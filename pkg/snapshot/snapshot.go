// Package snapshot defines the MetricsSnapshot published by the aggregator
// and its two encodings: the msgpack wire form read by the benchmark's
// msgspec decoder (array-like tagged structs) and the JSON dict form written
// to final_snapshot.json (Python json.dumps(indent=2) compatible).
package snapshot

import "math/big"

// State is the aggregator's session state at the time a snapshot was built.
type State uint8

// Session states; transitions are forward only:
// Initialize → Live → Draining → {Complete | Interrupted}.
const (
	Initialize State = iota
	Live
	Draining
	Complete
	Interrupted
)

var stateNames = [...]string{"initialize", "live", "draining", "complete", "interrupted"}

// String returns the wire name of s ("live").
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// ParseState maps a wire name back to a State.
func ParseState(name string) (State, bool) {
	for i, n := range stateNames {
		if n == name {
			return State(i), true
		}
	}
	return 0, false
}

// Num is a number that keeps Python's int/float identity: an int series
// reports ints, a float series floats. Ints that overflow int64 (only
// possible for totals of huge series) are carried in Big.
type Num struct {
	Float bool
	I     int64
	F     float64
	Big   *big.Int // non-nil only for ints outside int64
}

// Int returns an int Num.
func Int(v int64) Num { return Num{I: v} }

// Float returns a float Num.
func Float(v float64) Num { return Num{Float: true, F: v} }

// Value returns n as a float64 (rounded for Big).
func (n Num) Value() float64 {
	switch {
	case n.Float:
		return n.F
	case n.Big != nil:
		f, _ := new(big.Float).SetInt(n.Big).Float64()
		return f
	}
	return float64(n.I)
}

// Counter is a counter metric: ["counter", name, value] on the wire.
type Counter struct {
	Name  string
	Value Num
}

// Percentile is one entry of a series' percentile map, keyed as Python's
// str(float) prints the grid value ("99.9", "50.0").
type Percentile struct {
	Key   string
	Value float64
}

// Bucket is one histogram bucket: [[lo, hi], count] on the wire.
type Bucket struct {
	Lo, Hi float64
	Count  int64
}

// Estimate is one early-stopping estimate; Valid=false encodes None
// (too few samples for that percentile).
type Estimate struct {
	Key   string
	Value float64
	Valid bool
}

// Series is a series metric:
// ["series", name, count, total, min, max, sum_sq, {percentiles}, histogram, early_stopping|nil].
type Series struct {
	Name        string
	Count       int64
	Total       Num
	Min         Num
	Max         Num
	SumSq       Num
	Percentiles []Percentile
	Histogram   []Bucket
	// EarlyStopping is nil when not computed (wire nil, key absent in JSON);
	// a non-nil empty slice is an empty map.
	EarlyStopping []Estimate
}

// Snapshot is one point-in-time view of all metrics: counters first, then
// series, each in registration order.
type Snapshot struct {
	Counter       int64
	TimestampNs   int64
	State         State
	NPendingTasks int64
	Counters      []Counter
	Series        []Series
}

// Reset empties s, keeping its slices' capacity for reuse.
func (s *Snapshot) Reset() {
	s.Counter, s.TimestampNs, s.State, s.NPendingTasks = 0, 0, Initialize, 0
	s.Counters = s.Counters[:0]
	s.Series = s.Series[:0]
}
