package snapshot

import (
	"encoding/binary"
	"math"
	"math/big"
)

// TopicSize is the size of the NUL-padded topic frame that prefixes every
// pub/sub message (upstream TOPIC_FRAME_SIZE).
const TopicSize = 40

// Topic is the 40-byte pub/sub topic of snapshot frames: "MET\0" NUL-padded
// to TopicSize, as upstream's METRICS_SNAPSHOT_TOPIC. Subscribers filter on it.
const Topic = "MET\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// Wire tags of the metric union (msgspec tagged structs).
const (
	tagCounter = "counter"
	tagSeries  = "series"
)

// Field counts of the array-like structs.
const (
	snapshotFields = 5
	counterFields  = 3  // tag, name, value
	seriesFields   = 10 // tag, name, count, total, min, max, sum_sq, percentiles, histogram, early_stopping
)

// AppendFrame appends a complete pub/sub frame for s: Topic followed by the
// msgpack payload (see AppendMsgpack). The publisher sends it as one message.
func AppendFrame(dst []byte, s *Snapshot) []byte {
	dst = append(dst, Topic...)
	return AppendMsgpack(dst, s)
}

// AppendMsgpack appends the msgpack encoding of s, byte-identical to what
// upstream's msgspec.msgpack.Encoder produces for a MetricsSnapshot:
//
//	[counter, timestamp_ns, state, n_pending_tasks, [metric...]]
//	metric = ["counter", name, value]
//	       | ["series", name, count, total, min, max, sum_sq,
//	          {percentile: value}, [[[lo, hi], count]...], {key: estimate|nil}|nil]
//
// Ints use the smallest msgpack form, floats are always float64 and strings
// use fixstr/str8/str16/str32, as msgspec does. It does not allocate when dst
// has enough capacity, so the publisher can reuse one buffer per tick.
//
// A Num.Big beyond the msgpack int range ([-2^63, 2^64)) cannot be encoded
// as an int (msgspec raises OverflowError there); it is written as the
// nearest float64 instead so the snapshot still goes out.
func AppendMsgpack(dst []byte, s *Snapshot) []byte {
	dst = appendArrayLen(dst, snapshotFields)
	dst = appendInt(dst, s.Counter)
	dst = appendInt(dst, s.TimestampNs)
	dst = appendStr(dst, s.State.String())
	dst = appendInt(dst, s.NPendingTasks)
	dst = appendArrayLen(dst, len(s.Counters)+len(s.Series))
	for i := range s.Counters {
		c := &s.Counters[i]
		dst = appendArrayLen(dst, counterFields)
		dst = appendStr(dst, tagCounter)
		dst = appendStr(dst, c.Name)
		dst = appendNum(dst, c.Value)
	}
	for i := range s.Series {
		dst = appendSeries(dst, &s.Series[i])
	}
	return dst
}

func appendSeries(dst []byte, m *Series) []byte {
	dst = appendArrayLen(dst, seriesFields)
	dst = appendStr(dst, tagSeries)
	dst = appendStr(dst, m.Name)
	dst = appendInt(dst, m.Count)
	dst = appendNum(dst, m.Total)
	dst = appendNum(dst, m.Min)
	dst = appendNum(dst, m.Max)
	dst = appendNum(dst, m.SumSq)
	dst = appendMapLen(dst, len(m.Percentiles))
	for _, p := range m.Percentiles {
		dst = appendStr(dst, p.Key)
		dst = appendFloat(dst, p.Value)
	}
	dst = appendArrayLen(dst, len(m.Histogram))
	for _, b := range m.Histogram {
		// [[lo, hi], count]: 0x92 0x92 <lo> <hi> <count>
		dst = append(dst, 0x92, 0x92)
		dst = appendFloat(dst, b.Lo)
		dst = appendFloat(dst, b.Hi)
		dst = appendInt(dst, b.Count)
	}
	if m.EarlyStopping == nil {
		return append(dst, 0xc0)
	}
	dst = appendMapLen(dst, len(m.EarlyStopping))
	for _, e := range m.EarlyStopping {
		dst = appendStr(dst, e.Key)
		if e.Valid {
			dst = appendFloat(dst, e.Value)
		} else {
			dst = append(dst, 0xc0)
		}
	}
	return dst
}

// appendNum encodes an int|float field keeping its Python type.
func appendNum(dst []byte, n Num) []byte {
	switch {
	case n.Float:
		return appendFloat(dst, n.F)
	case n.Big != nil:
		return appendBig(dst, n.Big)
	}
	return appendInt(dst, n.I)
}

func appendBig(dst []byte, b *big.Int) []byte {
	if b.IsInt64() {
		return appendInt(dst, b.Int64())
	}
	if b.IsUint64() {
		return binary.BigEndian.AppendUint64(append(dst, 0xcf), b.Uint64())
	}
	f, _ := new(big.Float).SetInt(b).Float64()
	return appendFloat(dst, f)
}

// appendInt encodes v in the smallest msgpack int form, choosing unsigned
// forms for non-negative values (msgspec and msgpack-c do the same).
func appendInt(dst []byte, v int64) []byte {
	if v >= 0 {
		switch {
		case v < 0x80:
			return append(dst, byte(v))
		case v <= math.MaxUint8:
			return append(dst, 0xcc, byte(v))
		case v <= math.MaxUint16:
			return binary.BigEndian.AppendUint16(append(dst, 0xcd), uint16(v))
		case v <= math.MaxUint32:
			return binary.BigEndian.AppendUint32(append(dst, 0xce), uint32(v))
		}
		return binary.BigEndian.AppendUint64(append(dst, 0xcf), uint64(v))
	}
	switch {
	case v >= -32:
		return append(dst, byte(v))
	case v >= math.MinInt8:
		return append(dst, 0xd0, byte(v))
	case v >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(dst, 0xd1), uint16(v))
	case v >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(dst, 0xd2), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xd3), uint64(v))
}

func appendFloat(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, 0xcb), math.Float64bits(f))
}

func appendStr(dst []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		dst = append(dst, 0xa0|byte(n))
	case n <= math.MaxUint8:
		dst = append(dst, 0xd9, byte(n))
	case n <= math.MaxUint16:
		dst = binary.BigEndian.AppendUint16(append(dst, 0xda), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, 0xdb), uint32(n))
	}
	return append(dst, s...)
}

func appendArrayLen(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x90|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xdc), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdd), uint32(n))
}

func appendMapLen(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x80|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xde), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdf), uint32(n))
}
