package aggregator

import (
	"bytes"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/snapshot"
)

// TokenMetric names the series a token count feeds.
type TokenMetric uint8

// Token-derived series.
const (
	TokenISL TokenMetric = iota
	TokenOSL
	TokenTPOT
)

// String returns the series name the metric feeds ("isl").
func (m TokenMetric) String() string {
	switch m {
	case TokenISL:
		return snapshot.ISL
	case TokenOSL:
		return snapshot.OSL
	case TokenTPOT:
		return snapshot.TPOTNs
	}
	return "unknown"
}

// InputKind names the tokenization operation a TokenInput requires
// (upstream's TextInput / MessageInput / PromptInput). Pre-tokenized
// prompts (upstream's TokenIdsInput) never become a TokenInput: their ISL
// is recorded at once.
type InputKind uint8

// Input kinds. The zero value is not a valid kind.
const (
	// InputText is unstructured text counted by the tokenizer's plain-text
	// backend (no special tokens).
	InputText InputKind = iota + 1
	// InputMessage is one structured assistant output (content, reasoning,
	// merged tool calls) rendered through the chat template.
	InputMessage
	// InputPrompt is a complete structured chat prompt (messages, tools,
	// chat_template_kwargs, chat_template, tool_choice) rendered through
	// the chat template.
	InputPrompt
)

// String returns the upstream name of the input kind ("text").
func (k InputKind) String() string {
	switch k {
	case InputText:
		return "text"
	case InputMessage:
		return "message"
	case InputPrompt:
		return "prompt"
	}
	return "invalid"
}

// TokenInput is what a trigger asks the tokenizer to count. Exactly one of
// Text, Message and Prompt is meaningful, as Kind says. Its contents are
// owned by the job: they never alias a frame buffer.
type TokenInput struct {
	Kind    InputKind
	Text    string              // InputText
	Message events.MessageParts // InputMessage
	// Prompt is the ISSUED record's PromptData (InputPrompt); only
	// Messages, Tools, ChatTemplateKwargs, ChatTemplate and ToolChoice
	// are set (Text is empty and TokenIDs nil, or the input would have
	// been text or pre-tokenized).
	Prompt events.PromptData
}

