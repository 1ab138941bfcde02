package pyvalue

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// Kind is the dynamic type of a Value.
type Kind uint8

// Value kinds. KindUint is used only for integers above MaxInt64; every
// other integer is KindInt.
const (
	KindNil Kind = iota
	KindBool
	KindInt
	KindUint
	KindFloat
	KindStr
	KindBin
	KindArray
	KindMap
	KindExt
)

// Value is one msgpack (or JSON) value, as msgspec hands it to upstream's
// Python code for fields typed Any. Maps are ordered key/value lists, never
// Go maps, because upstream relies on dict insertion order (chat templates,
// tool-call JSON).
type Value struct {
	Kind  Kind
	Bool  bool    // KindBool
	Int   int64   // KindInt
	Uint  uint64  // KindUint
	Float float64 // KindFloat
	Str   string  // KindStr
	Bytes []byte  // KindBin; the ext payload for KindExt
	Ext   int8    // KindExt type code; -1 is a msgpack timestamp (a Python datetime)
	Array []Value // KindArray
	Map   []KV    // KindMap, in insertion order, keys unique as in a Python dict
}

// KV is one map entry.
type KV struct {
	Key   Value
	Value Value
}

// Nil returns the nil Value (Python None).
func Nil() Value { return Value{} }

// Str returns a str Value.
func Str(s string) Value { return Value{Kind: KindStr, Str: s} }

// Int returns an int Value.
func Int(i int64) Value { return Value{Kind: KindInt, Int: i} }

// Float returns a float Value.
func Float(f float64) Value { return Value{Kind: KindFloat, Float: f} }

// Bool returns a bool Value.
func Bool(b bool) Value { return Value{Kind: KindBool, Bool: b} }

// ArrayOf returns an array Value holding vs.
func ArrayOf(vs ...Value) Value { return Value{Kind: KindArray, Array: vs} }

// MapOf returns a map Value from alternating keys and values; a string key
// is taken as a str Value. It panics on an odd count: it is for literals.
func MapOf(kvs ...any) Value {
	if len(kvs)%2 != 0 {
		panic("pyvalue.MapOf: odd number of arguments")
	}
	m := Value{Kind: KindMap, Map: make([]KV, 0, len(kvs)/2)}
	for i := 0; i < len(kvs); i += 2 {
		m.Set(toValue(kvs[i]), toValue(kvs[i+1]))
	}
	return m
}

func toValue(x any) Value {
	switch x := x.(type) {
	case Value:
		return x
	case string:
		return Str(x)
	case int:
		return Int(int64(x))
	case int64:
		return Int(x)
	case float64:
		return Float(x)
	case bool:
		return Bool(x)
	case nil:
		return Nil()
	}
	panic(fmt.Sprintf("pyvalue.MapOf: unsupported %T", x))
}

// Get returns the value stored under the str key k of a map Value.
func (v Value) Get(k string) (Value, bool) {
	for _, kv := range v.Map {
		if kv.Key.Kind == KindStr && kv.Key.Str == k {
			return kv.Value, true
		}
	}
	return Value{}, false
}

// Set stores val under key in a map Value with Python dict semantics: an
// existing equal key keeps its position (and its original key object) and
// gets the new value, a new key is appended.
func (v *Value) Set(key, val Value) {
	for i := range v.Map {
		if pyEqual(v.Map[i].Key, key) {
			v.Map[i].Value = val
			return
		}
	}
	v.Map = append(v.Map, KV{Key: key, Value: val})
}

// Truthy reports Python truthiness: None, False, 0, 0.0, "", b"", [] and
// {} are false; datetimes and Ext objects are true.
func (v Value) Truthy() bool {
	switch v.Kind {
	case KindNil:
		return false
	case KindBool:
		return v.Bool
	case KindInt:
		return v.Int != 0
	case KindUint:
		return v.Uint != 0
	case KindFloat:
		return v.Float != 0
	case KindStr:
		return v.Str != ""
	case KindBin:
		return len(v.Bytes) != 0
	case KindArray:
		return len(v.Array) != 0
	case KindMap:
		return len(v.Map) != 0
	}
	return true
}

// IsNumber reports whether v is a Python bool, int or float.
func (v Value) IsNumber() bool {
	return v.Kind == KindBool || v.Kind == KindInt || v.Kind == KindUint || v.Kind == KindFloat
}

