// Package aggregator folds decoded sample events into the metrics registry:
// the per-sample table, the trigger rules (latency, TTFT, chunk deltas,
// TPOT, ISL, OSL), the counters, tracked blocks and the legacy LoadGen
// window. It is the Go counterpart of upstream's MetricsAggregatorService
// .process and MetricsTable, without any I/O: the daemon, replay and the
// demo all drive the same Aggregator, so they give identical snapshots.
//
// An Aggregator is owned by one goroutine; nothing in it is synchronised.
package aggregator

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/mlperf-tools/aggregator/internal/testhook"
	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/metrics"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// HDR bounds of the live view, as upstream.
const (
	nsHDRLow     = 1
	nsHDRHigh    = 3_600_000_000_000 // one hour in ns
	tokenHDRLow  = 1
	tokenHDRHigh = 10_000_000
)

const (
	cTotalIssued = iota
	cTotalCompleted
	cTotalFailed
	cTrackedIssued
	cTrackedCompleted
	cTrackedFailed
	cFinishStop
	cFinishLength
	cFinishToolCalls
	cFinishContentFilter
	cFinishFunctionCall
	cFinishOther
	cTrackedDuration
	cLegacyWindow
	cTotalDuration
	numCounters
)

// Config configures an Aggregator.
type Config struct {
	// Streaming registers ttft_ns, chunk_delta_ns and tpot_ns.
	Streaming bool
	// SigFigs is the HDR precision of the live view (default 3).
	SigFigs int
	// Buckets is the histogram bucket count per series (default 30).
	Buckets int
	// EarlyStopping, when non-nil, adds early-stopping estimates to the
	// tail-latency series of the final snapshot.
	EarlyStopping *metrics.EarlyStoppingSpec
	// NewTokens makes the sink of the text and chat-template token work,
	// recording into the new Aggregator (it is called once, by New, with
	// the Aggregator as the Recorder); nil means no tokenizer: only
	// pre-tokenized prompts (token_ids) produce ISL.
	NewTokens func(rec tokwork.Recorder) tokwork.Sink
	// Log receives the aggregator's warnings; nil means slog.Default().
	Log *slog.Logger
}

// Result reports what a Process call saw that the caller must act on.
type Result struct {
	// Started is true when this call processed the run's first STARTED.
	Started bool
	// Ended is true when this call processed ENDED; records after it
	// were ignored, and every later call ignores everything.
	Ended bool
}

// Aggregator folds events into a metrics.Registry.
type Aggregator struct {
	reg      *metrics.Registry
	counters [numCounters]metrics.CounterID

	latency, isl, osl, ttft, chunkDelta, tpot metrics.SeriesID
	streaming                                 bool

	table  *Table
	tokens tokwork.Sink
	log    *slog.Logger

	started       bool
	sessionStart  int64
	totalDuration int64
	ended         bool
	interrupted   bool
	state         snapshot.State

	processed int64
}

