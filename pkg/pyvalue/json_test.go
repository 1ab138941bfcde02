package pyvalue

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"math"
	"os"
	"strings"
	"testing"
)

// testdata/msgspec_floats.txt pairs float64 bit patterns with the text
// msgspec's write_f64 produces (generated with the oracle stub's
// format_float, which follows msgspec's ryu.h branch for branch).
func TestAppendMsgspecFloatTable(t *testing.T) {
	f, err := os.Open("testdata/msgspec_floats.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		bitsHex, want, _ := strings.Cut(sc.Text(), " ")
		raw, err := hex.DecodeString(bitsHex)
		if err != nil {
			t.Fatal(err)
		}
		v := math.Float64frombits(binary.BigEndian.Uint64(raw))
		if got := string(AppendMsgspecFloat(nil, v, false)); got != want {
			t.Errorf("%v: got %s, want %s", v, got, want)
		}
		n++
	}
	if n < 500 {
		t.Fatalf("only %d cases", n)
	}
}

func TestAppendMsgspecFloatSpecial(t *testing.T) {
	cases := []struct {
		v         float64
		nonfinite bool
		want      string
	}{
		{1e-7, false, "1e-7"},
		{2.5e20, false, "2.5e20"},
		{100, false, "100.0"},
		{1e16, false, "1e16"},
		{1e15, false, "1000000000000000.0"},
		{0.0001, false, "0.0001"},
		{0.00001, false, "0.00001"},
		{0.000001, false, "1e-6"},
		{math.Copysign(0, -1), false, "-0.0"},
		{math.NaN(), false, "null"},
		{math.Inf(1), false, "null"},
		{math.NaN(), true, "nan"},
		{math.Inf(-1), true, "-inf"},
	}
	for _, c := range cases {
		if got := string(AppendMsgspecFloat(nil, c.v, c.nonfinite)); got != c.want {
			t.Errorf("%v: got %s, want %s", c.v, got, c.want)
		}
	}
}

func TestAppendJSON(t *testing.T) {
	ts := Value{Kind: KindExt, Ext: -1, Bytes: []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}} // 12-byte form: 1 ns
	ts2 := Value{Kind: KindExt, Ext: -1, Bytes: []byte{0x65, 0x92, 0x00, 0x80}}            // 4-byte form
	cases := []struct {
		v    Value
		want string
	}{
		{MapOf("b", 1, "a", ArrayOf(Nil(), Bool(true), Float(0.5))), `{"b":1,"a":[null,true,0.5]}`},
		{Str("é\u2028<>&\x7f\x00\x1f\"\\/\b\f\n\r\t"), "\"é\u2028<>&\x7f\\u0000\\u001f\\\"\\\\/\\b\\f\\n\\r\\t\""},
		{Value{Kind: KindUint, Uint: math.MaxUint64}, "18446744073709551615"},
		{Int(-5), "-5"},
		{Value{Kind: KindBin, Bytes: []byte("hi!")}, `"aGkh"`},
		{Value{Kind: KindMap, Map: []KV{{Int(1), Int(2)}, {Float(1.5), Nil()}, {Value{Kind: KindBin, Bytes: []byte("k")}, Int(3)}}}, `{"1":2,"1.5":null,"aw==":3}`},
		{ts, `"1970-01-01T00:00:00Z"`},
		{ts2, `"2024-01-01T00:00:00Z"`},
		{Value{Kind: KindExt, Ext: -1, Bytes: []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}, `"1970-01-01T00:00:01Z"`},
		{ArrayOf(), "[]"},
		{MapOf(), "{}"},
	}
	for _, c := range cases {
		if got := string(AppendJSON(nil, c.v)); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
	// 1.5 µs rounds to 2 µs like msgspec's DIV_ROUND_CLOSEST.
	us := Value{Kind: KindExt, Ext: -1, Bytes: []byte{0, 0, 0x05, 0xdc, 0, 0, 0, 0, 0, 0, 0, 0}}
	if got := string(AppendJSON(nil, us)); got != `"1970-01-01T00:00:00.000002Z"` {
		t.Errorf("micros: %s", got)
	}
	// Where msgspec raises.
	for _, v := range []Value{
		{Kind: KindExt, Ext: 3, Bytes: []byte{1}},
		{Kind: KindMap, Map: []KV{{Nil(), Int(1)}}},
		{Kind: KindMap, Map: []KV{{Bool(true), Int(1)}}},
		{Kind: KindMap, Map: []KV{{ArrayOf(Int(1)), Int(1)}}},
	} {
		if _, err := EncodeJSON(nil, v); err == nil {
			t.Errorf("EncodeJSON(%+v): no error", v)
		}
	}
}