// Hashable reports whether Python could use v as a dict key (for a value
// that was decoded outside key position: arrays are lists there).
func (v Value) Hashable() bool {
	switch v.Kind {
	case KindArray, KindMap:
		return false
	case KindExt:
		return v.Ext == -1
	}
	return true
}

// pyEqual is Python's == for the values that can be dict keys: numbers
// compare by exact value across bool/int/float, str only with str, bytes
// only with bytes, tuples element-wise, datetimes by instant (microsecond
// precision). NaN is never equal (distinct NaN objects are distinct keys).
func pyEqual(a, b Value) bool {
	if a.IsNumber() && b.IsNumber() {
		return NumCompare(a, b) == 0
	}
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case KindNil:
		return true
	case KindStr:
		return a.Str == b.Str
	case KindBin:
		return string(a.Bytes) == string(b.Bytes)
	case KindArray:
		if len(a.Array) != len(b.Array) {
			return false
		}
		for i := range a.Array {
			if !pyEqual(a.Array[i], b.Array[i]) {
				return false
			}
		}
		return true
	case KindExt:
		if a.Ext != -1 || b.Ext != -1 {
			return false
		}
		as, au, _ := a.Timestamp()
		bs, bu, _ := b.Timestamp()
		return as == bs && au == bu
	}
	return false
}

// NumCompare compares two numeric Values exactly (-1, 0, 1); it returns 2 when either is
// NaN (unordered).
func NumCompare(a, b Value) int {
	if a.Kind == KindFloat || b.Kind == KindFloat {
		if a.Kind == KindFloat && b.Kind == KindFloat {
			switch {
			case math.IsNaN(a.Float) || math.IsNaN(b.Float):
				return 2
			case a.Float < b.Float:
				return -1
			case a.Float > b.Float:
				return 1
			}
			return 0
		}
		if a.Kind == KindFloat {
			return -NumCompare(b, a)
		}
		// a is an integer, b a float: compare exactly.
		f := b.Float
		if math.IsNaN(f) {
			return 2
		}
		if math.IsInf(f, 0) {
			if f > 0 {
				return -1
			}
			return 1
		}
		if a.Kind == KindUint {
			if f >= 0x1p64 {
				return -1
			}
			if f < 0x1p63 {
				return 1
			}
			return cmpU(a.Uint, uint64(f), f-math.Trunc(f))
		}
		i := a.intValue()
		if f >= 0x1p63 {
			return -1
		}
		if f < -0x1p63 {
			return 1
		}
		t := math.Trunc(f)
		ti := int64(t)
		switch {
		case i < ti:
			return -1
		case i > ti:
			return 1
		case f > t:
			return -1
		case f < t:
			return 1
		}
		return 0
	}
	if a.Kind == KindUint || b.Kind == KindUint {
		if a.Kind == KindUint && b.Kind == KindUint {
			return cmpU(a.Uint, b.Uint, 0)
		}
		if a.Kind == KindUint {
			return 1 // above MaxInt64 > any int64
		}
		return -1
	}
	ai, bi := a.intValue(), b.intValue()
	switch {
	case ai < bi:
		return -1
	case ai > bi:
		return 1
	}
	return 0
}

func cmpU(a, b uint64, frac float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case frac > 0:
		return -1
	}
	return 0
}

func (v Value) intValue() int64 {
	if v.Kind == KindBool {
		if v.Bool {
			return 1
		}
		return 0
	}
	return v.Int
}

// Timestamp returns the instant of a msgpack timestamp ext (-1) as Unix
// seconds and microseconds, rounded the way msgspec builds the Python
// datetime. ok is false for anything else.
func (v Value) Timestamp() (secs int64, micros int64, ok bool) {
	if v.Kind != KindExt || v.Ext != -1 {
		return 0, 0, false
	}
	s, n, msg, _ := DecodeTimestamp(v.Bytes)
	if msg != "" {
		return 0, 0, false
	}
	us := int64((n + 500) / 1000)
	if us == 1000000 {
		us = 0
		s++
	}
	return s, us, true
}

// KeyIndex finds equal keys in O(1) for the maps and tool-call merges that
// are too large for a linear scan.
type KeyIndex struct {
	m   map[string]int
	buf []byte
}

