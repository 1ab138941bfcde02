package snapshot

import (
	"math"

	"github.com/mlperf-tools/aggregator/internal/jsonstr"
)

// AppendJSON appends the dict form of s as final_snapshot.json holds it,
// byte-identical to upstream's
// json.dumps(snapshot_to_dict(s), indent=2, allow_nan=False):
// key order as snapshot_to_dict (early_stopping_percentiles only when
// non-nil), two-space indentation with every container element on its own
// line, "[]"/"{}" for empty containers, ensure_ascii string escaping, ints as
// ints, floats as Python's repr, and NaN/±Inf written as null (upstream's
// _scrub_nonfinite). There is no trailing newline, as with json.dumps.
func AppendJSON(dst []byte, s *Snapshot) []byte {
	dst = append(dst, "{\n  \"counter\": "...)
	dst = appendJSONInt(dst, s.Counter)
	dst = append(dst, ",\n  \"timestamp_ns\": "...)
	dst = appendJSONInt(dst, s.TimestampNs)
	dst = append(dst, ",\n  \"state\": "...)
	dst = appendJSONString(dst, s.State.String())
	dst = append(dst, ",\n  \"n_pending_tasks\": "...)
	dst = appendJSONInt(dst, s.NPendingTasks)
	dst = append(dst, ",\n  \"metrics\": "...)
	if len(s.Counters)+len(s.Series) == 0 {
		dst = append(dst, "[]"...)
	} else {
		dst = append(dst, '[')
		first := true
		for i := range s.Counters {
			dst = jsonSep(dst, &first, 2)
			dst = appendJSONCounter(dst, &s.Counters[i])
		}
		for i := range s.Series {
			dst = jsonSep(dst, &first, 2)
			dst = appendJSONSeries(dst, &s.Series[i])
		}
		dst = jsonNewline(dst, 1)
		dst = append(dst, ']')
	}
	return append(dst, "\n}"...)
}

// Metric dicts sit at depth 2 (4 spaces); their keys at depth 3.
func appendJSONCounter(dst []byte, c *Counter) []byte {
	dst = append(dst, "{\n      \"type\": \"counter\",\n      \"name\": "...)
	dst = appendJSONString(dst, c.Name)
	dst = append(dst, ",\n      \"value\": "...)
	dst = appendJSONNum(dst, c.Value)
	return append(dst, "\n    }"...)
}

func appendJSONSeries(dst []byte, m *Series) []byte {
	dst = append(dst, "{\n      \"type\": \"series\",\n      \"name\": "...)
	dst = appendJSONString(dst, m.Name)
	dst = append(dst, ",\n      \"count\": "...)
	dst = appendJSONInt(dst, m.Count)
	dst = append(dst, ",\n      \"total\": "...)
	dst = appendJSONNum(dst, m.Total)
	dst = append(dst, ",\n      \"min\": "...)
	dst = appendJSONNum(dst, m.Min)
	dst = append(dst, ",\n      \"max\": "...)
	dst = appendJSONNum(dst, m.Max)
	dst = append(dst, ",\n      \"sum_sq\": "...)
	dst = appendJSONNum(dst, m.SumSq)
	dst = append(dst, ",\n      \"percentiles\": "...)
	if len(m.Percentiles) == 0 {
		dst = append(dst, "{}"...)
	} else {
		dst = append(dst, '{')
		first := true
		for _, p := range m.Percentiles {
			dst = jsonSep(dst, &first, 4)
			dst = appendJSONString(dst, p.Key)
			dst = append(dst, ": "...)
			dst = appendJSONFloat(dst, p.Value)
		}
		dst = jsonNewline(dst, 3)
		dst = append(dst, '}')
	}
	if m.EarlyStopping != nil {
		dst = append(dst, ",\n      \"early_stopping_percentiles\": "...)
		if len(m.EarlyStopping) == 0 {
			dst = append(dst, "{}"...)
		} else {
			dst = append(dst, '{')
			first := true
			for _, e := range m.EarlyStopping {
				dst = jsonSep(dst, &first, 4)
				dst = appendJSONString(dst, e.Key)
				dst = append(dst, ": "...)
				if e.Valid {
					dst = appendJSONFloat(dst, e.Value)
				} else {
					dst = append(dst, "null"...)
				}
			}
			dst = jsonNewline(dst, 3)
			dst = append(dst, '}')
		}
	}
	dst = append(dst, ",\n      \"histogram\": "...)
	if len(m.Histogram) == 0 {
		dst = append(dst, "[]"...)
	} else {
		dst = append(dst, '[')
		first := true
		for _, b := range m.Histogram {
			// Depth 4: [ ; depth 5: [lo, hi] and count ; depth 6: lo, hi.
			dst = jsonSep(dst, &first, 4)
			dst = append(dst, "[\n"+
				"          [\n"+
				"            "...)
			dst = appendJSONFloat(dst, b.Lo)
			dst = append(dst, ",\n            "...)
			dst = appendJSONFloat(dst, b.Hi)
			dst = append(dst, "\n          ],\n          "...)
			dst = appendJSONInt(dst, b.Count)
			dst = append(dst, "\n        ]"...)
		}
		dst = jsonNewline(dst, 3)
		dst = append(dst, ']')
	}
	return append(dst, "\n    }"...)
}

// jsonSep starts the next element of a container at the given depth: a
// newline plus indent, preceded by "," unless it is the first element.
func jsonSep(dst []byte, first *bool, depth int) []byte {
	if !*first {
		dst = append(dst, ',')
	}
	*first = false
	return jsonNewline(dst, depth)
}

const jsonSpaces = "                                " // 16 levels of indent=2

func jsonNewline(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	return append(dst, jsonSpaces[:2*depth]...)
}

func appendJSONInt(dst []byte, v int64) []byte {
	return appendJSONNum(dst, Int(v))
}

// appendJSONNum writes an int|float field: ints exactly (Big included),
// floats as Python repr, non-finite floats as null.
func appendJSONNum(dst []byte, n Num) []byte {
	switch {
	case n.Float:
		return appendJSONFloat(dst, n.F)
	case n.Big != nil:
		return n.Big.Append(dst, 10)
	}
	v := n.I
	if v == 0 {
		return append(dst, '0')
	}
	var tmp [20]byte
	i := len(tmp)
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	for u > 0 {
		i--
		tmp[i] = byte('0' + u%10)
		u /= 10
	}
	if v < 0 {
		dst = append(dst, '-')
	}
	return append(dst, tmp[i:]...)
}

func appendJSONFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	return AppendPyFloat(dst, f)
}

// appendJSONString writes s as Python's json.dumps does with
// ensure_ascii=True (jsonstr.Append).
func appendJSONString(dst []byte, s string) []byte { return jsonstr.Append(dst, s, true) }
