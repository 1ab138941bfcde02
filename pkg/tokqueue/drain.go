package tokqueue

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Drain defaults.
const (
	// DefaultWarmTimeout bounds the parallel start-up of the drain
	// workers (upstream: 25 s).
	DefaultWarmTimeout = 25 * time.Second
	// DefaultSubBatchBytes and DefaultSubBatchItems bound one request to
	// a drain worker: a timeout or a crash loses only the progress of the
	// sub-batch in flight.
	DefaultSubBatchBytes = 1 << 20
	DefaultSubBatchItems = 512
)

// DrainConfig configures the end-of-run drain.
type DrainConfig struct {
	Start StartFunc
	// Blocks are the CPU blocks, one worker per block, pinned to it.
	Blocks [][]int
	// Procs overrides each worker's parallelism (0: the block's size).
	Procs         int
	WarmTimeout   time.Duration
	SubBatchBytes int
	SubBatchItems int
	Log           *slog.Logger
}

func (c *DrainConfig) defaults() {
	if c.WarmTimeout <= 0 {
		c.WarmTimeout = DefaultWarmTimeout
	}
	if c.SubBatchBytes <= 0 {
		c.SubBatchBytes = DefaultSubBatchBytes
	}
	if c.SubBatchItems <= 0 {
		c.SubBatchItems = DefaultSubBatchItems
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// RunDrain counts every text of b (a TakeAll batch): it starts one worker
// per block in parallel (a worker that fails to come up within the warm-up
// budget is logged and skipped), splits b.Texts into one contiguous chunk
// per worker balanced by total text length, and has each worker count its
// chunk in sub-batches, sending each sub-batch's Outcome on out. A worker
// that fails (dies, ctx ends) is killed and reaped; the rest of its chunk
// is not retried elsewhere and stays pending. RunDrain returns once every
// worker has exited; it never blocks on out after ctx ends.
func RunDrain(ctx context.Context, cfg DrainConfig, b *Batch, out chan<- Outcome) {
	cfg.defaults()
	log := cfg.Log
	if b == nil || len(b.Texts) == 0 {
		return
	}
	t0 := time.Now()
	workers := startWorkers(ctx, cfg)
	if len(workers) == 0 {
		log.Error("no drain worker came up; every queued item stays pending", "blocks", len(cfg.Blocks))
		return
	}
	log.Info("drain workers ready", "workers", len(workers), "of", len(cfg.Blocks), "warm_ms", time.Since(t0).Milliseconds(),
		"texts", len(b.Texts))
	bounds := splitByLength(b.Texts, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			countChunk(ctx, cfg, w, b, bounds[i], bounds[i+1], out)
		}()
	}
	wg.Wait()
}

// startWorkers starts one worker per block in parallel, bounded by the
// warm-up budget, and returns the ones that came up, in block order.
func startWorkers(ctx context.Context, cfg DrainConfig) []Worker {
	wctx, cancel := context.WithTimeout(ctx, cfg.WarmTimeout)
	defer cancel()
	ws := make([]Worker, len(cfg.Blocks))
	var wg sync.WaitGroup
	for i, blk := range cfg.Blocks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			procs := cfg.Procs
			if procs <= 0 {
				procs = max(1, len(blk))
			}
			w, err := cfg.Start(wctx, blk, procs)
			if err != nil {
				cfg.Log.Warn("drain worker failed to start; continuing without it", "block", i, "cpus", cpusString(blk), "err", err)
				return
			}
			cfg.Log.Debug("drain worker started", "block", i, "pid", w.Pid(), "cpus", cpusString(blk), "procs", procs)
			ws[i] = w
		}()
	}
	wg.Wait()
	var up []Worker
	for _, w := range ws {
		if w != nil {
			up = append(up, w)
		}
	}
	if ctx.Err() != nil {
		for _, w := range up {
			w.Kill()
		}
		return nil
	}
	return up
}

// countChunk counts b.Texts[lo:hi] on w in sub-batches.
func countChunk(ctx context.Context, cfg DrainConfig, w Worker, b *Batch, lo, hi int, out chan<- Outcome) {
	for i := lo; i < hi; {
		j, size := i, 0
		for j < hi && j-i < cfg.SubBatchItems && (j == i || size+len(b.Texts[j]) <= cfg.SubBatchBytes) {
			size += len(b.Texts[j])
			j++
		}
		res, err := w.Count(ctx, b.Texts[i:j])
		if err == nil && len(res) != j-i {
			err = errCountMismatch(len(res), j-i)
		}
		if err != nil {
			if ctx.Err() == nil {
				cfg.Log.Warn("drain worker failed; the rest of its chunk stays pending",
					"pid", w.Pid(), "err", err, "uncounted_texts", hi-i)
			}
			w.Kill()
			return
		}
		select {
		case out <- Outcome{Batch: b, From: i, Results: res}:
		case <-ctx.Done():
			w.Kill()
			return
		}
		i = j
	}
	if err := w.Close(); err != nil {
		cfg.Log.Debug("drain worker close", "pid", w.Pid(), "err", err)
	}
}

// splitByLength returns n+1 boundaries cutting texts into n contiguous
// chunks of near-equal total length (a chunk may be empty).
func splitByLength(texts []string, n int) []int {
	total := 0
	for _, s := range texts {
		total += len(s) + 1 // +1: an empty text still costs a slot
	}
	bounds := make([]int, n+1)
	acc, k := 0, 1
	for i, s := range texts {
		acc += len(s) + 1
		for k < n && acc*n >= total*k {
			bounds[k] = i + 1
			k++
		}
	}
	for ; k <= n; k++ {
		bounds[k] = len(texts)
	}
	return bounds
}

// DrainSync is the drain for a caller without a select loop (replay): it
// takes the whole queue, runs RunDrain and applies the outcomes on the
// calling goroutine, then records what can be recorded (Sweep).
func DrainSync(ctx context.Context, q *Queue, cfg DrainConfig) {
	b := q.TakeAll()
	if b == nil {
		q.Sweep()
		return
	}
	out := make(chan Outcome, 16)
	done := make(chan struct{})
	go func() {
		RunDrain(ctx, cfg, b, out)
		close(done)
	}()
	for {
		select {
		case o := <-out:
			q.Handle(o)
		case <-done:
			for {
				select {
				case o := <-out:
					q.Handle(o)
				default:
					q.Sweep()
					return
				}
			}
		}
	}
}
