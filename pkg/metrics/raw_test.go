package metrics

import (
	"slices"
	"testing"
)

// TestRawValuesKeepOrderAcrossChunks: values come back in recording order
// across chunk boundaries, joining once, and recording after a join works.
func TestRawValuesKeepOrderAcrossChunks(t *testing.T) {
	var r rawValues[int64]
	want := make([]int64, 0, 3*rawChunkMax)
	for i := int64(0); i < 3*rawChunkMax+17; i++ {
		r.add(i * 7)
		want = append(want, i*7)
	}
	if len(r.full) < 3 {
		t.Fatalf("%d full chunks, want several", len(r.full))
	}
	for _, c := range r.full {
		if cap(c) > rawChunkMax {
			t.Fatalf("chunk of %d values, max %d", cap(c), rawChunkMax)
		}
	}
	got := r.all()
	if !slices.Equal(got, want) || r.len() != len(want) {
		t.Fatalf("joined values differ (len %d, want %d)", len(got), len(want))
	}
	if len(r.full) != 0 {
		t.Fatal("chunks not released after the join")
	}
	if again := r.all(); &again[0] != &got[0] {
		t.Error("a second all() copied again")
	}
	r.add(-1)
	if got := r.all(); len(got) != len(want)+1 || got[len(got)-1] != -1 {
		t.Errorf("append after join lost values: len %d", len(got))
	}
}

// TestRawValuesSmallSeriesStaySmall: a series with few values holds one
// small chunk, not a maximal one.
func TestRawValuesSmallSeriesStaySmall(t *testing.T) {
	var r rawValues[float64]
	r.add(1.5)
	if cap(r.cur) != rawChunkMin {
		t.Errorf("first chunk cap %d, want %d", cap(r.cur), rawChunkMin)
	}
}
