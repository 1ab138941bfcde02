package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/mlperf-tools/aggregator/internal/msgp"
)

// ErrMalformed is wrapped by every DecodeMsgpack error. A subscriber can
// test for it with errors.Is and drop the frame, as upstream's
// on_decode_error does: the next snapshot replaces it anyway.
var ErrMalformed = errors.New("malformed snapshot")

// ErrNotSnapshotFrame is wrapped by DecodeFrame's error for a frame that
// does not start with Topic (another publisher on the socket).
var ErrNotSnapshotFrame = errors.New("not a snapshot frame")

// DecodeFrame decodes a pub/sub frame AppendFrame made: Topic, then the
// msgpack payload (DecodeMsgpack).
func DecodeFrame(frame []byte, dst *Snapshot) error {
	if len(frame) < TopicSize || string(frame[:TopicSize]) != Topic {
		n := min(len(frame), TopicSize)
		return fmt.Errorf("%w: topic %q", ErrNotSnapshotFrame, bytes.TrimRight(frame[:n], "\x00"))
	}
	return DecodeMsgpack(frame[TopicSize:], dst)
}

// DecodeMsgpack decodes a msgpack MetricsSnapshot payload (without the topic
// frame) into dst, reusing dst's slices. It accepts what msgspec's decoder
// accepts: a series array may omit the trailing early-stopping field (nil),
// extra trailing array elements are ignored, and float fields accept ints.
// Int-typed fields (count, bucket counts, header ints) must be ints, and
// int|float fields keep their wire type. Trailing bytes are an error.
func DecodeMsgpack(b []byte, dst *Snapshot) error {
	var r mpReader
	r.Reset(b)
	if err := r.snapshot(dst); err != nil {
		return fmt.Errorf("snapshot: decode msgpack: %w: %w", ErrMalformed, err)
	}
	if r.Len() != 0 {
		return fmt.Errorf("snapshot: decode msgpack: %w: %d trailing bytes", ErrMalformed, r.Len())
	}
	return nil
}

// maxDepth bounds the nesting of skipped values, roughly as msgspec's
// recursion guard does (see pkg/events).
const maxDepth = 1000

// mpReader reads a snapshot payload. Its errors are *msgp.Error.
type mpReader struct {
	msgp.Reader
}

func (r *mpReader) snapshot(dst *Snapshot) error {
	n, err := r.ArrayLen()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if n < snapshotFields {
		return r.Errorf("snapshot: want %d fields, got %d", snapshotFields, n)
	}
	dst.Reset()
	if dst.Counter, err = r.Int(); err != nil {
		return fmt.Errorf("counter: %w", err)
	}
	if dst.TimestampNs, err = r.Int(); err != nil {
		return fmt.Errorf("timestamp_ns: %w", err)
	}
	name, err := r.StrBytes()
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	st, ok := ParseState(string(name))
	if !ok {
		return r.Errorf("state: unknown state %q", name)
	}
	dst.State = st
	if dst.NPendingTasks, err = r.Int(); err != nil {
		return fmt.Errorf("n_pending_tasks: %w", err)
	}
	nm, err := r.ArrayLen()
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
	n, err := r.ArrayLen()
	if err != nil {
		return err
	}
	if n < 1 {
		return r.Errorf("empty metric array")
	}
	tag, err := r.StrBytes()
	if err != nil {
		return fmt.Errorf("tag: %w", err)
	}
	switch string(tag) {
	case tagCounter:
		if n < counterFields {
			return r.Errorf("counter: want %d fields, got %d", counterFields, n)
		}
		var c Counter
		if c.Name, err = r.Str(); err != nil {
			return fmt.Errorf("counter name: %w", err)
		}
		if c.Value, err = r.num(); err != nil {
			return fmt.Errorf("counter %q value: %w", c.Name, err)
		}
		dst.Counters = append(dst.Counters, c)
		return r.skipN(n - counterFields)
	case tagSeries:
		if n < seriesFields-1 {
			return r.Errorf("series: want %d or %d fields, got %d", seriesFields-1, seriesFields, n)
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
	return r.Errorf("unknown metric tag %q", tag)
}

func (r *mpReader) series(m *Series, n int) error {
	var err error
	if m.Name, err = r.Str(); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	if m.Count, err = r.Int(); err != nil {
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
	np, err := r.MapLen()
	if err != nil {
		return fmt.Errorf("percentiles: %w", err)
	}
	for i := 0; i < np; i++ {
		var p Percentile
		if p.Key, err = r.Str(); err != nil {
			return fmt.Errorf("percentiles key: %w", err)
		}
		if p.Value, err = r.Float(); err != nil {
			return fmt.Errorf("percentiles[%q]: %w", p.Key, err)
		}
		m.Percentiles = append(m.Percentiles, p)
	}
	nh, err := r.ArrayLen()
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
	if n == seriesFields-1 || r.TryNil() {
		m.EarlyStopping = nil
	} else {
		ne, err := r.MapLen()
		if err != nil {
			return fmt.Errorf("early_stopping_percentiles: %w", err)
		}
		if m.EarlyStopping == nil {
			m.EarlyStopping = make([]Estimate, 0, ne)
		}
		for i := 0; i < ne; i++ {
			var e Estimate
			if e.Key, err = r.Str(); err != nil {
				return fmt.Errorf("early_stopping_percentiles key: %w", err)
			}
			if !r.TryNil() {
				if e.Value, err = r.Float(); err != nil {
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
	if n, err := r.ArrayLen(); err != nil || n != 2 {
		return b, r.wantLen(err, 2, n)
	}
	if n, err := r.ArrayLen(); err != nil || n != 2 {
		return b, r.wantLen(err, 2, n)
	}
	var err error
	if b.Lo, err = r.Float(); err != nil {
		return b, fmt.Errorf("lo: %w", err)
	}
	if b.Hi, err = r.Float(); err != nil {
		return b, fmt.Errorf("hi: %w", err)
	}
	if b.Count, err = r.Int(); err != nil {
		return b, fmt.Errorf("count: %w", err)
	}
	return b, nil
}

func (r *mpReader) wantLen(err error, want, got int) error {
	if err != nil {
		return err
	}
	return r.Errorf("want array of %d, got %d", want, got)
}

// num reads an int|float field, keeping its wire type.
func (r *mpReader) num() (Num, error) {
	c, err := r.Peek()
	if err != nil {
		return Num{}, err
	}
	switch c {
	case 0xca, 0xcb: // float32, float64
		f, err := r.Float()
		return Float(f), err
	case 0xcf: // uint64
		u, err := r.Uint()
		if u > math.MaxInt64 {
			return Num{Big: new(big.Int).SetUint64(u)}, err
		}
		return Int(int64(u)), err
	}
	v, err := r.Int()
	return Int(v), err
}

// skipN skips n values of any type (extra trailing struct fields).
func (r *mpReader) skipN(n int) error {
	for ; n > 0; n-- {
		if err := r.Skip(maxDepth); err != nil {
			return err
		}
	}
	return nil
}
