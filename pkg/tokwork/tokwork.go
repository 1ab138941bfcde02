// Package tokwork is the contract of token work, from the trigger that
// asks for a count to the worker that answers it: what a piece of work is
// (Kind, Input, Job), how it travels to a worker (Payload, the item
// payloads of the shardworker protocol), what comes back (Result), and the
// interfaces between the stages: the aggregator's triggers enqueue into a
// Sink and are recorded through a Recorder; the queue counts through
// Workers made by a StartFunc. It is a leaf: the fold, the queue, the
// worker protocol and the chat-template renderer all speak it, and it
// depends on none of them.
package tokwork

import (
	"context"
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// Metric names the series a token count feeds.
type Metric uint8

// Token-derived series.
const (
	ISL Metric = iota
	OSL
	TPOT
)

// String returns the series name the metric feeds ("isl").
func (m Metric) String() string {
	switch m {
	case ISL:
		return snapshot.ISL
	case OSL:
		return snapshot.OSL
	case TPOT:
		return snapshot.TPOTNs
	}
	return "unknown"
}

// Kind says what a piece of token work is: a plain text, or a structured
// input rendered through the chat template first (upstream's TextInput,
// MessageInput, PromptInput; its TokenIdsInput never becomes work, its
// length is recorded at once). The values are part of the shardworker
// pipe protocol (docs/PROTOCOL.md): do not renumber.
type Kind uint8

// Kinds.
const (
	// Text is unstructured text counted by the tokenizer as is (no
	// special tokens added).
	Text Kind = 0
	// Message is one structured assistant output (content, reasoning,
	// merged tool calls), counted through the chat template (OSL, TPOT).
	Message Kind = 1
	// Prompt is a whole structured chat prompt (messages, tools,
	// chat_template_kwargs, chat_template, tool_choice), counted through
	// the chat template (ISL).
	Prompt Kind = 2
	// NumKinds bounds the kinds (for per-kind tallies).
	NumKinds = 3
)

// String returns upstream's name of the kind ("text").
func (k Kind) String() string {
	switch k {
	case Text:
		return "text"
	case Message:
		return "message"
	case Prompt:
		return "prompt"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Input is what a trigger asks to count. Exactly one of Text, Message and
// Prompt is meaningful, as Kind says. It never aliases a frame buffer.
type Input struct {
	Kind    Kind
	Text    string              // Text
	Message events.MessageParts // Message
	// Prompt is the ISSUED record's PromptData (Prompt); only Messages,
	// Tools, ChatTemplateKwargs, ChatTemplate and ToolChoice are set.
	Prompt events.PromptData
}

// Job is one unit of token work produced by a trigger: count Input, then
// record the count into Metric on the goroutine that owns the aggregator.
type Job struct {
	Metric Metric
	Input  Input
	// WindowNs is complete - recv_first for TPOT (the numerator of
	// tpot_ns); 0 otherwise.
	WindowNs int64
}

// Result is one item's outcome: a token count, or an error (Err non-empty:
// an exception upstream does not catch, the item is never counted).
type Result struct {
	Count int
	Err   string
	// Rendered: a structured item was counted through the chat template.
	Rendered bool
	// Fallback is why the chat template could not be applied (no
	// template, a template error, raise_exception): upstream's fallback
	// text was counted instead. Not an error.
	Fallback string
}

// Sink queues token work. Enqueue must be O(1) and must not block: it
// runs on the fold's hot path.
type Sink interface {
	Enqueue(job Job)
	// Pending is the number of jobs enqueued and not yet recorded (the
	// snapshot's n_pending_tasks).
	Pending() int64
}

// Recorder records the count of a finished job (the aggregator does). It
// runs on the goroutine that owns the recorder.
type Recorder interface {
	RecordTokens(job *Job, count int)
}

// Worker counts batches of items. Count is called by one goroutine at a
// time; Kill may be called concurrently with Count and makes it return
// promptly.
type Worker interface {
	// Count returns one Result per payload, in order; kinds are the
	// payloads' kinds (nil: all texts). An error means the whole batch
	// failed (the worker died, ctx ended, a protocol error); the worker
	// is then not reused.
	Count(ctx context.Context, payloads []string, kinds []Kind) ([]Result, error)
	// Close asks the worker to exit and reaps it; Kill kills and reaps it.
	Close() error
	Kill()
	// Pid is the worker's process id (0 for an in-process worker).
	Pid() int
}

// StartFunc starts a worker restricted to cpus (nil: no pinning) with
// procs goroutines counting, and returns once it is ready (its tokenizer
// loaded). ctx bounds the start-up.
type StartFunc func(ctx context.Context, cpus []int, procs int) (Worker, error)
