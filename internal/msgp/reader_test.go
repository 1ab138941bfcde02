package msgp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// h decodes a hex string (spaces allowed) and appends fill bytes 'x'.
func h(s string, fill int) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return append(b, bytes.Repeat([]byte{'x'}, fill)...)
}

// xs is n bytes of filler, as h appends them.
func xs(n int) string { return strings.Repeat("x", n) }

// reads are the value-returning methods, by name.
var reads = map[string]func(r *Reader) (any, error){
	"Bool":     func(r *Reader) (any, error) { return r.Bool() },
	"Int":      func(r *Reader) (any, error) { return r.Int() },
	"Uint":     func(r *Reader) (any, error) { return r.Uint() },
	"Float":    func(r *Reader) (any, error) { return r.Float() },
	"Str":      func(r *Reader) (any, error) { return r.Str() },
	"StrBytes": func(r *Reader) (any, error) { p, err := r.StrBytes(); return string(p), err },
	"Bytes":    func(r *Reader) (any, error) { p, err := r.Bytes(); return string(p), err },
	"ArrayLen": func(r *Reader) (any, error) { return r.ArrayLen() },
	"MapLen":   func(r *Reader) (any, error) { return r.MapLen() },
}

// TestReads covers every header form each method accepts, at the bounds
// of its size class, and the errors: wrong type (reported at the type
// byte, nothing consumed), truncation, and out-of-range values.
func TestReads(t *testing.T) {
	tests := []struct {
		method string
		in     []byte
		want   any    // value on success
		off    int    // offset after the value, or of the error
		err    string // part of the error message; "" = success
	}{
		{"Bool", h("c2", 0), false, 1, ""},
		{"Bool", h("c3", 0), true, 1, ""},
		{"Bool", h("c0", 0), nil, 0, "want bool, got type byte 0xc0"},
		{"Bool", nil, nil, 0, "truncated: need 1 bytes, have 0"},

		{"Int", h("00", 0), int64(0), 1, ""},
		{"Int", h("7f", 0), int64(127), 1, ""},
		{"Int", h("ff", 0), int64(-1), 1, ""},
		{"Int", h("e0", 0), int64(-32), 1, ""},
		{"Int", h("cc 80", 0), int64(128), 2, ""},
		{"Int", h("cc ff", 0), int64(255), 2, ""},
		{"Int", h("cd ffff", 0), int64(65535), 3, ""},
		{"Int", h("ce ffffffff", 0), int64(math.MaxUint32), 5, ""},
		{"Int", h("cf 7fffffffffffffff", 0), int64(math.MaxInt64), 9, ""},
		{"Int", h("cf 8000000000000000", 0), nil, 9, "int 9223372036854775808 overflows int64"},
		{"Int", h("d0 80", 0), int64(math.MinInt8), 2, ""},
		{"Int", h("d0 7f", 0), int64(math.MaxInt8), 2, ""},
		{"Int", h("d1 8000", 0), int64(math.MinInt16), 3, ""},
		{"Int", h("d2 80000000", 0), int64(math.MinInt32), 5, ""},
		{"Int", h("d3 8000000000000000", 0), int64(math.MinInt64), 9, ""},
		{"Int", h("d3 ffffffffffffffff", 0), int64(-1), 9, ""},
		{"Int", h("cb 0000000000000000", 0), nil, 0, "want int, got type byte 0xcb"},
		{"Int", h("c0", 0), nil, 0, "want int"},
		{"Int", h("cd ff", 0), nil, 1, "truncated: need 2 bytes, have 1"},
		{"Int", h("d3", 0), nil, 1, "truncated: need 8 bytes, have 0"},
		{"Int", nil, nil, 0, "truncated"},

		{"Uint", h("05", 0), uint64(5), 1, ""},
		{"Uint", h("d0 00", 0), uint64(0), 2, ""},
		{"Uint", h("ce ffffffff", 0), uint64(math.MaxUint32), 5, ""},
		{"Uint", h("cf 8000000000000000", 0), uint64(1 << 63), 9, ""},
		{"Uint", h("cf ffffffffffffffff", 0), uint64(math.MaxUint64), 9, ""},
		{"Uint", h("ff", 0), nil, 1, "int -1 is negative"},
		{"Uint", h("a0", 0), nil, 0, "want int"},
		{"Uint", h("cf 00", 0), nil, 1, "truncated"},

		{"Float", h("ca 3fc00000", 0), 1.5, 5, ""},
		{"Float", h("ca 7f800000", 0), math.Inf(1), 5, ""},
		{"Float", h("cb 3ff8000000000000", 0), 1.5, 9, ""},
		{"Float", h("cb 8000000000000000", 0), math.Copysign(0, -1), 9, ""},
		{"Float", h("05", 0), 5.0, 1, ""},
		{"Float", h("ff", 0), -1.0, 1, ""},
		{"Float", h("cd 0100", 0), 256.0, 3, ""},
		{"Float", h("d3 8000000000000000", 0), -9223372036854775808.0, 9, ""},
		{"Float", h("cf ffffffffffffffff", 0), 18446744073709551615.0, 9, ""},
		{"Float", h("c0", 0), nil, 0, "want float, got type byte 0xc0"},
		{"Float", h("a1 31", 0), nil, 0, "want float"},
		{"Float", h("cb 00", 0), nil, 1, "truncated: need 8 bytes, have 1"},
		{"Float", h("d1", 0), nil, 1, "truncated"},
		{"Float", nil, nil, 0, "truncated"},

		{"Str", h("a0", 0), "", 1, ""},
		{"Str", h("a3 616263", 0), "abc", 4, ""},
		{"Str", h("bf", 31), xs(31), 32, ""},
		{"Str", h("d9 20", 32), xs(32), 34, ""},
		{"Str", h("d9 ff", 255), xs(255), 257, ""},
		{"Str", h("da 0100", 256), xs(256), 259, ""},
		{"Str", h("da ffff", 65535), xs(65535), 65538, ""},
		{"Str", h("db 00010000", 65536), xs(65536), 65541, ""},
		{"Str", h("c4 01 78", 0), nil, 0, "want str, got type byte 0xc4"},
		{"Str", h("90", 0), nil, 0, "want str"},
		{"Str", h("a3 6162", 0), nil, 1, "truncated: need 3 bytes, have 2"},
		{"Str", h("d9", 0), nil, 1, "truncated: need 1 bytes, have 0"},
		{"Str", h("db ffffffff", 0), nil, 5, "truncated: need 4294967295 bytes, have 0"},
		{"StrBytes", h("a3 616263", 0), "abc", 4, ""},
		{"StrBytes", h("c0", 0), nil, 0, "want str"},

		{"Bytes", h("a3 616263", 0), "abc", 4, ""},
		{"Bytes", h("d9 ff", 255), xs(255), 257, ""},
		{"Bytes", h("c4 00", 0), "", 2, ""},
		{"Bytes", h("c4 03 616263", 0), "abc", 5, ""},
		{"Bytes", h("c4 ff", 255), xs(255), 257, ""},
		{"Bytes", h("c5 0100", 256), xs(256), 259, ""},
		{"Bytes", h("c6 00010000", 65536), xs(65536), 65541, ""},
		{"Bytes", h("c6 ffffffff", 1), nil, 5, "truncated: need 4294967295 bytes, have 1"},
		{"Bytes", h("c5 01", 0), nil, 1, "truncated"},
		{"Bytes", h("90", 0), nil, 0, "want str or bin, got type byte 0x90"},

		{"ArrayLen", h("90", 0), 0, 1, ""},
		{"ArrayLen", h("9f", 15), 15, 1, ""},
		{"ArrayLen", h("dc 0010", 16), 16, 3, ""},
		{"ArrayLen", h("dc ffff", 65535), 65535, 3, ""},
		{"ArrayLen", h("dd 00010000", 65536), 65536, 5, ""},
		{"ArrayLen", h("9f", 14), nil, 1, "truncated: array of 15 elements in 14 bytes"},
		{"ArrayLen", h("dd ffffffff", 0), nil, 5, "truncated: array of 4294967295 elements in 0 bytes"},
		{"ArrayLen", h("dc 00", 0), nil, 1, "truncated"},
		{"ArrayLen", h("80", 0), nil, 0, "want array, got type byte 0x80"},
		{"ArrayLen", nil, nil, 0, "truncated"},

		{"MapLen", h("80", 0), 0, 1, ""},
		{"MapLen", h("8f", 30), 15, 1, ""},
		{"MapLen", h("de 0010", 32), 16, 3, ""},
		{"MapLen", h("de ffff", 131070), 65535, 3, ""},
		{"MapLen", h("df 00010000", 131072), 65536, 5, ""},
		{"MapLen", h("81", 1), nil, 1, "truncated: map of 1 entries in 1 bytes"},
		{"MapLen", h("df ffffffff", 0), nil, 5, "truncated: map of 4294967295 entries"},
		{"MapLen", h("df 0000", 0), nil, 1, "truncated"},
		{"MapLen", h("90", 0), nil, 0, "want map, got type byte 0x90"},
	}
	for _, tt := range tests {
		var r Reader
		r.Reset(tt.in)
		got, err := reads[tt.method](&r)
		name := tt.method + " " + hex.EncodeToString(tt.in[:min(len(tt.in), 9)])
		if tt.err == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			} else if !reflect.DeepEqual(got, tt.want) || math.Signbit(toFloat(got)) != math.Signbit(toFloat(tt.want)) {
				t.Errorf("%s = %v, want %v", name, got, tt.want)
			}
			if r.Offset() != tt.off {
				t.Errorf("%s: offset %d after the value, want %d", name, r.Offset(), tt.off)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: err = %v, want *Error", name, err)
			continue
		}
		if !strings.Contains(e.Msg, tt.err) || e.Off != tt.off || e.Error() != "offset "+strconv.Itoa(tt.off)+": "+e.Msg {
			t.Errorf("%s: err = %q at %d, want %q at %d", name, e, e.Off, tt.err, tt.off)
		}
	}
}

func toFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}

func TestTryNilPeek(t *testing.T) {
	var r Reader
	r.Reset(h("c0 c2", 0))
	if c, err := r.Peek(); c != 0xc0 || err != nil || r.Offset() != 0 {
		t.Fatalf("Peek = 0x%02x, %v at %d", c, err, r.Offset())
	}
	if !r.TryNil() || r.Offset() != 1 {
		t.Fatal("TryNil missed a nil")
	}
	if r.TryNil() || r.Offset() != 1 || r.Len() != 1 {
		t.Fatal("TryNil took a bool")
	}
	if b, err := r.Bool(); b || err != nil {
		t.Fatalf("Bool = %v, %v", b, err)
	}
	if r.TryNil() {
		t.Fatal("TryNil at the end")
	}
	if _, err := r.Peek(); err == nil || r.Len() != 0 {
		t.Fatalf("Peek at the end: %v", err)
	}
	if err := r.Errorf("bad %d", 7); err.Error() != "offset 2: bad 7" {
		t.Fatalf("Errorf: %q", err)
	}
}

// TestSkip skips one value of every type, at the bounds of the size
// classes, and checks the errors.
func TestSkip(t *testing.T) {
	tests := []struct {
		in  []byte
		off int    // offset after the value, or of the error
		err string // part of the error message; "" = success
	}{
		{h("00", 0), 1, ""},
		{h("7f", 0), 1, ""},
		{h("e0", 0), 1, ""},
		{h("c0", 0), 1, ""},
		{h("c2", 0), 1, ""},
		{h("c3", 0), 1, ""},
		{h("cc", 1), 2, ""},
		{h("cd", 2), 3, ""},
		{h("ce", 4), 5, ""},
		{h("cf", 8), 9, ""},
		{h("d0", 1), 2, ""},
		{h("d1", 2), 3, ""},
		{h("d2", 4), 5, ""},
		{h("d3", 8), 9, ""},
		{h("ca", 4), 5, ""},
		{h("cb", 8), 9, ""},
		{h("a0", 0), 1, ""},
		{h("bf", 31), 32, ""},
		{h("d9 ff", 255), 257, ""},
		{h("da ffff", 65535), 65538, ""},
		{h("db 00010000", 65536), 65541, ""},
		{h("c4 00", 0), 2, ""},
		{h("c5 0100", 256), 259, ""},
		{h("c6 00000001", 1), 6, ""},
		{h("d4 01", 1), 3, ""},
		{h("d5 01", 2), 4, ""},
		{h("d6 ff", 4), 6, ""},
		{h("d7 ff", 8), 10, ""},
		{h("d8 01", 16), 18, ""},
		{h("c7 00 01", 0), 3, ""},
		{h("c7 02 01", 2), 5, ""},
		{h("c8 0100 01", 256), 260, ""},
		{h("c9 00000003 01", 3), 9, ""},
		{h("90", 0), 1, ""},
		{h("92 a1 61 81 01 c0", 0), 6, ""},
		{h("9f", 15), 16, ""},
		{h("dc 0010", 16), 19, ""},
		{h("dd 00000002 c3 c2", 0), 7, ""},
		{h("80", 0), 1, ""},
		{h("8f", 30), 31, ""},
		{h("de 0001 a1 6b 92 01 02", 0), 8, ""},
		{h("df 00000001 01 02", 0), 7, ""},

		{h("c1", 0), 0, "invalid type byte 0xc1"},
		{h("92 01 c1", 0), 2, "invalid type byte 0xc1"},
		{nil, 0, "truncated: need 1 bytes, have 0"},
		{h("cf", 7), 1, "truncated: need 8 bytes, have 7"},
		{h("a2", 1), 1, "truncated: need 2 bytes, have 1"},
		{h("db ffffffff", 0), 5, "truncated: need 4294967295 bytes, have 0"},
		{h("c6 ffffffff", 0), 5, "truncated: need 4294967295 bytes"},
		{h("c9 ffffffff 01", 0), 5, "truncated: need 4294967296 bytes, have 1"},
		{h("d8 01", 15), 1, "truncated: need 17 bytes, have 16"},
		{h("c7 02 01", 1), 2, "truncated: need 3 bytes, have 2"},
		{h("c8 00", 0), 1, "truncated: need 2 bytes, have 1"},
		{h("9f", 14), 1, "truncated: 15 values in 14 bytes"},
		{h("dd ffffffff", 0), 5, "truncated: 4294967295 values in 0 bytes"},
		{h("df 80000000", 0), 5, "truncated: 4294967296 values in 0 bytes"},
		{h("82 01 02 03", 0), 1, "truncated: 4 values in 3 bytes"},
		{h("92 01 a2 61", 0), 3, "truncated"},
	}
	for _, tt := range tests {
		var r Reader
		r.Reset(tt.in)
		err := r.Skip(8)
		name := hex.EncodeToString(tt.in[:min(len(tt.in), 9)])
		if tt.err == "" {
			if err != nil || r.Offset() != tt.off {
				t.Errorf("Skip %s: %v, offset %d, want %d", name, err, r.Offset(), tt.off)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Msg, tt.err) || e.Off != tt.off {
			t.Errorf("Skip %s: err = %v, want %q at %d", name, err, tt.err, tt.off)
		}
	}
}

// TestSkipDepth: Skip(d) takes values nested d levels inside the one it
// skips, and fails on anything deeper, whatever its type.
func TestSkipDepth(t *testing.T) {
	// nested(k, inner) is k one-element arrays (or maps) around inner.
	nested := func(k int, open []byte, inner string) []byte {
		return append(bytes.Repeat(open, k), h(inner, 0)...)
	}
	for _, d := range []int{0, 1, 2, 64, 1000} {
		for _, open := range [][]byte{{0x91}, {0x81, 0xc0}} {
			for _, inner := range []string{"c0", "90", "80", "a1 61"} {
				ok := nested(d, open, inner)
				var r Reader
				r.Reset(ok)
				if err := r.Skip(d); err != nil || r.Len() != 0 {
					t.Errorf("Skip(%d) of %d levels around %s: %v", d, d, inner, err)
				}
				deep := nested(d+1, open, inner)
				r.Reset(deep)
				err := r.Skip(d)
				var e *Error
				if !errors.As(err, &e) || e.Msg != "values nested too deep" || e.Off != d*len(open)+1 {
					t.Errorf("Skip(%d) of %d levels around %s: err = %v", d, d+1, inner, err)
				}
			}
		}
	}
	var r Reader
	if err := r.Skip(-1); err == nil {
		t.Error("Skip(-1) succeeded")
	}
}

// TestNoAllocs: reading a value allocates nothing but Str's string.
func TestNoAllocs(t *testing.T) {
	in := h("93 a5 68656c6c6f cb 3ff8000000000000 cd 0100 81 c4 01 78 c3 c0 d9 20", 32)
	var r Reader
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(in)
		r.ArrayLen()
		r.StrBytes()
		r.Float()
		r.Int()
		r.MapLen()
		r.Bytes()
		r.Bool()
		r.TryNil()
		r.Skip(0)
	})
	if allocs != 0 || r.Len() != 0 {
		t.Fatalf("%v allocations, %d bytes left", allocs, r.Len())
	}
}