// Lookup returns the slot of a key equal to key (Python dict equality), or
// -1 after registering slot as key's.
func (ix *KeyIndex) Lookup(key Value, slot int) int {
	var ok bool
	ix.buf, ok = canonKey(ix.buf[:0], key)
	if !ok {
		return -1 // never equal to anything: always a new entry
	}
	if i, found := ix.m[string(ix.buf)]; found {
		return i
	}
	if ix.m == nil {
		ix.m = make(map[string]int)
	}
	ix.m[string(ix.buf)] = slot
	return -1
}

// canonKey appends a byte string that is equal for two hashable values
// exactly when pyEqual says they are equal, so large maps can be
// deduplicated through a Go map. ok is false for values that never equal
// anything else (NaN inside) or cannot be keys.
func canonKey(dst []byte, v Value) ([]byte, bool) {
	switch v.Kind {
	case KindNil:
		return append(dst, 'n'), true
	case KindBool, KindInt:
		return strconv.AppendInt(append(dst, 'i'), v.intValue(), 10), true
	case KindUint:
		return strconv.AppendUint(append(dst, 'i'), v.Uint, 10), true
	case KindFloat:
		f := v.Float
		switch {
		case math.IsNaN(f):
			return dst, false
		case f == math.Trunc(f) && f >= -0x1p63 && f < 0x1p63:
			return strconv.AppendInt(append(dst, 'i'), int64(f), 10), true
		case f == math.Trunc(f) && f >= 0x1p63 && f < 0x1p64:
			return strconv.AppendUint(append(dst, 'i'), uint64(f), 10), true
		}
		return binary.BigEndian.AppendUint64(append(dst, 'f'), math.Float64bits(f)), true
	case KindStr:
		dst = binary.AppendUvarint(append(dst, 's'), uint64(len(v.Str)))
		return append(dst, v.Str...), true
	case KindBin:
		dst = binary.AppendUvarint(append(dst, 'b'), uint64(len(v.Bytes)))
		return append(dst, v.Bytes...), true
	case KindArray:
		dst = binary.AppendUvarint(append(dst, 'a'), uint64(len(v.Array)))
		for _, e := range v.Array {
			var ok bool
			if dst, ok = canonKey(dst, e); !ok {
				return dst, false
			}
		}
		return dst, true
	case KindExt:
		if s, us, ok := v.Timestamp(); ok {
			dst = binary.AppendVarint(append(dst, 't'), s)
			return binary.AppendVarint(dst, us), true
		}
	}
	return dst, false
}

// Timestamp ext (-1) bounds, as msgspec's datetime_from_epoch checks them.
const (
	epochSecsMin = -62135596800 // 0001-01-01
	epochSecsMax = 253402300800 // 10000-01-01
)

// DecodeTimestamp decodes a msgpack timestamp extension body (ext -1) as
// msgspec builds a datetime from it: msg is msgspec's error for a body it
// rejects; raised is set for the instants msgspec lets through its range
// check but CPython's datetime then rejects with a plain ValueError (year
// 10000).
func DecodeTimestamp(data []byte) (secs int64, nanos uint32, msg string, raised bool) {
	switch len(data) {
	case 4:
		secs = int64(binary.BigEndian.Uint32(data))
	case 8:
		x := binary.BigEndian.Uint64(data)
		secs = int64(x & 0x00000003ffffffff)
		nanos = uint32(x >> 34)
	case 12:
		nanos = binary.BigEndian.Uint32(data)
		secs = int64(binary.BigEndian.Uint64(data[4:]))
	default:
		return 0, 0, "invalid MessagePack timestamp", false
	}
	if nanos > 999999999 {
		return 0, 0, "invalid MessagePack timestamp: nanoseconds out of range", false
	}
	if secs < epochSecsMin || secs > epochSecsMax {
		return 0, 0, "timestamp is out of range", false
	}
	// msgspec rounds to microseconds (half away from zero) before building
	// the datetime; year 10000 then fails in CPython.
	if secs == epochSecsMax || (secs == epochSecsMax-1 && (nanos+500)/1000 == 1000000) {
		return 0, 0, "year 10000 is out of range", true
	}
	return secs, nanos, "", false
}
