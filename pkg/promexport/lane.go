package promexport

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// Lane counts the worker processes of one token lane (live or drain). Its
// counters are atomics written by the lane's goroutines through the
// StartFunc Wrap returns and read by the collector; the owner only wraps.
type Lane struct {
	starts, restarts, failures, running atomic.Int64

	mu   sync.Mutex
	seen map[string]bool // CPU sets a worker has run on
}

// Wrap returns start counting into l: starts, failed starts, workers up,
// and restarts (a worker started on CPUs where an earlier one ran, which
// the lanes do only after a worker died).
func (l *Lane) Wrap(start tokwork.StartFunc) tokwork.StartFunc {
	return func(ctx context.Context, cpus []int, procs int) (tokwork.Worker, error) {
		w, err := start(ctx, cpus, procs)
		if err != nil {
			if ctx.Err() == nil { // not a cancelled lane
				l.failures.Add(1)
			}
			return nil, err
		}
		key := fmt.Sprint(cpus)
		l.mu.Lock()
		again := l.seen[key]
		if l.seen == nil {
			l.seen = make(map[string]bool)
		}
		l.seen[key] = true
		l.mu.Unlock()
		if again {
			l.restarts.Add(1)
		}
		l.starts.Add(1)
		l.running.Add(1)
		return &laneWorker{Worker: w, l: l}, nil
	}
}

// state is the lane's state for the collector: none when the owner does
// not run it, else running while a worker is up, starting before the
// first one came up, restarting between a worker's end and the next.
func (l *Lane) state(active bool) string {
	switch {
	case !active:
		return "none"
	case l.running.Load() > 0:
		return "running"
	case l.starts.Load() == 0:
		return "starting"
	}
	return "restarting"
}

// laneWorker is a counted worker: it leaves the running count once, when
// it is closed or killed (both may be called, Kill concurrently).
type laneWorker struct {
	tokwork.Worker
	l    *Lane
	gone atomic.Bool
}

func (w *laneWorker) down() {
	if w.gone.CompareAndSwap(false, true) {
		w.l.running.Add(-1)
	}
}

func (w *laneWorker) Close() error {
	defer w.down()
	return w.Worker.Close()
}

func (w *laneWorker) Kill() {
	defer w.down()
	w.Worker.Kill()
}
