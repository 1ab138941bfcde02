package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
)

// ErrMalformed is wrapped by every DecodeMsgpack error. A subscriber can
// test for it with errors.Is and drop the frame, as upstream's
// on_decode_error does: the next snapshot replaces it anyway.
var ErrMalformed = errors.New("malformed snapshot")

// DecodeMsgpack decodes a msgpack MetricsSnapshot payload (without the topic
// frame) into dst, reusing dst's slices. It accepts what msgspec's decoder
// accepts: a series array may omit the trailing early-stopping field (nil),
// extra trailing array elements are ignored, and float fields accept ints.
// Int-typed fields (count, bucket counts, header ints) must be ints, and
// int|float fields keep their wire type. Trailing bytes are an error.
func DecodeMsgpack(b []byte, dst *Snapshot) error {
	r := mpReader{b: b}
	if err := r.snapshot(dst); err != nil {
		return fmt.Errorf("snapshot: decode msgpack: %w", err)
	}
	if r.off != len(b) {
		return fmt.Errorf("snapshot: decode msgpack: %w: %d trailing bytes", ErrMalformed, len(b)-r.off)
	}
	return nil
}

// mpReader is a cursor over one msgpack buffer.
type mpReader struct {
	b   []byte
	off int
}

func (r *mpReader) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: offset %d: %s", ErrMalformed, r.off, fmt.Sprintf(format, args...))
}

func (r *mpReader) snapshot(dst *Snapshot) error {
	n, err := r.arrayLen()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if n < snapshotFields {
		return r.errorf("snapshot: want %d fields, got %d", snapshotFields, n)
	}
	dst.Reset()
	if dst.Counter, err = r.int(); err != nil {
		return fmt.Errorf("counter: %w", err)
	}
	if dst.TimestampNs, err = r.int(); err != nil {
		return fmt.Errorf("timestamp_ns: %w", err)
	}
	name, err := r.strBytes()
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	st, ok := ParseState(string(name))
	if !ok {
		return r.errorf("state: unknown state %q", name)
	}
	dst.State = st
	if dst.NPendingTasks, err = r.int(); err != nil {
		return fmt.Errorf("n_pending_tasks: %w", err)
	}
	nm, err := r.arrayLen()
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	for i := 0; i < nm; i++ {
		if err := r.metric(dst); err != nil {
			return fmt.Errorf("metrics[%d]: %w", i, err)
		}
	}
	return r.skipN(n - snapshotFields)
}

func (r *mpReader) metric(dst *Snapshot) error {
	n, err := r.arrayLen()
	if err != nil {
		return err
	}
	if n < 1 {
		return r.errorf("empty metric array")
	}
	tag, err := r.strBytes()
	if err != nil {
		return fmt.Errorf("tag: %w", err)
	}
	switch string(tag) {
	case tagCounter:
		if n < counterFields {
			return r.errorf("counter: want %d fields, got %d", counterFields, n)
		}
		var c Counter
		if c.Name, err = r.str(); err != nil {
			return fmt.Errorf("counter name: %w", err)
		}
		if c.Value, err = r.num(); err != nil {
			return fmt.Errorf("counter %q value: %w", c.Name, err)
		}
		dst.Counters = append(dst.Counters, c)
		return r.skipN(n - counterFields)
	case tagSeries:
		if n < seriesFields-1 {
			return r.errorf("series: want %d or %d fields, got %d", seriesFields-1, seriesFields, n)
		}
		// Reuse the slot's slices when dst was reset from an earlier decode.
		var m *Series
		if len(dst.Series) < cap(dst.Series) {
			dst.Series = dst.Series[:len(dst.Series)+1]
			m = &dst.Series[len(dst.Series)-1]
			*m = Series{Percentiles: m.Percentiles[:0], Histogram: m.Histogram[:0], EarlyStopping: m.EarlyStopping[:0]}
		} else {
			dst.Series = append(dst.Series, Series{})
			m = &dst.Series[len(dst.Series)-1]
		}
		if err := r.series(m, n); err != nil {
			return fmt.Errorf("series %q: %w", m.Name, err)
		}
		return nil
	}
	return r.errorf("unknown metric tag %q", tag)
}

