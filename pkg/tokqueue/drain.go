package tokqueue

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/tokwork"
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
	// DefaultMaxRestarts bounds how often one drain worker is restarted
	// after dying (a hostile chat template kills its worker: each death
	// gives up at most one item, see countChunk).
	DefaultMaxRestarts = 64
)

// DrainConfig configures the end-of-run drain.
type DrainConfig struct {
	Start tokwork.StartFunc
	// Blocks are the CPU blocks, one worker per block, pinned to it.
	Blocks [][]int
	// Procs overrides each worker's parallelism (0: the block's size).
	Procs         int
	WarmTimeout   time.Duration
	SubBatchBytes int
	SubBatchItems int
	MaxRestarts   int
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
	if c.MaxRestarts <= 0 {
		c.MaxRestarts = DefaultMaxRestarts
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
// that dies on a sub-batch is killed, reaped and restarted on its block,
// and that sub-batch is counted again item by item: an item that kills the
// worker on its own fails (it stays pending), the others are counted. A
// worker that cannot be restarted (or has died MaxRestarts times) leaves
// the rest of its chunk pending. RunDrain returns once every worker has
// exited; it never blocks on out after ctx ends.
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
	plan := make([]Chunk, len(workers))
	for i, w := range workers {
		w.index = i
		plan[i] = Chunk{PID: w.w.Pid(), CPUs: cpusString(w.cpus), From: bounds[i], To: bounds[i+1]}
		for _, s := range b.Texts[bounds[i]:bounds[i+1]] {
			plan[i].Bytes += len(s)
		}
	}
	if !send(ctx, out, Outcome{Batch: b, Plan: plan, Worker: -1}) {
		for _, w := range workers {
			w.kill()
		}
		return
	}
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

// drainWorker is one drain worker and what it takes to restart it. It
// belongs to the goroutine counting its chunk.
type drainWorker struct {
	w        tokwork.Worker
	cpus     []int
	procs    int
	restarts int
	index    int // in the drain's plan
}

// ensure restarts the worker if it is dead (and tells the owner, on out);
// false when it cannot be.
func (d *drainWorker) ensure(ctx context.Context, cfg DrainConfig, b *Batch, out chan<- Outcome) bool {
	if d.w != nil {
		return true
	}
	if d.restarts >= cfg.MaxRestarts || ctx.Err() != nil {
		return false
	}
	d.restarts++
	t0 := time.Now()
	w, err := cfg.Start(ctx, d.cpus, d.procs)
	if err != nil {
		if ctx.Err() == nil {
			cfg.Log.Warn("drain worker failed to restart", "cpus", cpusString(d.cpus), "err", err)
		}
		return false
	}
	d.w = w
	cfg.Log.Info("drain worker restarted", "pid", w.Pid(), "cpus", cpusString(d.cpus), "restart_ms", time.Since(t0).Milliseconds(),
		"restarts", d.restarts)
	return send(ctx, out, Outcome{Batch: b, Worker: d.index, Restarted: w.Pid()})
}

func (d *drainWorker) kill() {
	if d.w != nil {
		d.w.Kill()
		d.w = nil
	}
}

// count counts b's payloads [i,j) on the worker; an error kills it.
func (d *drainWorker) count(ctx context.Context, b *Batch, i, j int) ([]tokwork.Result, error) {
	res, err := d.w.Count(ctx, b.Texts[i:j], b.KindsOf(i, j))
	if err == nil && len(res) != j-i {
		err = errCountMismatch(len(res), j-i)
	}
	if err != nil {
		d.kill()
	}
	return res, err
}

// startWorkers starts one worker per block in parallel, bounded by the
// warm-up budget, and returns the ones that came up, in block order.
func startWorkers(ctx context.Context, cfg DrainConfig) []*drainWorker {
	wctx, cancel := context.WithTimeout(ctx, cfg.WarmTimeout)
	defer cancel()
	ws := make([]*drainWorker, len(cfg.Blocks))
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
			ws[i] = &drainWorker{w: w, cpus: blk, procs: procs}
		}()
	}
	wg.Wait()
	var up []*drainWorker
	for _, w := range ws {
		if w != nil {
			up = append(up, w)
		}
	}
	if ctx.Err() != nil {
		for _, w := range up {
			w.kill()
		}
		return nil
	}
	return up
}

// countChunk counts b.Texts[lo:hi] on w in sub-batches.
func countChunk(ctx context.Context, cfg DrainConfig, w *drainWorker, b *Batch, lo, hi int, out chan<- Outcome) {
	defer func() {
		if ctx.Err() != nil {
			w.kill()
		} else if w.w != nil {
			if err := w.w.Close(); err != nil {
				cfg.Log.Debug("drain worker close", "pid", w.w.Pid(), "err", err)
			}
		}
	}()
	for i := lo; i < hi; {
		j, size := i, 0
		for j < hi && j-i < cfg.SubBatchItems && (j == i || size+len(b.Texts[j]) <= cfg.SubBatchBytes) {
			size += len(b.Texts[j])
			j++
		}
		if !w.ensure(ctx, cfg, b, out) {
			if ctx.Err() == nil {
				cfg.Log.Warn("drain worker gone; the rest of its chunk stays pending", "cpus", cpusString(w.cpus),
					"restarts", w.restarts, "uncounted_texts", hi-i)
			}
			return
		}
		pid := w.w.Pid()
		res, err := w.count(ctx, b, i, j)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			cfg.Log.Warn("drain worker died; restarting it and counting its sub-batch item by item",
				"pid", pid, "err", err, "items", j-i)
			if !isolate(ctx, cfg, w, b, i, j, out) {
				return
			}
			i = j
			continue
		}
		if !send(ctx, out, Outcome{Batch: b, From: i, Results: res, Worker: w.index}) {
			return
		}
		i = j
	}
}

// isolate counts b's payloads [i,j) one per request after a worker died on
// them: an item that kills the (restarted) worker again is the culprit and
// fails; the rest are counted. False when the worker cannot go on.
func isolate(ctx context.Context, cfg DrainConfig, w *drainWorker, b *Batch, i, j int, out chan<- Outcome) bool {
	for k := i; k < j; k++ {
		if !w.ensure(ctx, cfg, b, out) {
			if ctx.Err() == nil {
				cfg.Log.Warn("drain worker gone; the rest of its chunk stays pending", "cpus", cpusString(w.cpus),
					"restarts", w.restarts)
			}
			return false
		}
		res, err := w.count(ctx, b, k, k+1)
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			kind := "text"
			if b.Kinds != nil {
				kind = b.Kinds[k].String()
			}
			cfg.Log.Warn("an item killed its drain worker; it stays pending (n_pending_tasks)", "kind", kind, "err", err)
			res = []tokwork.Result{{Count: -1, Err: "killed its worker: " + err.Error()}}
		}
		if !send(ctx, out, Outcome{Batch: b, From: k, Results: res, Worker: w.index}) {
			return false
		}
	}
	return true
}

// send delivers o unless ctx ends first.
func send(ctx context.Context, out chan<- Outcome, o Outcome) bool {
	select {
	case out <- o:
		return true
	case <-ctx.Done():
		return false
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
