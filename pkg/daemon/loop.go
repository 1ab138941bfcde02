package daemon

import (
	"context"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/mlperf-tools/aggregator/internal/testhook"
	"github.com/mlperf-tools/aggregator/pkg/aggregator"
	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/promexport"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/tokpipe"
	"github.com/mlperf-tools/aggregator/pkg/tokqueue"
	"github.com/mlperf-tools/aggregator/pkg/transport"
)

// decodeErrorLogEvery rate-limits the decode_errors log line.
const decodeErrorLogEvery = time.Second

// owner is the state of the owner goroutine: everything in it is touched
// only from loop.
type owner struct {
	cfg Config
	log *slog.Logger
	agg *aggregator.Aggregator
	pub *transport.Publisher
	// release hands a folded frame's buffer back to the subscriber for
	// reuse; records alias the frame, so only after Process.
	release func([]byte)

	dec   events.Decoder
	batch events.Batch
	snap  snapshot.Snapshot

	// token pipeline (nil without --tokenizer)
	tokens  *tokpipe.Pipeline
	queue   *tokqueue.Queue
	results chan tokqueue.Outcome // live and drain outcomes → owner
	live    *tokqueue.Live
	drain   *drainRun

	// decode error accounting for the rate-limited log line
	decodeErrors     int64
	decodeErrorsLast int64
	lastDecodeErr    error
	droppedFrames    int64
	lastErrLog       time.Time

	// --prometheus-addr (nil without): see export.
	exp *promexport.Exporter
	sub *transport.Subscriber // for its Stats only
}

// loop folds frames until ENDED, SIGTERM or ctx cancellation, then writes
// the final snapshot. With a tokenizer, ENDED moves to DRAINING: the
// select keeps serving ticks, outcomes and signals until the drain ends,
// its budget expires (items left pending) or SIGTERM arrives
// (interrupted). An ENDED-driven final is complete, or interrupted when
// the session's INTERRUPTED marker came first.
//
// Every path to the final snapshot runs here, on the owner, once: a
// SIGTERM that arrives while an ENDED-driven finalization is writing (or
// an ENDED while a SIGTERM-driven one is) waits in its channel and is
// never served, so exactly one final_snapshot.json is written.
func (o *owner) loop(ctx context.Context, frames <-chan []byte, sigs <-chan os.Signal) {
	var tick <-chan time.Time
	var ticker *time.Ticker
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()
	o.export(nil)
	for {
		var drainDone, drainDeadline <-chan struct{}
		var drainReport <-chan time.Time
		if o.drain != nil {
			drainDone, drainDeadline = o.drain.done, o.drain.expired
			if o.drain.report != nil {
				drainReport = o.drain.report.C
			}
		}
		select {
		case frame, ok := <-frames:
			if !ok {
				// The subscriber died; without events we can only wait
				// for SIGTERM. Keep serving ticks and signals.
				frames = nil
				continue
			}
			res := o.fold(frame)
			o.release(frame)
			if res.Started {
				o.startLive()
				if every := o.tickEvery(); ticker == nil && every > 0 {
					ticker = time.NewTicker(every)
					tick = ticker.C
				}
			}
			if res.Ended {
				o.log.Info("ENDED received", "records", o.agg.Processed(), "n_pending_tasks", o.agg.Pending(),
					"interrupted", o.agg.Interrupted())
				testhook.Pause("ended")
				if o.beginDrain() {
					continue
				}
				o.finish(o.agg.FinalState())
				return
			}
		case <-tick:
			o.flushLive()
			if o.cfg.PublishInterval > 0 {
				o.publishLive()
			}
		case out := <-o.results:
			o.handle(out)
		case now := <-drainReport:
			o.reportDrain(now)
		case <-drainDone:
			o.log.Info("drain finished", "elapsed_ms", time.Since(o.drain.start).Milliseconds())
			o.finish(o.agg.FinalState())
			return
		case <-drainDeadline:
			o.log.Warn("tokenizer drain timed out; unrecorded items stay pending",
				"drain_timeout_s", o.drain.budget.Seconds(), "n_pending_tasks", o.agg.Pending())
			o.finish(o.agg.FinalState())
			return
		case s := <-sigs:
			if s == syscall.SIGINT {
				o.log.Info("SIGINT ignored; the parent's ENDED path drives shutdown")
				continue
			}
			o.log.Warn("SIGTERM received; writing INTERRUPTED final snapshot")
			o.finish(snapshot.Interrupted)
			return
		case <-ctx.Done():
			o.log.Warn("context cancelled; writing INTERRUPTED final snapshot")
			o.finish(snapshot.Interrupted)
			return
		}
	}
}

// tickEvery is the owner's tick: the live snapshot cadence, or, with
// live snapshots off, the live token lane's own cadence (the default
// publish interval) when that lane runs; 0 = no tick at all.
func (o *owner) tickEvery() time.Duration {
	switch {
	case o.cfg.PublishInterval > 0:
		return o.cfg.PublishInterval
	case o.live != nil:
		return DefaultPublishInterval
	}
	return 0
}

// fold decodes one frame and folds its records.
func (o *owner) fold(frame []byte) aggregator.Result {
	o.batch.Reset()
	if err := o.dec.DecodeFrame(frame, &o.batch); err != nil {
		o.droppedFrames++
		o.log.Error("dropping undecodable frame", "bytes", len(frame), "err", err)
		return aggregator.Result{}
	}
	if o.batch.Malformed+o.batch.Dropped > 0 {
		o.decodeErrors += int64(o.batch.Malformed + o.batch.Dropped)
		for i := range o.batch.Records {
			if err := o.batch.Records[i].Err; err != nil {
				o.lastDecodeErr = err
			}
		}
	}
	o.logDecodeErrors(false)
	return o.agg.Process(o.batch.Records)
}

// logDecodeErrors emits at most one decode_errors line per interval.
func (o *owner) logDecodeErrors(force bool) {
	n := o.decodeErrors - o.decodeErrorsLast
	if n == 0 {
		return
	}
	now := time.Now()
	if !force && now.Sub(o.lastErrLog) < decodeErrorLogEvery {
		return
	}
	o.lastErrLog = now
	o.decodeErrorsLast = o.decodeErrors
	o.log.Warn("malformed event payloads counted as error.generic",
		"decode_errors", n, "decode_errors_total", o.decodeErrors, "last_error", o.lastDecodeErr)
}

// publishLive publishes one live (or draining) snapshot.
func (o *owner) publishLive() {
	o.agg.Build(&o.snap, o.agg.State(), o.agg.Pending(), events.MonotonicNs())
	// The publisher owns the frame it is handed (it may queue it), so
	// each snapshot gets its own buffer; at 4 Hz this is noise.
	o.pub.Publish(snapshot.AppendFrame(nil, &o.snap))
	o.export(&o.snap)
}

// finish stops the token pipeline (cancels the drain, kills and reaps
// every worker, records what was counted), then writes the terminal
// snapshot.
func (o *owner) finish(state snapshot.State) {
	o.stopTokens()
	o.finalize(state)
}

// finalize writes the terminal snapshot (file first, then the wire frame).
func (o *owner) finalize(state snapshot.State) {
	o.logDecodeErrors(true)
	_ = o.agg.Finalize(&o.snap, o.cfg.MetricsOutputDir, state) // a write failure is logged there
	testhook.Pause("finalize.publish")
	// The publisher owns the frame it is handed (it may queue it), so
	// each snapshot gets its own buffer.
	o.pub.Publish(snapshot.AppendFrame(nil, &o.snap))
	o.export(&o.snap)
}
