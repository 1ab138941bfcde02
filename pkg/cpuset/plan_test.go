package cpuset

import (
	"fmt"
	"testing"
)

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		n, perBlock int
		want        string // blocks joined by " | "
	}{
		{1, 8, "0"},
		{2, 8, "0-1"},
		{7, 8, "0-6"},
		{8, 8, "0-7"},
		{9, 8, "0-7"}, // upstream: max(1, 9//8) blocks; CPU 8 is left over
		{16, 8, "0-7 | 8-15"},
		{17, 0, "0-7 | 8-15"}, // 0 means DefaultPerBlock
		{1, 1, "0"},
		{2, 1, "0 | 1"},
		{7, 1, "0 | 1 | 2 | 3 | 4 | 5 | 6"},
		{0, 8, ""},
	} {
		got := format(Plan(span(tc.n), tc.perBlock))
		if got != tc.want {
			t.Errorf("Plan(%d CPUs, %d) = %q, want %q", tc.n, tc.perBlock, got, tc.want)
		}
	}

	blocks := Plan(span(144), 8)
	if len(blocks) != 18 {
		t.Fatalf("144 CPUs: %d blocks, want 18", len(blocks))
	}
	for i, b := range blocks {
		if want := fmt.Sprintf("%d-%d", 8*i, 8*i+7); b.String() != want {
			t.Errorf("144 CPUs: block %d = %s, want %s", i, b, want)
		}
	}
	if blocks := Plan(span(144), 1); len(blocks) != 144 || blocks[143].String() != "143" {
		t.Errorf("144 CPUs per 1: %d blocks, last %v", len(blocks), blocks[len(blocks)-1])
	}

	// Blocks follow the sorted universe, holes included, and never overlap:
	// appending to one must not write into the next.
	holes := Of(0, 1, 2, 3, 8, 9, 10, 11, 20, 21)
	blocks = Plan(holes, 4)
	if got := format(blocks); got != "0-3 | 8-11" {
		t.Errorf("holes: %q", got)
	}
	_ = append(blocks[0], 99)
	if blocks[1][0] != 8 {
		t.Error("blocks share capacity")
	}
}

func format(blocks []Set) string {
	s := ""
	for i, b := range blocks {
		if i > 0 {
			s += " | "
		}
		s += b.String()
	}
	return s
}
