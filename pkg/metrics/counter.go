package metrics

// CounterID identifies a registered counter; it indexes the registry's
// counter slice so the hot path needs no map lookup.
type CounterID int

// counter is one counter sampler (upstream CounterSampler, int dtype).
type counter struct {
	name  string
	value int64
}

// Inc adds 1 to the counter (upstream increment(name)).
func (r *Registry) Inc(id CounterID) { r.counters[id].value++ }

// Add adds d to the counter (upstream increment(name, delta)).
func (r *Registry) Add(id CounterID, d int64) { r.counters[id].value += d }

// Set overwrites the counter's value (upstream set_counter).
func (r *Registry) Set(id CounterID, v int64) { r.counters[id].value = v }

// Counter returns the counter's current value.
func (r *Registry) Counter(id CounterID) int64 { return r.counters[id].value }
