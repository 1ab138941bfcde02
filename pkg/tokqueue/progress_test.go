package tokqueue

import (
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// TestDrainProgressObserve: the plan sets the workers' shares; results
// move items, bytes and tokens per worker and in total; a failed item is
// done but holds no tokens; a restart is counted; live outcomes are not
// drain progress.
func TestDrainProgressObserve(t *testing.T) {
	b := &Batch{Texts: []string{"aaaa", "bb", "cccccc", "d"}}
	t0 := time.Unix(100, 0)
	p := NewDrainProgress(b, t0)
	if p.Items != 4 || p.Bytes != 13 || p.Fraction() != 0 {
		t.Fatalf("start: %+v", p)
	}
	p.Observe(Outcome{Batch: b, Worker: -1, Plan: []Chunk{{PID: 11, From: 0, To: 2, Bytes: 6}, {PID: 12, From: 2, To: 4, Bytes: 7}}})
	p.Observe(Outcome{Batch: b, Worker: 1, From: 2, Results: []tokwork.Result{{Count: 3}}})
	p.Observe(Outcome{Batch: b, Worker: 0, Restarted: 13})
	p.Observe(Outcome{Batch: b, Worker: 0, From: 0, Results: []tokwork.Result{{Count: 2}, {Count: -1, Err: "killed its worker"}}})
	p.Observe(Outcome{Batch: &Batch{Live: true, Texts: []string{"live"}}, Worker: -1, Results: []tokwork.Result{{Count: 9}}})
	if p.ItemsDone != 3 || p.BytesDone != 12 || p.Tokens != 5 || p.Failed != 1 {
		t.Errorf("totals %+v", p)
	}
	w0, w1 := p.Workers[0], p.Workers[1]
	if w0.PID != 13 || w0.Restarts != 1 || w0.ItemsDone != 2 || w0.Tokens != 2 || w1.ItemsDone != 1 || w1.BytesDone != 6 {
		t.Errorf("workers %+v", p.Workers)
	}
	if f := p.Fraction(); f != 12.0/13 {
		t.Errorf("fraction %v", f)
	}
	if eta := p.ETA(t0.Add(12 * time.Second)); eta.Round(time.Millisecond) != time.Second {
		t.Errorf("ETA %v, want 1s (12 of 13 bytes in 12 s)", eta)
	}
	c := p.Copy()
	c.Workers[0].ItemsDone = 99
	if p.Workers[0].ItemsDone == 99 {
		t.Error("Copy shares the workers")
	}
}
