package aggregator

import (
	"bytes"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/tokwork"
)

// fireISL applies upstream's IslTrigger to a tracked ISSUED record (it runs
// whenever the row is created or found again by a duplicate ISSUED):
//
//   - PromptData with token_ids (even an empty tuple): ISL = len(token_ids),
//     recorded at once, with or without a tokenizer;
//   - else, only with a tokenizer: non-empty text → an tokwork.Text job;
//     else messages not None → an tokwork.Prompt job; else nothing.
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
	d, ok := a.decodeData(r, tokwork.ISL)
	if !ok {
		return
	}
	if in, ok := islInput(&d.PromptData); ok {
		a.tokens.Enqueue(tokwork.Job{Metric: tokwork.ISL, Input: in})
	}
}

// islInput is IslTrigger._extract_tokenization_input for a PromptData
// without token_ids: ok is false where upstream returns None.
func islInput(p *events.PromptData) (tokwork.Input, bool) {
	if p.Text != nil && *p.Text != "" {
		return tokwork.Input{Kind: tokwork.Text, Text: *p.Text}, true
	}
	if p.Messages != nil {
		return tokwork.Input{Kind: tokwork.Prompt, Prompt: events.PromptData{
			Messages:           p.Messages,
			Tools:              p.Tools,
			ChatTemplateKwargs: p.ChatTemplateKwargs,
			ChatTemplate:       p.ChatTemplate,
			ToolChoice:         p.ToolChoice,
		}}, true
	}
	return tokwork.Input{}, false
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
	d, ok := a.decodeData(r, tokwork.OSL)
	if !ok {
		return
	}
	t := &d.TextModelOutput
	if in, ok, err := oslInput(t); err != nil {
		a.log.Warn("osl: cannot extract tokenization input; sample skipped",
			"sample_uuid", string(r.SampleUUID), "err", err)
	} else if ok {
		a.tokens.Enqueue(tokwork.Job{Metric: tokwork.OSL, Input: in})
	}
	if !a.streaming || row.recvFirst == none {
		return
	}
	if in, ok, err := tpotInput(t); err != nil {
		a.log.Warn("tpot: cannot extract tokenization input; sample skipped",
			"sample_uuid", string(r.SampleUUID), "err", err)
	} else if ok {
		a.tokens.Enqueue(tokwork.Job{Metric: tokwork.TPOT, Input: in, WindowNs: r.TimestampNs - row.recvFirst})
	}
}

// oslInput is OslTrigger._extract_tokenization_input: reasoning or tool
// calls → the whole output as message parts; else str(output) when
// non-empty → text; else none (ok false). err is what Python would raise.
func oslInput(t *events.TextModelOutput) (tokwork.Input, bool, error) {
	if t.Reasoning.Truthy() || len(t.ToolCalls) > 0 {
		mp, err := t.AsMessageParts()
		if err != nil {
			return tokwork.Input{}, false, err
		}
		return tokwork.Input{Kind: tokwork.Message, Message: mp}, true, nil
	}
	s, err := t.Text()
	if err != nil {
		return tokwork.Input{}, false, err
	}
	if s == "" {
		return tokwork.Input{}, false, nil
	}
	return tokwork.Input{Kind: tokwork.Text, Text: s}, true, nil
}

// tpotInput is TpotTrigger._extract_tokenization_input once recv_first is
// known: reasoning or tool calls → the message parts after the first
// chunk; else the text after the first chunk when non-empty; else none.
func tpotInput(t *events.TextModelOutput) (tokwork.Input, bool, error) {
	if t.Reasoning.Truthy() || len(t.ToolCalls) > 0 {
		mp, err := t.AsMessagePartsAfterFirstChunk()
		if err != nil {
			return tokwork.Input{}, false, err
		}
		return tokwork.Input{Kind: tokwork.Message, Message: mp}, true, nil
	}
	s, err := t.TextAfterFirstChunk()
	if err != nil {
		return tokwork.Input{}, false, err
	}
	if s == "" {
		return tokwork.Input{}, false, nil
	}
	return tokwork.Input{Kind: tokwork.Text, Text: s}, true, nil
}

// decodeData materialises r's data for a token trigger. The raw bytes are
// copied first: DecodeData leaves bin/ext payloads inside Any values
// aliasing its input, and a job outlives the frame. The decoder already
// validated the data, so a failure here is unexpected; it is logged and the
// trigger enqueues nothing.
func (a *Aggregator) decodeData(r *events.Record, m tokwork.Metric) (events.Data, bool) {
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
func (a *Aggregator) RecordTokens(job *tokwork.Job, count int) {
	switch job.Metric {
	case tokwork.ISL:
		a.reg.Record(a.isl, int64(count))
	case tokwork.OSL:
		a.reg.Record(a.osl, int64(count))
	case tokwork.TPOT:
		if count > 0 && a.tpot >= 0 {
			a.reg.RecordFloat(a.tpot, float64(job.WindowNs)/float64(count))
		}
	}
}
