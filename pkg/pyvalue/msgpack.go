package pyvalue

import (
	"github.com/mlperf-tools/aggregator/internal/msgp"
)

// AppendMsgpack appends the msgpack encoding of v with msgspec's choices:
// minimal int, str, bin, array and map headers; floats as float64.
func AppendMsgpack(dst []byte, v Value) []byte {
	switch v.Kind {
	case KindNil:
		return msgp.AppendNil(dst)
	case KindBool:
		return msgp.AppendBool(dst, v.Bool)
	case KindInt:
		return msgp.AppendInt(dst, v.Int)
	case KindUint:
		return msgp.AppendUint(dst, v.Uint)
	case KindFloat:
		return msgp.AppendFloat64(dst, v.Float)
	case KindStr:
		return msgp.AppendStr(dst, v.Str)
	case KindBin:
		return msgp.AppendBin(dst, v.Bytes)
	case KindArray:
		dst = msgp.AppendArrayLen(dst, len(v.Array))
		for _, e := range v.Array {
			dst = AppendMsgpack(dst, e)
		}
		return dst
	case KindMap:
		dst = msgp.AppendMapLen(dst, len(v.Map))
		for _, kv := range v.Map {
			dst = AppendMsgpack(dst, kv.Key)
			dst = AppendMsgpack(dst, kv.Value)
		}
		return dst
	case KindExt:
		return msgp.AppendExt(dst, v.Ext, v.Bytes)
	}
	return msgp.AppendNil(dst)
}