// FuzzReader checks the Reader against vmihailenco/msgpack: whatever a
// method reads, msgpack reads as the same value with the same length, and
// Skip accepts exactly what msgpack's Skip accepts (nesting is bounded by
// the input size here). msgpack is more lenient elsewhere (nil as zero,
// bin as str, negative ints as uint64), so failures are not compared.
func FuzzReader(f *testing.F) {
	for _, v := range []any{
		nil, true, false, 0, 127, -32, 128, 255, 256, -33, -129, math.MaxInt64, math.MinInt64, uint64(math.MaxUint64),
		float32(1.5), 2.5, "", "abc", xs(40), xs(300), []byte("bin"), []any{1, "a", []any{nil}},
		map[string]any{"a": 1, "b": []any{true, 2.5}}, make([]int, 20), msgpack.RawMessage(h("d6 ff 00000001", 0)),
	} {
		b, err := msgpack.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"c1", "c7 02 01 ab", "dd ffffffff", "9191919190", "cf 8000000000000000", "ca 7fc00000"} {
		f.Add(h(s, 0))
	}
	libReads := map[string]func(d *msgpack.Decoder) (any, error){
		"Bool":     func(d *msgpack.Decoder) (any, error) { return d.DecodeBool() },
		"Int":      func(d *msgpack.Decoder) (any, error) { return d.DecodeInt64() },
		"Uint":     func(d *msgpack.Decoder) (any, error) { return d.DecodeUint64() },
		"Float":    func(d *msgpack.Decoder) (any, error) { return d.DecodeFloat64() },
		"Str":      func(d *msgpack.Decoder) (any, error) { return d.DecodeString() },
		"StrBytes": func(d *msgpack.Decoder) (any, error) { return d.DecodeString() },
		"Bytes":    func(d *msgpack.Decoder) (any, error) { p, err := d.DecodeBytes(); return string(p), err },
		"ArrayLen": func(d *msgpack.Decoder) (any, error) { return d.DecodeArrayLen() },
		"MapLen":   func(d *msgpack.Decoder) (any, error) { return d.DecodeMapLen() },
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var r Reader
		for name, read := range reads {
			r.Reset(in)
			got, err := read(&r)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Off < 0 || e.Off > len(in) {
					t.Fatalf("%s: error %v", name, err)
				}
				continue
			}
			if name == "Float" && in[0] == 0xcf && got.(float64) >= 1<<63 {
				continue // msgpack converts a uint64 through int64
			}
			br := bytes.NewReader(in)
			want, err := libReads[name](msgpack.NewDecoder(br))
			if err != nil {
				t.Fatalf("%s = %v, msgpack: %v", name, got, err)
			}
			if name == "Float" {
				same := got == want || math.IsNaN(got.(float64)) && math.IsNaN(want.(float64))
				if !same {
					t.Fatalf("Float = %v, msgpack %v", got, want)
				}
			} else if got != want {
				t.Fatalf("%s = %v, msgpack %v", name, got, want)
			}
			if used := len(in) - br.Len(); r.Offset() != used {
				t.Fatalf("%s read %d bytes, msgpack %d", name, r.Offset(), used)
			}
		}
		r.Reset(in)
		err := r.Skip(len(in))
		br := bytes.NewReader(in)
		libErr := msgpack.NewDecoder(br).Skip()
		if (err == nil) != (libErr == nil) {
			t.Fatalf("Skip: %v, msgpack: %v", err, libErr)
		}
		if used := len(in) - br.Len(); err == nil && r.Offset() != used {
			t.Fatalf("Skip read %d bytes, msgpack %d", r.Offset(), used)
		}
	})
}
