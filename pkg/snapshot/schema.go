package snapshot

import "strconv"

// The metric schema (UPSTREAM.md §3): every counter and series a snapshot
// carries, named once here for the aggregator that registers them and for
// every reader (report, watch, the demo, Prometheus).

// Counter names, in registration (= snapshot) order.
const (
	TotalSamplesIssued               = "total_samples_issued"
	TotalSamplesCompleted            = "total_samples_completed"
	TotalSamplesFailed               = "total_samples_failed"
	TrackedSamplesIssued             = "tracked_samples_issued"
	TrackedSamplesCompleted          = "tracked_samples_completed"
	TrackedSamplesFailed             = "tracked_samples_failed"
	TrackedFinishReasonStop          = "tracked_finish_reason_stop"
	TrackedFinishReasonLength        = "tracked_finish_reason_length"
	TrackedFinishReasonToolCalls     = "tracked_finish_reason_tool_calls"
	TrackedFinishReasonContentFilter = "tracked_finish_reason_content_filter"
	TrackedFinishReasonFunctionCall  = "tracked_finish_reason_function_call"
	TrackedFinishReasonOther         = "tracked_finish_reason_other"
	TrackedDurationNs                = "tracked_duration_ns"
	LegacyLoadgenWindowDurationNs    = "legacy_loadgen_window_duration_ns"
	TotalDurationNs                  = "total_duration_ns"
)

// FinishReasonPrefix starts the name of every finish-reason counter; the
// rest of the name is the reason ("stop", "other").
const FinishReasonPrefix = "tracked_finish_reason_"

// CounterNames lists the counters in registration order.
var CounterNames = [...]string{
	TotalSamplesIssued, TotalSamplesCompleted, TotalSamplesFailed,
	TrackedSamplesIssued, TrackedSamplesCompleted, TrackedSamplesFailed,
	TrackedFinishReasonStop, TrackedFinishReasonLength, TrackedFinishReasonToolCalls,
	TrackedFinishReasonContentFilter, TrackedFinishReasonFunctionCall, TrackedFinishReasonOther,
	TrackedDurationNs, LegacyLoadgenWindowDurationNs, TotalDurationNs,
}

// Series names.
const (
	SampleLatencyNs = "sample_latency_ns"
	ISL             = "isl"
	OSL             = "osl"
	TTFTNs          = "ttft_ns"
	ChunkDeltaNs    = "chunk_delta_ns"
	TPOTNs          = "tpot_ns"
)

// CoreSeries are registered in every run, StreamingSeries only with
// --streaming; each in registration order.
var (
	CoreSeries      = [...]string{SampleLatencyNs, ISL, OSL}
	StreamingSeries = [...]string{TTFTNs, ChunkDeltaNs, TPOTNs}
)

// The accessors below have one rule for a value the snapshot does not
// carry: they say so (ok false, or a nil *Series) and leave the
// presentation ("-", N/A, null, 0) to the caller.

// CounterValue returns the named counter's value and whether s has it.
func (s *Snapshot) CounterValue(name string) (float64, bool) {
	for i := range s.Counters {
		if s.Counters[i].Name == name {
			return s.Counters[i].Value.Value(), true
		}
	}
	return 0, false
}

// FindSeries returns the named series of s, or nil.
func (s *Snapshot) FindSeries(name string) *Series {
	for i := range s.Series {
		if s.Series[i].Name == name {
			return &s.Series[i]
		}
	}
	return nil
}

// Percentile returns the series' percentile p (the grid key is compared as
// a number, so 50 finds "50.0") and whether the series has it. An empty
// series reports its percentiles as 0 (upstream's form): check Count.
func (se *Series) Percentile(p float64) (float64, bool) {
	for _, q := range se.Percentiles {
		if q.Key == FormatPyFloat(p) {
			return q.Value, true
		}
	}
	for _, q := range se.Percentiles {
		if k, err := strconv.ParseFloat(q.Key, 64); err == nil && k == p {
			return q.Value, true
		}
	}
	return 0, false
}
