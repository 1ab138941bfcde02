package events

import (
	"math"
	"testing"
)

func TestDecodeValueDictSemantics(t *testing.T) {
	// {1: "a", "k": 1, 1.0: "b", true: "c", "k": 2, nan: 1, nan: 2, [1, 2]: 3, [1.0, 2]: 4}
	m := Value{Kind: KindMap, Map: []KV{
		{Int(1), Str("a")}, {Str("k"), Int(1)}, {Float(1), Str("b")}, {Bool(true), Str("c")}, {Str("k"), Int(2)},
		{Float(math.NaN()), Int(1)}, {Float(math.NaN()), Int(2)}, {ArrayOf(Int(1), Int(2)), Int(3)}, {ArrayOf(Float(1), Int(2)), Int(4)},
	}}
	raw := AppendMsgpack(nil, m)
	v, err := DecodeValue(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := string(AppendJSON(nil, Value{Kind: KindArray, Array: func() []Value {
		var out []Value
		for _, kv := range v.Map {
			out = append(out, ArrayOf(Str(pyTypeName(kv.Key)), kv.Value))
		}
		return out
	}()}))
	want := `[["int","c"],["str",2],["float",1],["float",2],["list",4]]`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// Large maps go through the hash index; same semantics.
	big := Value{Kind: KindMap}
	for i := 0; i < 1000; i++ {
		big.Map = append(big.Map, KV{Int(int64(i % 100)), Int(int64(i))})
	}
	v, err = DecodeValue(AppendMsgpack(nil, big))
	if err != nil || len(v.Map) != 100 || v.Map[7].Key.Int != 7 || v.Map[7].Value.Int != 907 {
		t.Fatalf("big map: %v, %d entries", err, len(v.Map))
	}
	// Truthiness and equality helpers.
	if Str("").Truthy() || !Str("x").Truthy() || Float(0).Truthy() || !ArrayOf(Nil()).Truthy() || (Value{Kind: KindExt, Ext: 1}).Truthy() == false {
		t.Fatal("truthiness")
	}
	if !pyEqual(Value{Kind: KindUint, Uint: 1 << 63}, Float(0x1p63)) || pyEqual(Int(math.MaxInt64), Float(0x1p63)) || pyEqual(Str("1"), Int(1)) {
		t.Fatal("equality")
	}
	if _, err := DecodeValue([]byte{0x81, 0x80, 0x01}); err == nil {
		t.Fatal("unhashable map key accepted")
	}
}
