package pyvalue

import (
	"encoding/base64"
	"errors"
	"strconv"
	"time"

	"github.com/mlperf-tools/aggregator/internal/jsonstr"
)

// errJSONKey and errJSONExt are msgspec.json's TypeErrors for values it
// cannot encode.
var (
	errJSONKey = errors.New("only dicts with str-like or number-like keys are supported")
	errJSONExt = errors.New("encoding objects of type msgspec.msgpack.Ext is unsupported")
)

// AppendJSON appends the compact JSON encoding of v to dst, byte for byte
// what msgspec.json.encode writes for the Python object v stands for: no
// whitespace, key order kept, non-ASCII raw UTF-8, only '"', '\' and
// control characters escaped, msgspec's float layout (1e-7, 2.5e20,
// 100.0; NaN and infinities as null), bytes as base64, msgpack timestamps
// as RFC 3339. Where msgspec would raise (a non-timestamp Ext, a map key
// that is not str, int, float, bytes or datetime) it writes null; use
// EncodeJSON to get the error instead.
func AppendJSON(dst []byte, v Value) []byte {
	dst, _ = appendJSON(dst, v, false)
	return dst
}

// EncodeJSON is AppendJSON that fails where msgspec.json.encode raises.
func EncodeJSON(dst []byte, v Value) ([]byte, error) {
	return appendJSON(dst, v, true)
}

func appendJSON(dst []byte, v Value, strict bool) ([]byte, error) {
	var err error
	switch v.Kind {
	case KindNil:
		return append(dst, "null"...), nil
	case KindBool:
		if v.Bool {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case KindInt:
		return strconv.AppendInt(dst, v.Int, 10), nil
	case KindUint:
		return strconv.AppendUint(dst, v.Uint, 10), nil
	case KindFloat:
		return AppendMsgspecFloat(dst, v.Float, false), nil
	case KindStr:
		return AppendJSONString(dst, v.Str), nil
	case KindBin:
		return appendBase64(dst, v.Bytes), nil
	case KindArray:
		dst = append(dst, '[')
		for i, e := range v.Array {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendJSON(dst, e, strict); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case KindMap:
		dst = append(dst, '{')
		for i, kv := range v.Map {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendJSONKey(dst, kv.Key, strict); err != nil {
				return dst, err
			}
			dst = append(dst, ':')
			if dst, err = appendJSON(dst, kv.Value, strict); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case KindExt:
		if s, us, ok := v.Timestamp(); ok {
			return appendDatetime(dst, s, us), nil
		}
		if strict {
			return dst, errJSONExt
		}
		return append(dst, "null"...), nil
	}
	return append(dst, "null"...), nil
}

func appendJSONKey(dst []byte, k Value, strict bool) ([]byte, error) {
	switch k.Kind {
	case KindStr:
		return AppendJSONString(dst, k.Str), nil
	case KindInt:
		dst = append(dst, '"')
		return append(strconv.AppendInt(dst, k.Int, 10), '"'), nil
	case KindUint:
		dst = append(dst, '"')
		return append(strconv.AppendUint(dst, k.Uint, 10), '"'), nil
	case KindFloat:
		dst = append(dst, '"')
		return append(AppendMsgspecFloat(dst, k.Float, true), '"'), nil
	case KindBin:
		return appendBase64(dst, k.Bytes), nil
	case KindExt:
		if s, us, ok := k.Timestamp(); ok {
			return appendDatetime(dst, s, us), nil
		}
	}
	if strict {
		return dst, errJSONKey
	}
	return append(dst, `"null"`...), nil
}

func appendBase64(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// appendDatetime writes a UTC datetime the way msgspec does:
// "YYYY-MM-DDTHH:MM:SS[.ffffff]Z".
func appendDatetime(dst []byte, secs, micros int64) []byte {
	t := time.Unix(secs, micros*1000).UTC()
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, "2006-01-02T15:04:05")
	if micros != 0 {
		dst = append(dst, '.')
		s := strconv.FormatInt(micros+1000000, 10)
		dst = append(dst, s[1:]...)
	}
	return append(dst, 'Z', '"')
}

// AppendJSONString appends s as a JSON string with msgspec's escaping:
// '"' and '\' backslash-escaped, \b \t \n \f \r by name, other bytes
// below 0x20 as \u00xx (lowercase hex), everything else (including DEL
// and non-ASCII) raw.
func AppendJSONString(dst []byte, s string) []byte { return jsonstr.Append(dst, s, false) }

// AppendMsgspecFloat appends f in msgspec's write_f64 layout: the shortest
// round-trip digits, written as "XYZ00.0" or "XY.Z" or "0.0XYZ" when the
// decimal point lands within 16 digits (1e-5 <= |f| < 1e16), else "X.YZe-7" /
// "Xe20" (no '+', no zero padding). Non-finite values are "null", or
// "nan"/"inf"/"-inf" when nonfinite is set (as for dict keys).
func AppendMsgspecFloat(dst []byte, f float64, nonfinite bool) []byte {
	if f != f || f > 1.7976931348623157e308 || f < -1.7976931348623157e308 {
		if !nonfinite {
			return append(dst, "null"...)
		}
		switch {
		case f != f:
			return append(dst, "nan"...)
		case f > 0:
			return append(dst, "inf"...)
		}
		return append(dst, "-inf"...)
	}
	if f == 0 {
		if 1/f < 0 {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // [-]d[.ddd]e±XX
	if e[0] == '-' {
		dst = append(dst, '-')
		e = e[1:]
	}
	var digits [24]byte
	nd := 0
	i := 0
	for ; e[i] != 'e'; i++ {
		if e[i] != '.' {
			digits[nd] = e[i]
			nd++
		}
	}
	exp, _ := strconv.Atoi(string(e[i+1:]))
	// value = digits * 10^k with k = exp - (nd-1); kk = nd + k = exp + 1.
	k := exp - (nd - 1)
	kk := nd + k
	d := digits[:nd]
	switch {
	case k >= 0 && kk <= 16:
		dst = append(dst, d...)
		for j := 0; j < k; j++ {
			dst = append(dst, '0')
		}
		return append(dst, '.', '0')
	case kk > 0 && kk <= 16:
		dst = append(dst, d[:kk]...)
		dst = append(dst, '.')
		return append(dst, d[kk:]...)
	case kk > -5 && kk <= 0:
		dst = append(dst, '0', '.')
		for j := 0; j < -kk; j++ {
			dst = append(dst, '0')
		}
		return append(dst, d...)
	}
	dst = append(dst, d[0])
	if nd > 1 {
		dst = append(dst, '.')
		dst = append(dst, d[1:]...)
	}
	dst = append(dst, 'e')
	return strconv.AppendInt(dst, int64(kk-1), 10)
}
