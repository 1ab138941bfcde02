package main

import "testing"

func TestFormatCPUs(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want string
	}{
		{nil, ""},
		{[]int{0}, "0"},
		{[]int{0, 1}, "0-1"},
		{[]int{0, 1, 2, 3, 8}, "0-3,8"},
		{[]int{1, 3, 5, 6, 7, 63, 64, 65}, "1,3,5-7,63-65"},
	} {
		if got := formatCPUs(c.in); got != c.want {
			t.Errorf("formatCPUs(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
