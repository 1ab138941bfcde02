package aggregator

import "github.com/mlperf-tools/aggregator/pkg/events"

// TokenMetric names the series a token count feeds.
type TokenMetric uint8

// Token-derived series.
const (
	TokenISL TokenMetric = iota
	TokenOSL
	TokenTPOT
)

// TokenJob is one unit of token work produced by a trigger: count the
// tokens of the input carried by Data (a copy of the record's raw data
// array) the way Metric requires, then call Aggregator.RecordTokens on the
// goroutine that owns the aggregator.
type TokenJob struct {
	Metric TokenMetric
	Kind   events.DataKind
	Data   []byte
	// WindowNs is complete - recv_first for TPOT.
	WindowNs int64
}

// TokenSink queues token work. Enqueue must be O(1) and must not block:
// it runs on the fold's hot path.
type TokenSink interface {
	Enqueue(job TokenJob)
	// Pending is the number of jobs enqueued and not yet recorded
	// (the snapshot's n_pending_tasks).
	Pending() int64
}

// fireISL applies the ISL trigger of an ISSUED record: token_ids count at
// once (even without a tokenizer); text and messages go to the sink.
func (a *Aggregator) fireISL(r *events.Record) {
	if r.DataKind != events.DataPromptData {
		return
	}
	if r.TokenIDs >= 0 {
		a.reg.Record(a.isl, int64(r.TokenIDs))
		return
	}
	if a.tokens != nil {
		a.tokens.Enqueue(TokenJob{Metric: TokenISL, Kind: r.DataKind, Data: append([]byte(nil), r.Data...)})
	}
}

// fireOutput applies the OSL and TPOT triggers of a COMPLETE record.
func (a *Aggregator) fireOutput(r *events.Record, row *row) {
	if r.DataKind != events.DataTextModelOutput {
		return
	}
	data := append([]byte(nil), r.Data...)
	a.tokens.Enqueue(TokenJob{Metric: TokenOSL, Kind: r.DataKind, Data: data})
	if a.streaming && row.recvFirst != none {
		a.tokens.Enqueue(TokenJob{Metric: TokenTPOT, Kind: r.DataKind, Data: data, WindowNs: r.TimestampNs - row.recvFirst})
	}
}

// RecordTokens records the token count of a finished job. For TPOT a
// count <= 0 records nothing, as upstream.
func (a *Aggregator) RecordTokens(job *TokenJob, count int) {
	switch job.Metric {
	case TokenISL:
		a.reg.Record(a.isl, int64(count))
	case TokenOSL:
		a.reg.Record(a.osl, int64(count))
	case TokenTPOT:
		if count > 0 && a.tpot >= 0 {
			a.reg.RecordFloat(a.tpot, float64(job.WindowNs)/float64(count))
		}
	}
}