// TokenJob is one unit of token work produced by a trigger: count the
// tokens of Input as Input.Kind requires, then call Aggregator.RecordTokens
// with the count on the goroutine that owns the aggregator.
type TokenJob struct {
	Metric TokenMetric
	Input  TokenInput
	// WindowNs is complete - recv_first for TPOT (the numerator of
	// tpot_ns); 0 otherwise.
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

// fireISL applies upstream's IslTrigger to a tracked ISSUED record (it runs
// whenever the row is created or found again by a duplicate ISSUED):
//
//   - PromptData with token_ids (even an empty tuple): ISL = len(token_ids),
//     recorded at once, with or without a tokenizer;
//   - else, only with a tokenizer: non-empty text → an InputText job;
//     else messages not None → an InputPrompt job; else nothing.
//
// The data is decoded (events.DecodeData) only when a sink exists, so the
// no-tokenizer path allocates nothing.
func (a *Aggregator) fireISL(r *events.Record) {
	if r.DataKind != events.DataPromptData {
		return
	}
	if r.TokenIDs >= 0 {
		a.reg.Record(a.isl, int64(r.TokenIDs))
		return
	}
	if a.tokens == nil {
		return
	}
	d, ok := a.decodeData(r, TokenISL)
	if !ok {
		return
	}
	if in, ok := islInput(&d.PromptData); ok {
		a.tokens.Enqueue(TokenJob{Metric: TokenISL, Input: in})
	}
}

// islInput is IslTrigger._extract_tokenization_input for a PromptData
// without token_ids: ok is false where upstream returns None.
func islInput(p *events.PromptData) (TokenInput, bool) {
	if p.Text != nil && *p.Text != "" {
		return TokenInput{Kind: InputText, Text: *p.Text}, true
	}
	if p.Messages != nil {
		return TokenInput{Kind: InputPrompt, Prompt: events.PromptData{
			Messages:           p.Messages,
			Tools:              p.Tools,
			ChatTemplateKwargs: p.ChatTemplateKwargs,
			ChatTemplate:       p.ChatTemplate,
			ToolChoice:         p.ToolChoice,
		}}, true
	}
	return TokenInput{}, false
}

// fireOutput applies upstream's OslTrigger and, when streaming and the row
// had a RECV_FIRST, TpotTrigger to a tracked COMPLETE record. It is called
// only when a sink exists; jobs are enqueued OSL first, then TPOT (upstream's
// trigger order). A TextModelOutput on which upstream's input extraction
// would raise (malformed streamed tool-call deltas) is logged and yields no
// job for that metric.
func (a *Aggregator) fireOutput(r *events.Record, row *row) {
	if r.DataKind != events.DataTextModelOutput {
		return
	}
	d, ok := a.decodeData(r, TokenOSL)
	if !ok {
		return
	}
	t := &d.TextModelOutput
	if in, ok, err := oslInput(t); err != nil {
		a.log.Warn("osl: cannot extract tokenization input; sample skipped",
			"sample_uuid", string(r.SampleUUID), "err", err)
	} else if ok {
		a.tokens.Enqueue(TokenJob{Metric: TokenOSL, Input: in})
	}
	if !a.streaming || row.recvFirst == none {
		return
	}
	if in, ok, err := tpotInput(t); err != nil {
		a.log.Warn("tpot: cannot extract tokenization input; sample skipped",
			"sample_uuid", string(r.SampleUUID), "err", err)
	} else if ok {
		a.tokens.Enqueue(TokenJob{Metric: TokenTPOT, Input: in, WindowNs: r.TimestampNs - row.recvFirst})
	}
}

// oslInput is OslTrigger._extract_tokenization_input: reasoning or tool
// calls → the whole output as message parts; else str(output) when
// non-empty → text; else none (ok false). err is what Python would raise.
func oslInput(t *events.TextModelOutput) (TokenInput, bool, error) {
	if t.Reasoning.Truthy() || len(t.ToolCalls) > 0 {
		mp, err := t.AsMessageParts()
		if err != nil {
			return TokenInput{}, false, err
		}
		return TokenInput{Kind: InputMessage, Message: mp}, true, nil
	}
	s, err := t.Text()
	if err != nil {
		return TokenInput{}, false, err
	}
	if s == "" {
		return TokenInput{}, false, nil
	}
	return TokenInput{Kind: InputText, Text: s}, true, nil
}

// tpotInput is TpotTrigger._extract_tokenization_input once recv_first is
// known: reasoning or tool calls → the message parts after the first
// chunk; else the text after the first chunk when non-empty; else none.
func tpotInput(t *events.TextModelOutput) (TokenInput, bool, error) {
	if t.Reasoning.Truthy() || len(t.ToolCalls) > 0 {
		mp, err := t.AsMessagePartsAfterFirstChunk()
		if err != nil {
			return TokenInput{}, false, err
		}
		return TokenInput{Kind: InputMessage, Message: mp}, true, nil
	}
	s, err := t.TextAfterFirstChunk()
	if err != nil {
		return TokenInput{}, false, err
	}
	if s == "" {
		return TokenInput{}, false, nil
	}
	return TokenInput{Kind: InputText, Text: s}, true, nil
}

// decodeData materialises r's data for a token trigger. The raw bytes are
// copied first: DecodeData leaves bin/ext payloads inside Any values
// aliasing its input, and a job outlives the frame. The decoder already
// validated the data, so a failure here is unexpected; it is logged and the
// trigger enqueues nothing.
func (a *Aggregator) decodeData(r *events.Record, m TokenMetric) (events.Data, bool) {
	d, err := events.DecodeData(bytes.Clone(r.Data))
	if err != nil {
		a.log.Warn("cannot decode event data for tokenization; sample skipped",
			"metric", m.String(), "sample_uuid", string(r.SampleUUID), "err", err)
		return events.Data{}, false
	}
	return d, true
}

// RecordTokens records the token count of a finished job: ISL and OSL
// record the count itself; TPOT records WindowNs/count as a float, and
// nothing when count <= 0, as upstream's TpotTrigger._compute_value.
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
