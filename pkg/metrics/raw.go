package metrics

// rawChunkMax is the largest chunk of raw values (512 KiB of int64).
const rawChunkMax = 1 << 16

// rawChunkMin is the first chunk's size, so small series stay small.
const rawChunkMin = 1 << 10

// rawValues keeps a series' raw values for the exact final statistics in
// chunks that are never copied while recording: a single growing slice
// would copy the whole run at each growth step, a pause on the owner loop
// that grows with the run and doubles the peak memory of that series.
// The chunks are joined once, when the final snapshot needs them sorted.
type rawValues[T int64 | float64] struct {
	full [][]T // filled chunks, in recording order
	cur  []T   // the chunk being filled
	n    int
}

// add appends v.
func (r *rawValues[T]) add(v T) {
	if len(r.cur) == cap(r.cur) {
		size := rawChunkMin
		if cap(r.cur) > 0 {
			r.full = append(r.full, r.cur)
			size = min(2*cap(r.cur), rawChunkMax)
		}
		r.cur = make([]T, 0, size)
	}
	r.cur = append(r.cur, v)
	r.n++
}

// len returns the number of values recorded.
func (r *rawValues[T]) len() int { return r.n }

// all returns every value in one slice, in recording order unless the
// caller sorted an earlier result in place. Chunks are joined on the first
// call after recording; the joined slice then becomes the only storage, so
// sorting it in place is safe and a repeated call costs nothing.
func (r *rawValues[T]) all() []T {
	if len(r.full) == 0 {
		return r.cur
	}
	out := make([]T, 0, r.n)
	for _, c := range r.full {
		out = append(out, c...)
	}
	out = append(out, r.cur...)
	r.full, r.cur = nil, out // len == cap: the next add starts a new chunk
	return out
}
