package events

import (
	"math"
	"testing"

	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

func TestDecodeValueDictSemantics(t *testing.T) {
	// {1: "a", "k": 1, 1.0: "b", true: "c", "k": 2, nan: 1, nan: 2, [1, 2]: 3, [1.0, 2]: 4}
	kv := func(k, v pyvalue.Value) pyvalue.KV { return pyvalue.KV{Key: k, Value: v} }
	i, s, f := pyvalue.Int, pyvalue.Str, pyvalue.Float
	m := pyvalue.Value{Kind: pyvalue.KindMap, Map: []pyvalue.KV{
		kv(i(1), s("a")), kv(s("k"), i(1)), kv(f(1), s("b")), kv(pyvalue.Bool(true), s("c")), kv(s("k"), i(2)),
		kv(f(math.NaN()), i(1)), kv(f(math.NaN()), i(2)), kv(pyvalue.ArrayOf(i(1), i(2)), i(3)), kv(pyvalue.ArrayOf(f(1), i(2)), i(4)),
	}}
	raw := pyvalue.AppendMsgpack(nil, m)
	v, err := DecodeValue(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := string(pyvalue.AppendJSON(nil, pyvalue.Value{Kind: pyvalue.KindArray, Array: func() []pyvalue.Value {
		var out []pyvalue.Value
		for _, kv := range v.Map {
			out = append(out, pyvalue.ArrayOf(pyvalue.Str(pyTypeName(kv.Key)), kv.Value))
		}
		return out
	}()}))
	want := `[["int","c"],["str",2],["float",1],["float",2],["list",4]]`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// Large maps go through the hash index; same semantics.
	big := pyvalue.Value{Kind: pyvalue.KindMap}
	for n := 0; n < 1000; n++ {
		big.Map = append(big.Map, kv(i(int64(n%100)), i(int64(n))))
	}
	v, err = DecodeValue(pyvalue.AppendMsgpack(nil, big))
	if err != nil || len(v.Map) != 100 || v.Map[7].Key.Int != 7 || v.Map[7].Value.Int != 907 {
		t.Fatalf("big map: %v, %d entries", err, len(v.Map))
	}
	if _, err := DecodeValue([]byte{0x81, 0x80, 0x01}); err == nil {
		t.Fatal("unhashable map key accepted")
	}
}
