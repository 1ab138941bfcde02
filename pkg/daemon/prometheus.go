package daemon

import (
	"github.com/mlperf-tools/aggregator/pkg/promexport"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// export hands the --prometheus-addr endpoint an immutable copy of snap
// (nil before the first snapshot) and of the daemon's health; nothing
// without the flag. Owner-only: it reads owner state and the transports'
// thread-safe Stats, and never blocks (an atomic pointer store).
func (o *owner) export(snap *snapshot.Snapshot) {
	if o.exp == nil {
		return
	}
	h := promexport.Health{
		Events:        o.agg.Processed(),
		DecodeErrors:  o.decodeErrors,
		FramesDropped: o.droppedFrames,
		Publisher:     o.pub.Stats(),
		LiveLane:      o.live != nil,
		DrainLane:     o.drain != nil && !isClosed(o.drain.done),
	}
	if o.sub != nil {
		h.Subscriber = o.sub.Stats()
	}
	if o.queue != nil {
		h.Tokens, h.TokenQueue, h.TokenQueueLen = true, o.queue.Stats(), o.queue.Len()
	}
	if o.drain != nil {
		h.Drain = o.drain.progress.Copy()
	}
	o.exp.Publish(snap, o.agg.State(), &h)
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// runInfo is the run's identity for aggregator_run_info: what the
// benchmark's command line says about this run.
func (c *Config) runInfo() promexport.RunInfo {
	return promexport.RunInfo{
		MetricsOutputDir: c.MetricsOutputDir,
		SocketDir:        c.SocketDir,
		SocketName:       c.SocketName,
		MetricsSocket:    c.MetricsSocket,
		ReadinessID:      c.ReadinessID,
		Tokenizer:        c.Tokenizer,
		Streaming:        c.Streaming,
	}
}
