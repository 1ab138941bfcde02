// Package events decodes the load generator's event frames: the 40-byte
// topic prefix, batch envelopes and the msgpack EventRecord map with its
// tagged data arrays, as published by the endpoints benchmark.
//
// The hot path (DecodeFrame) validates every payload the way upstream's
// msgspec decoder does, but copies nothing: a Record's byte fields alias the
// frame and stay valid until the frame buffer is reused. The data array is
// kept as raw msgpack (Record.Data) plus the few facts the fold needs;
// DecodeData materialises it, with map key order preserved, when a consumer
// (the token pipeline) needs the whole structure.
package events

// TopicSize is the fixed size of the NUL-padded topic prefix of every frame.
const TopicSize = 40

// Type is an event type. The zero value is TypeUnknown.
type Type uint8

// Event types, in upstream's declaration order.
const (
	TypeUnknown Type = iota
	SessionStarted
	SessionEnded
	// SessionInterrupted is the abort marker the benchmark publishes
	// right before ENDED when the run was stopped early (^C, transport
	// closure, its run watchdog): not terminal, it only tags the final
	// snapshot state=interrupted (upstream #409).
	SessionInterrupted
	SessionStopLoadgen
	SessionStartPerformanceTracking
	SessionStopPerformanceTracking
	ErrorGeneric
	ErrorLoadgen
	ErrorSession
	ErrorClient
	SampleIssued
	SampleComplete
	SampleRecvFirst
	SampleRecvNonFirst
	numTypes
)

var typeNames = [numTypes]string{
	TypeUnknown:                     "unknown",
	SessionStarted:                  "session.started",
	SessionEnded:                    "session.ended",
	SessionInterrupted:              "session.interrupted",
	SessionStopLoadgen:              "session.stop_loadgen",
	SessionStartPerformanceTracking: "session.start_performance_tracking",
	SessionStopPerformanceTracking:  "session.stop_performance_tracking",
	ErrorGeneric:                    "error.generic",
	ErrorLoadgen:                    "error.loadgen",
	ErrorSession:                    "error.session",
	ErrorClient:                     "error.client",
	SampleIssued:                    "sample.issued",
	SampleComplete:                  "sample.complete",
	SampleRecvFirst:                 "sample.recv_first",
	SampleRecvNonFirst:              "sample.recv_non_first",
}

// String returns the wire topic of t ("sample.issued").
func (t Type) String() string {
	if t >= numTypes {
		return "unknown"
	}
	return typeNames[t]
}

// IsSession reports whether t is a session.* event.
func (t Type) IsSession() bool { return t >= SessionStarted && t <= SessionStopPerformanceTracking }

// IsError reports whether t is an error.* event.
func (t Type) IsError() bool { return t >= ErrorGeneric && t <= ErrorClient }

// IsSample reports whether t is a sample.* event.
func (t Type) IsSample() bool { return t >= SampleIssued && t <= SampleRecvNonFirst }

// ParseType maps a wire topic string to its Type without allocating.
func ParseType(b []byte) (Type, bool) {
	// The set is tiny; a switch on the string conversion compiles to
	// comparisons without allocation.
	switch string(b) {
	case "session.started":
		return SessionStarted, true
	case "session.ended":
		return SessionEnded, true
	case "session.interrupted":
		return SessionInterrupted, true
	case "session.stop_loadgen":
		return SessionStopLoadgen, true
	case "session.start_performance_tracking":
		return SessionStartPerformanceTracking, true
	case "session.stop_performance_tracking":
		return SessionStopPerformanceTracking, true
	case "error.generic":
		return ErrorGeneric, true
	case "error.loadgen":
		return ErrorLoadgen, true
	case "error.session":
		return ErrorSession, true
	case "error.client":
		return ErrorClient, true
	case "sample.issued":
		return SampleIssued, true
	case "sample.complete":
		return SampleComplete, true
	case "sample.recv_first":
		return SampleRecvFirst, true
	case "sample.recv_non_first":
		return SampleRecvNonFirst, true
	}
	return TypeUnknown, false
}

// DataKind says which tagged struct a record's data array holds.
type DataKind uint8

// Data kinds; DataNone is a nil data field.
const (
	DataNone DataKind = iota
	DataTextModelOutput
	DataPromptData
	DataErrorData
)
