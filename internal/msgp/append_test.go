package msgp

import (
	"math"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// TestAppendRoundTrip: every appender, at every size-class boundary, writes
// the smallest form (its size) and reads back through Reader and through
// the vmihailenco/msgpack reference decoder.
func TestAppendRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		size int
	}{
		{0, 1}, {127, 1}, {128, 2}, {255, 2}, {256, 3}, {65535, 3}, {65536, 5}, {math.MaxUint32, 5}, {math.MaxUint32 + 1, 9}, {math.MaxInt64, 9},
		{-1, 1}, {-32, 1}, {-33, 2}, {-128, 2}, {-129, 3}, {-32768, 3}, {-32769, 5}, {math.MinInt32, 5}, {math.MinInt32 - 1, 9}, {math.MinInt64, 9},
	} {
		b := AppendInt(nil, tc.v)
		if len(b) != tc.size {
			t.Errorf("AppendInt(%d): %d bytes, want %d", tc.v, len(b), tc.size)
		}
		var r Reader
		r.Reset(b)
		if got, err := r.Int(); err != nil || got != tc.v || r.Len() != 0 {
			t.Errorf("AppendInt(%d) reads back %d, %v", tc.v, got, err)
		}
		var ref int64
		if err := msgpack.Unmarshal(b, &ref); err != nil || ref != tc.v {
			t.Errorf("AppendInt(%d): reference reads %d, %v", tc.v, ref, err)
		}
	}
	if b := AppendUint(nil, math.MaxUint64); len(b) != 9 {
		t.Errorf("AppendUint(max): %x", b)
	}
	for _, n := range []int{0, 15, 16, 31, 32, 255, 256, 65535, 65536} {
		s := strings.Repeat("x", n)
		for name, b := range map[string][]byte{"str": AppendStr(nil, s), "bin": AppendBin(nil, []byte(s))} {
			var r Reader
			r.Reset(b)
			got, err := r.Bytes()
			if err != nil || string(got) != s || r.Len() != 0 {
				t.Errorf("%s of %d bytes: read %d bytes, %v", name, n, len(got), err)
			}
			var ref []byte
			if name == "str" {
				var rs string
				err = msgpack.Unmarshal(b, &rs)
				ref = []byte(rs)
			} else {
				err = msgpack.Unmarshal(b, &ref)
			}
			if err != nil || string(ref) != s {
				t.Errorf("%s of %d bytes: reference %v", name, n, err)
			}
		}
		var r Reader
		r.Reset(AppendArrayLen(nil, n))
		if got, err := r.ArrayLen(); n > 0 && (err == nil || got != 0) {
			// A header alone promises n elements the buffer does not hold.
			t.Errorf("array header %d accepted without elements: %d, %v", n, got, err)
		}
		r.Reset(AppendMapLen(nil, n))
		if _, err := r.MapLen(); n > 0 && err == nil {
			t.Errorf("map header %d accepted without pairs", n)
		}
	}
	b := AppendFloat64(AppendBool(AppendBool([]byte{0xc0}, true), false), 0.1)
	var r Reader
	r.Reset(b)
	if !r.TryNil() {
		t.Fatal("nil")
	}
	if v, err := r.Bool(); err != nil || !v {
		t.Fatal("true")
	}
	if v, err := r.Bool(); err != nil || v {
		t.Fatal("false")
	}
	if v, err := r.Float(); err != nil || v != 0.1 {
		t.Fatalf("float %v %v", v, err)
	}
}
