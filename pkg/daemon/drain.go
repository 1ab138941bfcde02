package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/mlperf-tools/aggregator/pkg/progress"
	"github.com/mlperf-tools/aggregator/pkg/tokqueue"
)

// liveStopWait bounds how long stopping the live lane waits for its
// goroutine (its worker is killed first).
const liveStopWait = 2 * time.Second

// drainReapWait bounds how long the owner waits, after cancelling the
// drain, for its workers to be killed and reaped before finalizing.
const drainReapWait = 500 * time.Millisecond

// drainRun is a drain in progress (owner-only, except the channels).
type drainRun struct {
	start    time.Time
	budget   time.Duration // 0 = unlimited
	progress *tokqueue.DrainProgress
	// report ticks the progress report: the bar on a terminal
	// (Config.Progress), else a log line per second.
	report  *time.Ticker
	cancel  context.CancelFunc
	done    chan struct{} // closed when every drain worker has exited
	expired chan struct{} // closed when --drain-timeout expires
	timer   *time.Timer
}

// startLive starts the live lane at the first STARTED when a tokenizer is
// set and --tokenizer-workers > 0.
func (o *owner) startLive() {
	if o.tokens == nil || o.live != nil || o.drain != nil || o.cfg.TokenizerWorkers == 0 {
		return
	}
	lc := o.tokens.LiveConfig(o.cfg.TokenizerWorkers)
	if o.exp != nil {
		lc.Start = o.exp.Live.Wrap(lc.Start)
	}
	o.live = tokqueue.StartLive(lc, o.results)
}

// flushLive hands the next bounded batch to the live lane when it is idle.
func (o *owner) flushLive() {
	if o.live == nil || o.live.Busy() {
		return
	}
	if b := o.queue.TakeLive(tokqueue.LiveMaxPerKind); b != nil {
		o.live.Submit(b)
	}
}

// handle applies one outcome from the live lane or the drain.
func (o *owner) handle(out tokqueue.Outcome) {
	if out.Batch.Live && o.live != nil {
		o.live.Done(out.Batch)
	}
	if d := o.drain; d != nil && !out.Batch.Live {
		d.progress.Observe(out)
	}
	o.queue.Handle(out)
}

// Progress report intervals: the terminal bar, the log line otherwise
// (Config.ProgressInterval overrides the latter).
const (
	progressBarEvery = 100 * time.Millisecond
	progressLogEvery = time.Second
)

// reportDrain shows the drain's progress: the bar in place on a terminal,
// else one log line (per progressLogEvery).
func (o *owner) reportDrain(now time.Time) {
	d := o.drain
	if o.cfg.Progress != nil {
		o.cfg.Progress.Set(progress.Drain(d.progress, now))
		return
	}
	p := d.progress
	o.log.Info("drain progress", "percent", fmt.Sprintf("%.1f", 100*p.Fraction()),
		"eta_s", fmt.Sprintf("%.1f", p.ETA(now).Seconds()), "drain", p)
}

// endDrainReport stops the report: the bar's last state stays on screen.
func (o *owner) endDrainReport() {
	d := o.drain
	if d == nil || d.report == nil {
		return
	}
	d.report.Stop()
	d.report = nil
	now := time.Now()
	if o.cfg.Progress != nil {
		o.reportDrain(now)
		o.cfg.Progress.Done()
	}
	p := d.progress
	el := now.Sub(d.start)
	o.log.Info("drain summary", "elapsed_ms", el.Milliseconds(),
		"tokens_per_s", int64(float64(p.Tokens)/max(el.Seconds(), 1e-9)), "drain", p)
}

// beginDrain starts the end-of-run drain; false when there is nothing to
// drain (no tokenizer, every job already recorded, or a zero
// --drain-timeout: then every queued job stays pending, as upstream's
// wait_for(drain, 0) leaves it, and no drain worker is started).
func (o *owner) beginDrain() bool {
	if o.queue == nil {
		return false
	}
	t0 := time.Now()
	o.stopLive()
	if o.cfg.DrainTimeout != nil && *o.cfg.DrainTimeout == 0 {
		if n := o.queue.Pending(); n > 0 {
			o.log.Warn("--drain-timeout 0: no drain; queued items stay pending", "n_pending_tasks", n)
		}
		return false
	}
	b := o.queue.TakeAll()
	if b == nil {
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &drainRun{start: t0, cancel: cancel, done: make(chan struct{}), expired: make(chan struct{}),
		progress: tokqueue.NewDrainProgress(b, t0)}
	switch {
	case o.cfg.Progress != nil:
		d.report = time.NewTicker(progressBarEvery)
	case o.cfg.ProgressInterval > 0:
		d.report = time.NewTicker(o.cfg.ProgressInterval)
	default:
		d.report = time.NewTicker(progressLogEvery)
	}
	if o.cfg.DrainTimeout != nil {
		d.budget = *o.cfg.DrainTimeout
		d.timer = time.AfterFunc(d.budget-time.Since(t0), func() { close(d.expired) })
	}
	o.drain = d
	dcfg := o.tokens.DrainConfig()
	if o.exp != nil {
		dcfg.Start = o.exp.Drain.Wrap(dcfg.Start)
	}
	o.log.Info("draining", "texts", len(b.Texts), "bytes", b.Bytes(), "n_pending_tasks", o.queue.Pending(),
		"workers", len(dcfg.Blocks))
	go func() {
		tokqueue.RunDrain(ctx, dcfg, b, o.results)
		close(d.done)
	}()
	return true
}

// stopLive stops the live lane; its in-flight batch goes back to the queue.
func (o *owner) stopLive() {
	if o.live == nil {
		return
	}
	o.queue.Requeue(o.live.Stop(liveStopWait))
	o.live = nil
}

// stopTokens ends all token work before the final snapshot: the live lane
// is stopped, a running drain is cancelled and its workers killed and
// reaped (bounded wait), outcomes already delivered are applied, and every
// job whose count is known is recorded (in queue order).
func (o *owner) stopTokens() {
	if o.queue == nil {
		return
	}
	o.stopLive()
	if d := o.drain; d != nil {
		d.cancel()
		if d.timer != nil {
			d.timer.Stop()
		}
		defer o.endDrainReport()
		select {
		case <-d.done:
		case <-time.After(drainReapWait):
			o.log.Warn("drain workers not reaped in time; they die with the daemon (Pdeathsig)")
		}
	}
	for {
		select {
		case out := <-o.results:
			o.handle(out)
			continue
		default:
		}
		break
	}
	o.queue.Sweep()
	o.queue.LogStats()
}
