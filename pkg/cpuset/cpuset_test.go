package cpuset

import (
	"strings"
	"testing"
)

func TestParseString(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Set
		str  string
	}{
		{"", nil, ""},
		{"  \n", nil, ""},
		{"0", Set{0}, "0"},
		{"0-3", Set{0, 1, 2, 3}, "0-3"},
		{"0-3,8,10-11", Set{0, 1, 2, 3, 8, 10, 11}, "0-3,8,10-11"},
		{"0-3,8,10-11\n", Set{0, 1, 2, 3, 8, 10, 11}, "0-3,8,10-11"},
		{" 1 - 2 , 4 ", Set{1, 2, 4}, "1-2,4"},
		{"5,1,3-4,2", Set{1, 2, 3, 4, 5}, "1-5"},
		{"0-2,1-3", Set{0, 1, 2, 3}, "0-3"},
		{"7-7", Set{7}, "7"},
		{"0,2,4", Set{0, 2, 4}, "0,2,4"},
		{"65535", Set{65535}, "65535"},
	} {
		got, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("Parse(%q) = %v, want %v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, s, tc.str)
		}
		back, err := Parse(got.String())
		if err != nil || !back.Equal(got) {
			t.Errorf("round trip of %q: %v, %v", tc.in, back, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"a", "1,", ",1", "1,,2", "-1", "+1", "1-", "-", "3-1", "1-2-3",
		"0x3", "1.5", "65536", "0-4000000000", "99999999999999999999", "1 2",
	} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want error", in, got)
		} else if !strings.Contains(err.Error(), "cpuset: parse") {
			t.Errorf("Parse(%q) error lacks context: %v", in, err)
		}
	}
}

func TestSetOps(t *testing.T) {
	if got := Of(3, 1, -2, 3, 0); !got.Equal(Set{0, 1, 3}) {
		t.Errorf("Of = %v", got)
	}
	a, b := Of(0, 1, 2, 5, 8), Of(1, 2, 3, 8, 9)
	if got := a.Intersect(b); !got.Equal(Set{1, 2, 8}) {
		t.Errorf("Intersect = %v", got)
	}
	if got := a.Intersect(nil); len(got) != 0 {
		t.Errorf("Intersect(nil) = %v", got)
	}
	if !a.Contains(5) || a.Contains(4) {
		t.Error("Contains")
	}
	if !Of(1, 8).IsSubsetOf(a) || Of(1, 9).IsSubsetOf(a) || !Set(nil).IsSubsetOf(a) {
		t.Error("IsSubsetOf")
	}
	if !Set(nil).Equal(Set{}) {
		t.Error("nil must equal empty")
	}
}
