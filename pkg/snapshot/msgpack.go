package snapshot

import (
	"encoding/binary"
	"math/big"

	"github.com/mlperf-tools/aggregator/internal/msgp"
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
	dst = msgp.AppendArrayLen(dst, snapshotFields)
	dst = msgp.AppendInt(dst, s.Counter)
	dst = msgp.AppendInt(dst, s.TimestampNs)
	dst = msgp.AppendStr(dst, s.State.String())
	dst = msgp.AppendInt(dst, s.NPendingTasks)
	dst = msgp.AppendArrayLen(dst, len(s.Counters)+len(s.Series))
	for i := range s.Counters {
		c := &s.Counters[i]
		dst = msgp.AppendArrayLen(dst, counterFields)
		dst = msgp.AppendStr(dst, tagCounter)
		dst = msgp.AppendStr(dst, c.Name)
		dst = appendNum(dst, c.Value)
	}
	for i := range s.Series {
		dst = appendSeries(dst, &s.Series[i])
	}
	return dst
}

func appendSeries(dst []byte, m *Series) []byte {
	dst = msgp.AppendArrayLen(dst, seriesFields)
	dst = msgp.AppendStr(dst, tagSeries)
	dst = msgp.AppendStr(dst, m.Name)
	dst = msgp.AppendInt(dst, m.Count)
	dst = appendNum(dst, m.Total)
	dst = appendNum(dst, m.Min)
	dst = appendNum(dst, m.Max)
	dst = appendNum(dst, m.SumSq)
	dst = msgp.AppendMapLen(dst, len(m.Percentiles))
	for _, p := range m.Percentiles {
		dst = msgp.AppendStr(dst, p.Key)
		dst = msgp.AppendFloat64(dst, p.Value)
	}
	dst = msgp.AppendArrayLen(dst, len(m.Histogram))
	for _, b := range m.Histogram {
		// [[lo, hi], count]: 0x92 0x92 <lo> <hi> <count>
		dst = append(dst, 0x92, 0x92)
		dst = msgp.AppendFloat64(dst, b.Lo)
		dst = msgp.AppendFloat64(dst, b.Hi)
		dst = msgp.AppendInt(dst, b.Count)
	}
	if m.EarlyStopping == nil {
		return append(dst, 0xc0)
	}
	dst = msgp.AppendMapLen(dst, len(m.EarlyStopping))
	for _, e := range m.EarlyStopping {
		dst = msgp.AppendStr(dst, e.Key)
		if e.Valid {
			dst = msgp.AppendFloat64(dst, e.Value)
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
		return msgp.AppendFloat64(dst, n.F)
	case n.Big != nil:
		return appendBig(dst, n.Big)
	}
	return msgp.AppendInt(dst, n.I)
}

func appendBig(dst []byte, b *big.Int) []byte {
	if b.IsInt64() {
		return msgp.AppendInt(dst, b.Int64())
	}
	if b.IsUint64() {
		return binary.BigEndian.AppendUint64(append(dst, 0xcf), b.Uint64())
	}
	f, _ := new(big.Float).SetInt(b).Float64()
	return msgp.AppendFloat64(dst, f)
}
