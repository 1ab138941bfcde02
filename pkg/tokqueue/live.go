package tokqueue

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mlperf-tools/aggregator/internal/ctxsleep"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// Live-lane restart back-off.
const (
	liveMinBackoff = 250 * time.Millisecond
	liveMaxBackoff = 10 * time.Second
)

// LiveConfig configures the live lane.
type LiveConfig struct {
	Start tokwork.StartFunc
	CPUs  []int // nil: the daemon's inherited mask (no pinning)
	Procs int   // worker parallelism (--tokenizer-workers)
	Log   *slog.Logger
}

// Live is the live lane: one worker counting one bounded batch at a time
// mid-run. The owner submits batches (Submit), receives their outcomes on
// the channel given to StartLive, and stops the lane at the drain (Stop).
// A failed batch or a dead worker → the batch's outcome carries the error
// (the owner re-queues it) and the worker is restarted with back-off.
type Live struct {
	cfg    LiveConfig
	out    chan<- Outcome
	in     chan *Batch
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	busy   *Batch // owner-only

	mu sync.Mutex
	w  tokwork.Worker
}

// StartLive starts the lane's goroutine, which starts the worker at once
// (so it is warm by the first flush).
func StartLive(cfg LiveConfig, out chan<- Outcome) *Live {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Live{cfg: cfg, out: out, in: make(chan *Batch, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go l.run()
	return l
}

// Busy reports whether a batch is in flight (owner-only).
func (l *Live) Busy() bool { return l.busy != nil }

// Submit hands b to the lane; the lane must not be busy (owner-only).
func (l *Live) Submit(b *Batch) {
	l.busy = b
	l.in <- b
}

// Done marks b's outcome as received (owner-only).
func (l *Live) Done(b *Batch) {
	if l.busy == b {
		l.busy = nil
	}
}

// Stop cancels the in-flight batch, kills the worker and waits (bounded)
// for the lane to exit. It returns the batch that was in flight, which the
// owner must Requeue.
func (l *Live) Stop(wait time.Duration) *Batch {
	l.cancel()
	l.mu.Lock()
	if l.w != nil {
		l.w.Kill()
	}
	l.mu.Unlock()
	select {
	case <-l.done:
	case <-time.After(wait):
		l.cfg.Log.Warn("live token lane did not stop in time", "wait", wait)
	}
	b := l.busy
	l.busy = nil
	return b
}

// Pid returns the live worker's pid, 0 when none is running.
func (l *Live) Pid() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return 0
	}
	return l.w.Pid()
}

func (l *Live) setWorker(w tokwork.Worker) {
	l.mu.Lock()
	l.w = w
	l.mu.Unlock()
}

func (l *Live) run() {
	defer close(l.done)
	log := l.cfg.Log
	backoff := liveMinBackoff
	var w tokwork.Worker
	defer func() {
		if w != nil {
			w.Kill()
		}
	}()
	// ensure starts the worker, retrying with back-off until ctx ends.
	ensure := func() bool {
		for w == nil {
			sw, err := l.cfg.Start(l.ctx, l.cfg.CPUs, l.cfg.Procs)
			if err == nil {
				w = sw
				l.setWorker(w)
				if l.ctx.Err() != nil { // raced with Stop
					return false
				}
				log.Info("live token worker started", "pid", w.Pid(), "procs", l.cfg.Procs, "cpus", cpusString(l.cfg.CPUs))
				return true
			}
			if l.ctx.Err() != nil {
				return false
			}
			log.Warn("live token worker failed to start; retrying", "err", err, "backoff", backoff)
			if !ctxsleep.Sleep(l.ctx, backoff) {
				return false
			}
			backoff = min(2*backoff, liveMaxBackoff)
		}
		return true
	}
	ensure()
	for {
		select {
		case <-l.ctx.Done():
			return
		case b := <-l.in:
			if !ensure() {
				return
			}
			res, err := w.Count(l.ctx, b.Texts, b.Kinds)
			if err == nil && len(res) != len(b.Texts) {
				err = errCountMismatch(len(res), len(b.Texts))
			}
			if err != nil {
				if l.ctx.Err() != nil {
					return // stopped: the owner re-queues the batch
				}
				log.Warn("live token batch failed; items re-queued, worker restarted", "err", err, "pid", w.Pid(), "backoff", backoff)
				w.Kill()
				w = nil
				l.setWorker(nil)
				// Deliver the failure first (the owner re-queues now),
				// then wait out the back-off before the next start.
				if !l.send(Outcome{Batch: b, Err: err, Died: true, Worker: -1}) || !ctxsleep.Sleep(l.ctx, backoff) {
					return
				}
				backoff = min(2*backoff, liveMaxBackoff)
				continue
			}
			backoff = liveMinBackoff
			if !l.send(Outcome{Batch: b, Results: res, Worker: -1}) {
				return
			}
		}
	}
}

func (l *Live) send(o Outcome) bool {
	select {
	case l.out <- o:
		return true
	case <-l.ctx.Done():
		return false
	}
}