// New registers the counters and series of cfg on a new registry and
// returns an Aggregator in state Initialize.
func New(cfg Config) (*Aggregator, error) {
	if cfg.SigFigs == 0 {
		cfg.SigFigs = metrics.DefaultSigFigs
	}
	if cfg.Buckets == 0 {
		cfg.Buckets = metrics.DefaultBuckets
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	a := &Aggregator{
		reg:          metrics.NewRegistry(cfg.EarlyStopping, cfg.Log),
		streaming:    cfg.Streaming,
		table:        NewTable(),
		log:          cfg.Log,
		sessionStart: none,
		latency:      -1, isl: -1, osl: -1, ttft: -1, chunkDelta: -1, tpot: -1,
	}
	for i, name := range snapshot.CounterNames {
		id, err := a.reg.RegisterCounter(name)
		if err != nil {
			return nil, fmt.Errorf("register counter %s: %w", name, err)
		}
		a.counters[i] = id
	}
	ns := metrics.SeriesOpts{HDRLow: nsHDRLow, HDRHigh: nsHDRHigh, SigFigs: cfg.SigFigs, Buckets: cfg.Buckets}
	tok := metrics.SeriesOpts{HDRLow: tokenHDRLow, HDRHigh: tokenHDRHigh, SigFigs: cfg.SigFigs, Buckets: cfg.Buckets}
	tail := ns
	tail.TailLatency = true
	tpot := tail
	tpot.Float = true
	type seriesReg struct {
		name string
		opts metrics.SeriesOpts
		id   *metrics.SeriesID
	}
	regs := []seriesReg{
		{snapshot.SampleLatencyNs, tail, &a.latency},
		{snapshot.ISL, tok, &a.isl},
		{snapshot.OSL, tok, &a.osl},
	}
	if cfg.Streaming {
		regs = append(regs,
			seriesReg{snapshot.TTFTNs, tail, &a.ttft},
			seriesReg{snapshot.ChunkDeltaNs, ns, &a.chunkDelta},
			seriesReg{snapshot.TPOTNs, tpot, &a.tpot},
		)
	}
	for _, r := range regs {
		id, err := a.reg.RegisterSeries(r.name, r.opts)
		if err != nil {
			return nil, fmt.Errorf("register series %s: %w", r.name, err)
		}
		*r.id = id
	}
	if cfg.NewTokens != nil {
		a.tokens = cfg.NewTokens(a)
	}
	return a, nil
}

// Registry returns the registry the aggregator records into.
func (a *Aggregator) Registry() *metrics.Registry { return a.reg }

// Table returns the per-sample table.
func (a *Aggregator) Table() *Table { return a.table }

// State returns the session state: Initialize, Live after STARTED,
// Draining after ENDED.
func (a *Aggregator) State() snapshot.State { return a.state }

// Ended reports whether ENDED has been processed.
func (a *Aggregator) Ended() bool { return a.ended }

// Interrupted reports whether the session's INTERRUPTED marker arrived
// before ENDED: the run was stopped early, so its final snapshot is
// tagged interrupted even when ENDED drives it.
func (a *Aggregator) Interrupted() bool { return a.interrupted }

// FinalState is the state of the final snapshot an ENDED-driven
// finalization writes: Interrupted after the INTERRUPTED marker, else
// Complete (upstream #409's publish_final(interrupted=...)).
func (a *Aggregator) FinalState() snapshot.State {
	if a.interrupted {
		return snapshot.Interrupted
	}
	return snapshot.Complete
}

// Processed returns the number of records handed to Process (including
// the ones ignored after ENDED).
func (a *Aggregator) Processed() int64 { return a.processed }

// Pending returns the token work enqueued and not yet recorded.
func (a *Aggregator) Pending() int64 {
	if a.tokens == nil {
		return 0
	}
	return a.tokens.Pending()
}

// Process folds recs in order. It stops at ENDED: later records (in this
// call or any later one) are ignored, as upstream ignores them.
func (a *Aggregator) Process(recs []events.Record) Result {
	var res Result
	a.processed += int64(len(recs))
	if a.ended {
		return res
	}
	reg, t := a.reg, a.table
	for i := range recs {
		r := &recs[i]
		if r.Type == events.TypeUnknown {
			// A payload upstream's codec re-raises on: lost there, so
			// it touches nothing here either (the decoder counted it).
			continue
		}
		ts := r.TimestampNs
		if a.started {
			if elapsed := ts - a.sessionStart; elapsed > a.totalDuration {
				a.totalDuration = elapsed
				reg.Set(a.counters[cTotalDuration], elapsed)
			}
		}
		switch {
		case r.Type.IsSession():
			if r.Type == events.SessionEnded {
				a.ended = true
				a.state = snapshot.Draining
				res.Ended = true
				return res
			}
			a.sessionEvent(r, &res)
		case r.Type.IsError():
			reg.Inc(a.counters[cTotalFailed])
			if len(r.SampleUUID) > 0 && t.has(r.SampleUUID) {
				reg.Inc(a.counters[cTrackedFailed])
			}
		case r.Type.IsSample():
			if len(r.SampleUUID) == 0 {
				continue
			}
			a.sampleEvent(r)
		}
	}
	return res
}

func (a *Aggregator) sessionEvent(r *events.Record, res *Result) {
	t := a.table
	switch r.Type {
	case events.SessionStarted:
		if a.started {
			a.log.Error("duplicate STARTED event ignored; the producer must emit STARTED once per session",
				"original_ts", a.sessionStart, "duplicate_ts", r.TimestampNs)
		} else {
			a.started = true
			a.sessionStart = r.TimestampNs
			a.state = snapshot.Live
			res.Started = true
		}
		t.sessionStart = r.TimestampNs
	case events.SessionInterrupted:
		// Latched only: no counter, no tracking change, the live state
		// stays live (total_duration_ns already moved above).
		if !a.interrupted {
			a.log.Info("INTERRUPTED marker received; the final snapshot will be tagged state=interrupted")
		}
		a.interrupted = true
	case events.SessionStartPerformanceTracking:
		t.startTracking(r.TimestampNs)
	case events.SessionStopPerformanceTracking:
		t.stopTracking()
		a.RefreshDurations()
	}
}

func (a *Aggregator) sampleEvent(r *events.Record) {
	reg, t := a.reg, a.table
	ts := r.TimestampNs
	switch r.Type {
	case events.SampleIssued:
		if t.tracking {
			row, _ := t.create(r.SampleUUID)
			row.block = int32(len(t.blocks) - 1)
			if t.windowStart == none {
				t.windowStart = ts
			}
			a.fireISL(r)
			row.issued = ts
		}
		reg.Inc(a.counters[cTotalIssued])
		if t.tracking || t.has(r.SampleUUID) {
			reg.Inc(a.counters[cTrackedIssued])
		}
	case events.SampleRecvFirst:
		row := t.lookup(r.SampleUUID)
		if row == nil {
			return
		}
		if a.streaming && row.issued != none {
			reg.Record(a.ttft, ts-row.issued)
		}
		row.recvFirst = ts
		a.recv(row, ts)
	case events.SampleRecvNonFirst:
		if row := t.lookup(r.SampleUUID); row != nil {
			a.recv(row, ts)
		}
	case events.SampleComplete:
		row := t.lookup(r.SampleUUID)
		if row != nil {
			if row.issued != none {
				reg.Record(a.latency, ts-row.issued)
			}
			if a.tokens != nil {
				a.fireOutput(r, row)
			}
			t.completed(row, ts)
			t.remove(r.SampleUUID)
		}
		reg.Inc(a.counters[cTotalCompleted])
		if row != nil {
			reg.Inc(a.counters[cTrackedCompleted])
			if r.HasFinish {
				reg.Inc(a.counters[finishCounter(r.FinishReason)])
			}
		}
	}
}

// recv applies a LAST_RECV update: the chunk delta from the previous
// receive, then the new last receive time.
func (a *Aggregator) recv(row *row, ts int64) {
	if a.streaming && row.lastRecv != none {
		a.reg.Record(a.chunkDelta, ts-row.lastRecv)
	}
	row.lastRecv = ts
}

func finishCounter(reason []byte) int {
	switch string(reason) {
	case "stop":
		return cFinishStop
	case "length":
		return cFinishLength
	case "tool_calls":
		return cFinishToolCalls
	case "content_filter":
		return cFinishContentFilter
	case "function_call":
		return cFinishFunctionCall
	}
	return cFinishOther
}

// RefreshDurations sets tracked_duration_ns and the legacy LoadGen window
// from the table, as upstream does at STOP_PERFORMANCE_TRACKING, before the
// final snapshot and in the SIGTERM path.
func (a *Aggregator) RefreshDurations() {
	a.reg.Set(a.counters[cTrackedDuration], a.table.TrackedDurationNs())
	a.reg.Set(a.counters[cLegacyWindow], a.table.LoadgenWindowNs())
}

// Build fills dst with a snapshot in the given state (exact statistics
// for snapshot.Complete, HDR-derived otherwise).
func (a *Aggregator) Build(dst *snapshot.Snapshot, state snapshot.State, pending int64, nowNs int64) {
	a.reg.Build(dst, state, pending, nowNs)
}

// Finalize builds the terminal snapshot into snap and writes it atomically
// to dir/final_snapshot.json: refresh the tracked-duration and LoadGen
// window counters (as upstream does before publish_final and in its SIGTERM
// path), build (exact statistics for Complete), write. A write failure is
// logged and returned; snap is filled either way so the caller can still
// publish it. The daemon and replay both finish through it.
func (a *Aggregator) Finalize(snap *snapshot.Snapshot, dir string, state snapshot.State) error {
	testhook.Pause("finalize.build")
	a.RefreshDurations()
	pending := a.Pending()
	if state == snapshot.Complete && pending > 0 {
		a.log.Warn("tokenizer drain incomplete", "n_pending_tasks", pending)
	}
	a.Build(snap, state, pending, events.MonotonicNs())
	path := filepath.Join(dir, snapshot.FinalFileName)
	testhook.Pause("finalize.write")
	if err := snapshot.WriteFinal(dir, snap); err != nil {
		a.log.Error("writing final snapshot failed", "path", path, "err", err)
		return fmt.Errorf("write final snapshot %s: %w", path, err)
	}
	a.log.Info("final snapshot written", "path", path, "state", state.String(), "n_pending_tasks", pending,
		"records", a.processed)
	return nil
}
