package events

import (
	"encoding/binary"
	"math"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// DecodeValue decodes one msgpack value the way msgspec decodes typing.Any
// (str UTF-8 checked, map keys deduplicated with Python dict semantics).
// Strings are copied; bin and ext payloads alias raw.
func DecodeValue(raw []byte) (pyvalue.Value, error) {
	rd := reader{b: raw}
	if _, err := rd.anyValue(0, false); err != nil {
		return pyvalue.Value{}, err
	}
	if rd.pos != len(raw) {
		return pyvalue.Value{}, rd.fail("trailing characters (byte %d)", rd.pos)
	}
	rd.pos = 0
	return buildValue(&rd), nil
}

// buildValue materialises the value at rd, which must already have been
// validated (it does not re-check errors).
func buildValue(rd *reader) pyvalue.Value {
	op := rd.b[rd.pos]
	switch {
	case op <= 0x7f || op >= 0xe0:
		rd.pos++
		return pyvalue.Int(int64(int8(op)))
	case op == mpNil:
		rd.pos++
		return pyvalue.Nil()
	case op == mpTrue || op == mpFalse:
		rd.pos++
		return pyvalue.Bool(op == mpTrue)
	}
	if n, ok, _ := rd.strLen(op); ok {
		s, _ := rd.take(n)
		return pyvalue.Str(string(s))
	}
	if n, ok, _ := rd.arrayLen(op); ok {
		arr := make([]pyvalue.Value, n)
		for i := range arr {
			arr[i] = buildValue(rd)
		}
		return pyvalue.Value{Kind: pyvalue.KindArray, Array: arr}
	}
	if n, ok, _ := rd.mapLen(op); ok {
		m := pyvalue.Value{Kind: pyvalue.KindMap, Map: make([]pyvalue.KV, 0, n)}
		var ix pyvalue.KeyIndex
		for i := 0; i < n; i++ {
			k := buildValue(rd)
			v := buildValue(rd)
			if j := ix.Lookup(k, len(m.Map)); j >= 0 {
				m.Map[j].Value = v // Python keeps the first key and its position
			} else {
				m.Map = append(m.Map, pyvalue.KV{Key: k, Value: v})
			}
		}
		return m
	}
	if n, code, ok, _ := rd.extLen(op); ok {
		data, _ := rd.take(n)
		return pyvalue.Value{Kind: pyvalue.KindExt, Ext: code, Bytes: data}
	}
	rd.pos++
	switch op {
	case mpFloat32:
		s, _ := rd.take(4)
		return pyvalue.Float(float64(math.Float32frombits(binary.BigEndian.Uint32(s))))
	case mpFloat64:
		s, _ := rd.take(8)
		return pyvalue.Float(math.Float64frombits(binary.BigEndian.Uint64(s)))
	case mpBin8, mpBin16, mpBin32:
		n, _ := rd.size(1 << (op - mpBin8))
		s, _ := rd.take(n)
		return pyvalue.Value{Kind: pyvalue.KindBin, Bytes: s}
	}
	rd.pos--
	v, u, big, _ := rd.readInt()
	if big {
		return pyvalue.Value{Kind: pyvalue.KindUint, Uint: u}
	}
	return pyvalue.Int(v)
}