func (r *mpReader) series(m *Series, n int) error {
	var err error
	if m.Name, err = r.str(); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	if m.Count, err = r.int(); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	for _, f := range []struct {
		name string
		dst  *Num
	}{{"total", &m.Total}, {"min", &m.Min}, {"max", &m.Max}, {"sum_sq", &m.SumSq}} {
		if *f.dst, err = r.num(); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	np, err := r.mapLen()
	if err != nil {
		return fmt.Errorf("percentiles: %w", err)
	}
	for i := 0; i < np; i++ {
		var p Percentile
		if p.Key, err = r.str(); err != nil {
			return fmt.Errorf("percentiles key: %w", err)
		}
		if p.Value, err = r.float(); err != nil {
			return fmt.Errorf("percentiles[%q]: %w", p.Key, err)
		}
		m.Percentiles = append(m.Percentiles, p)
	}
	nh, err := r.arrayLen()
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	for i := 0; i < nh; i++ {
		b, err := r.bucket()
		if err != nil {
			return fmt.Errorf("histogram[%d]: %w", i, err)
		}
		m.Histogram = append(m.Histogram, b)
	}
	if n == seriesFields-1 || r.nil() {
		m.EarlyStopping = nil
	} else {
		ne, err := r.mapLen()
		if err != nil {
			return fmt.Errorf("early_stopping_percentiles: %w", err)
		}
		if m.EarlyStopping == nil {
			m.EarlyStopping = make([]Estimate, 0, ne)
		}
		for i := 0; i < ne; i++ {
			var e Estimate
			if e.Key, err = r.str(); err != nil {
				return fmt.Errorf("early_stopping_percentiles key: %w", err)
			}
			if !r.nil() {
				if e.Value, err = r.float(); err != nil {
					return fmt.Errorf("early_stopping_percentiles[%q]: %w", e.Key, err)
				}
				e.Valid = true
			}
			m.EarlyStopping = append(m.EarlyStopping, e)
		}
	}
	if n > seriesFields {
		return r.skipN(n - seriesFields)
	}
	return nil
}

// bucket reads [[lo, hi], count].
func (r *mpReader) bucket() (Bucket, error) {
	var b Bucket
	if n, err := r.arrayLen(); err != nil || n != 2 {
		return b, r.wantLen(err, 2, n)
	}
	if n, err := r.arrayLen(); err != nil || n != 2 {
		return b, r.wantLen(err, 2, n)
	}
	var err error
	if b.Lo, err = r.float(); err != nil {
		return b, fmt.Errorf("lo: %w", err)
	}
	if b.Hi, err = r.float(); err != nil {
		return b, fmt.Errorf("hi: %w", err)
	}
	if b.Count, err = r.int(); err != nil {
		return b, fmt.Errorf("count: %w", err)
	}
	return b, nil
}

func (r *mpReader) wantLen(err error, want, got int) error {
	if err != nil {
		return err
	}
	return r.errorf("want array of %d, got %d", want, got)
}

// take returns the next n bytes.
func (r *mpReader) take(n int) ([]byte, error) {
	if n < 0 || len(r.b)-r.off < n {
		return nil, r.errorf("truncated: need %d bytes, have %d", n, len(r.b)-r.off)
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p, nil
}

func (r *mpReader) code() (byte, error) {
	p, err := r.take(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

// uintN reads a big-endian unsigned integer of size bytes.
func (r *mpReader) uintN(size int) (uint64, error) {
	p, err := r.take(size)
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return uint64(p[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(p)), nil
	}
	return binary.BigEndian.Uint64(p), nil
}

// nil consumes a nil if one is next and reports whether it did.
func (r *mpReader) nil() bool {
	if r.off < len(r.b) && r.b[r.off] == 0xc0 {
		r.off++
		return true
	}
	return false
}

func (r *mpReader) arrayLen() (int, error) {
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	switch {
	case c&0xf0 == 0x90:
		return int(c & 0x0f), nil
	case c == 0xdc:
		n, err := r.uintN(2)
		return int(n), err
	case c == 0xdd:
		n, err := r.uintN(4)
		return int(n), err
	}
	r.off--
	return 0, r.errorf("want array, got type byte 0x%02x", c)
}

func (r *mpReader) mapLen() (int, error) {
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	switch {
	case c&0xf0 == 0x80:
		return int(c & 0x0f), nil
	case c == 0xde:
		n, err := r.uintN(2)
		return int(n), err
	case c == 0xdf:
		n, err := r.uintN(4)
		return int(n), err
	}
	r.off--
	return 0, r.errorf("want map, got type byte 0x%02x", c)
}

// strBytes returns the next str value, aliasing the buffer.
func (r *mpReader) strBytes() ([]byte, error) {
	c, err := r.code()
	if err != nil {
		return nil, err
	}
	var n uint64
	switch {
	case c&0xe0 == 0xa0:
		n = uint64(c & 0x1f)
	case c == 0xd9:
		n, err = r.uintN(1)
	case c == 0xda:
		n, err = r.uintN(2)
	case c == 0xdb:
		n, err = r.uintN(4)
	default:
		r.off--
		return nil, r.errorf("want str, got type byte 0x%02x", c)
	}
	if err != nil {
		return nil, err
	}
	return r.take(int(n))
}

func (r *mpReader) str() (string, error) {
	p, err := r.strBytes()
	return string(p), err
}

// num reads an int|float field, keeping its wire type.
func (r *mpReader) num() (Num, error) {
	if r.off >= len(r.b) {
		return Num{}, r.errorf("truncated: want number")
	}
	switch r.b[r.off] {
	case 0xca, 0xcb:
		f, err := r.float()
		return Float(f), err
	case 0xcf:
		r.off++
		u, err := r.uintN(8)
		if u > math.MaxInt64 {
			return Num{Big: new(big.Int).SetUint64(u)}, err
		}
		return Int(int64(u)), err
	}
	v, err := r.int()
	return Int(v), err
}

// int reads an int that fits int64.
func (r *mpReader) int() (int64, error) {
	c, err := r.code()
	if err != nil {
		return 0, err
	}
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	case c >= 0xcc && c <= 0xcf: // uint8..uint64
		u, err := r.uintN(1 << (c - 0xcc))
		if err == nil && u > math.MaxInt64 {
			return 0, r.errorf("int %d overflows int64", u)
		}
		return int64(u), err
	case c >= 0xd0 && c <= 0xd3: // int8..int64
		size := 1 << (c - 0xd0)
		u, err := r.uintN(size)
		shift := 64 - 8*size
		return int64(u<<shift) >> shift, err
	}
	r.off--
	return 0, r.errorf("want int, got type byte 0x%02x", c)
}

// float reads a float field; ints are accepted and converted, as msgspec
// does for float-typed fields.
func (r *mpReader) float() (float64, error) {
	if r.off >= len(r.b) {
		return 0, r.errorf("truncated: want float")
	}
	switch r.b[r.off] {
	case 0xca:
		r.off++
		u, err := r.uintN(4)
		return float64(math.Float32frombits(uint32(u))), err
	case 0xcb:
		r.off++
		u, err := r.uintN(8)
		return math.Float64frombits(u), err
	case 0xcf:
		r.off++
		u, err := r.uintN(8)
		return float64(u), err
	}
	v, err := r.int()
	if err != nil {
		return 0, fmt.Errorf("want float: %w", err)
	}
	return float64(v), nil
}

// skipN skips n values of any type (extra trailing struct fields).
func (r *mpReader) skipN(n int) error {
	for ; n > 0; n-- {
		if err := r.skip(); err != nil {
			return err
		}
	}
	return nil
}

func (r *mpReader) skip() error {
	c, err := r.code()
	if err != nil {
		return err
	}
	var size uint64
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return nil
	case c&0xf0 == 0x80:
		return r.skipN(2 * int(c&0x0f))
	case c&0xf0 == 0x90:
		return r.skipN(int(c & 0x0f))
	case c&0xe0 == 0xa0:
		size = uint64(c & 0x1f)
	case c == 0xc4 || c == 0xd9:
		size, err = r.uintN(1)
	case c == 0xc5 || c == 0xda:
		size, err = r.uintN(2)
	case c == 0xc6 || c == 0xdb:
		size, err = r.uintN(4)
	case c == 0xca:
		size = 4
	case c == 0xcb:
		size = 8
	case c >= 0xcc && c <= 0xcf:
		size = 1 << (c - 0xcc)
	case c >= 0xd0 && c <= 0xd3:
		size = 1 << (c - 0xd0)
	case c >= 0xd4 && c <= 0xd8: // fixext 1..16
		size = 1 + 1<<(c-0xd4)
	case c == 0xc7 || c == 0xc8 || c == 0xc9: // ext 8/16/32
		size, err = r.uintN(1 << (c - 0xc7))
		size++ // type byte
	case c == 0xdc || c == 0xdd:
		n, err := r.uintN(2 << (c - 0xdc))
		if err != nil {
			return err
		}
		return r.skipN(int(n))
	case c == 0xde || c == 0xdf:
		n, err := r.uintN(2 << (c - 0xde))
		if err != nil {
			return err
		}
		return r.skipN(2 * int(n))
	default:
		r.off--
		return r.errorf("invalid type byte 0x%02x", c)
	}
	if err != nil {
		return err
	}
	_, err = r.take(int(size))
	return err
}
