package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/tokqueue"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// TestLineKeepsStatusUnderLogs: a log line written while a status line is
// shown clears it, appears whole, and the status line is drawn again.
func TestLineKeepsStatusUnderLogs(t *testing.T) {
	var out bytes.Buffer
	l := NewLine(&out)
	l.Set("status 1")
	l.Write([]byte("log line\n"))
	l.Set("status 2")
	l.Done()
	l.Write([]byte("after\n"))
	want := clearLine + "status 1" + clearLine + "log line\n" + "status 1" + clearLine + "status 2" + "\n" + "after\n"
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
}

// TestDrainLine: the bar line shows the percentage by bytes, items,
// tokens, one gauge per worker, and ETA while running or the time taken
// when done.
func TestDrainLine(t *testing.T) {
	b := &tokqueue.Batch{Texts: []string{"aaaa", "bbbb"}}
	t0 := time.Unix(100, 0)
	p := tokqueue.NewDrainProgress(b, t0)
	if s := Drain(p, t0); !strings.Contains(s, "  0%") || !strings.Contains(s, "starting workers") {
		t.Errorf("start: %q", s)
	}
	p.Observe(tokqueue.Outcome{Batch: b, Worker: -1, Plan: []tokqueue.Chunk{{From: 0, To: 1, Bytes: 4}, {From: 1, To: 2, Bytes: 4}}})
	p.Observe(tokqueue.Outcome{Batch: b, Worker: 0, From: 0, Results: []tokwork.Result{{Count: 1500}}})
	s := Drain(p, t0.Add(time.Second))
	for _, want := range []string{" 50%", "1/2 items", "1.5k tok", "workers █▁", "ETA 1.0s"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
	p.Observe(tokqueue.Outcome{Batch: b, Worker: 1, From: 1, Results: []tokwork.Result{{Count: 500}}})
	s = Drain(p, t0.Add(2*time.Second))
	for _, want := range []string{"100%", "2/2 items", "2.0k tok", "workers ██", "done in 2.0s", strings.Repeat("█", barWidth)} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
}
