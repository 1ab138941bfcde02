package pyvalue

import (
	"math"
	"testing"
)

func TestParsePythonJSON(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"a": 1, "b": [1.5, "x\u00e9", null], "a": 2}`, `{"a":2,"b":[1.5,"xé",null]}`},
		{` {"n": NaN, "i": -Infinity, "big": 1e400} `, `{"n":null,"i":null,"big":null}`},
		{`{"u":"\ud83d\ude00", "k": 1E5}`, `{"u":"😀","k":100000.0}`},
	} {
		v, err := ParsePythonJSON(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got := string(AppendJSON(nil, v)); got != c.want {
			t.Errorf("%s → %s, want %s", c.in, got, c.want)
		}
	}
	for _, bad := range []string{`{"a":1,}`, `01`, `{"a" 1}`, "\"\x01\"", `[1] x`} {
		if _, err := ParsePythonJSON(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if _, err := ParsePythonJSON(`{"x": 123456789012345678901234567890}`); err != ErrUnencodable {
		t.Errorf("big int: %v", err)
	}
	if v, _ := ParsePythonJSON(`1.0`); v.Kind != KindFloat || v.Float != 1 || math.IsNaN(v.Float) {
		t.Errorf("1.0 → %+v", v)
	}
}
