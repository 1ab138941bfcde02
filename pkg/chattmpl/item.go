package chattmpl

import (
	"errors"
	"fmt"

	"github.com/mlperf-tools/aggregator/pkg/events"
	"github.com/mlperf-tools/aggregator/pkg/pyvalue"
)

// Kind says what a token-count item is: a plain text, or a structured input
// rendered through the chat template first. The values are part of the
// shardworker pipe protocol (docs/PROTOCOL.md): do not renumber.
type Kind uint8

// Item kinds.
const (
	KindText    Kind = 0 // a text, counted as is
	KindMessage Kind = 1 // an assistant output message (OSL/TPOT), msgpack payload
	KindPrompt  Kind = 2 // a structured prompt (ISL), msgpack payload
)

// String names k for logs.
func (k Kind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindMessage:
		return "message"
	case KindPrompt:
		return "prompt"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// AppendMessage appends the msgpack payload of an assistant message
// (KindMessage): {"content", "reasoning_content", "tool_calls"}, the last
// two nil when absent.
func AppendMessage(dst []byte, m events.MessageParts) []byte {
	v := pyvalue.MapOf("content", m.Content, "reasoning_content", nil, "tool_calls", nil)
	if m.Reasoning != nil {
		v.Map[1].Value = pyvalue.Str(*m.Reasoning)
	}
	if m.ToolCalls != nil {
		v.Map[2].Value = pyvalue.ArrayOf(m.ToolCalls...)
	}
	return pyvalue.AppendMsgpack(dst, v)
}

// AppendPrompt appends the msgpack payload of a structured prompt
// (KindPrompt): {"messages", "tools", "chat_template_kwargs",
// "chat_template", "tool_choice"}, nil where absent.
func AppendPrompt(dst []byte, p events.PromptData) []byte {
	v := pyvalue.MapOf("messages", pyvalue.ArrayOf(p.Messages...), "tools", nil,
		"chat_template_kwargs", nil, "chat_template", nil, "tool_choice", nil)
	if p.Tools != nil {
		v.Map[1].Value = pyvalue.ArrayOf(p.Tools...)
	}
	if p.ChatTemplateKwargs != nil {
		v.Map[2].Value = *p.ChatTemplateKwargs
	}
	if p.ChatTemplate != nil {
		v.Map[3].Value = pyvalue.Str(*p.ChatTemplate)
	}
	if p.ToolChoice != nil {
		v.Map[4].Value = *p.ToolChoice
	}
	return pyvalue.AppendMsgpack(dst, v)
}

// DecodeItem decodes the payload of a KindMessage or KindPrompt item.
func DecodeItem(k Kind, payload []byte) (Request, error) {
	v, err := events.DecodeValue(payload)
	if err != nil {
		return Request{}, fmt.Errorf("decode %s payload: %w", k, err)
	}
	if v.Kind != pyvalue.KindMap {
		return Request{}, fmt.Errorf("decode %s payload: not a map", k)
	}
	switch k {
	case KindMessage:
		m, err := parseMessage(v)
		if err != nil {
			return Request{}, fmt.Errorf("decode message payload: %w", err)
		}
		return Request{Message: m}, nil
	case KindPrompt:
		p, err := parsePrompt(v)
		if err != nil {
			return Request{}, fmt.Errorf("decode prompt payload: %w", err)
		}
		return Request{Prompt: p}, nil
	}
	return Request{}, fmt.Errorf("decode item: %s has no payload", k)
}

// Outcome is how an item was counted.
type Outcome struct {
	Count int
	// Rendered is true when the chat template was applied; false for a
	// text, or when upstream's fallback text was counted instead.
	Rendered bool
	// Fallback is why the template could not be applied (nil otherwise):
	// upstream logs it once per error type and counts the fallback text.
	Fallback error
}

// CountItem counts one item as upstream's BatchTokenizer does: a text as
// is; a message or prompt through the chat template, or through the
// fallback text when the template cannot be applied (no template, a
// template error, raise_exception, a rendered text the tokenizer rejects).
// An error is an exception upstream does not catch (malformed tool calls,
// an unencodable fallback, a tokenizer error on the fallback text): the
// item is never counted.
func (c *Counter) CountItem(k Kind, payload string) (Outcome, error) {
	switch k {
	case KindText:
		n, err := c.count(payload)
		return Outcome{Count: n}, err
	case KindMessage, KindPrompt:
	default:
		return Outcome{}, fmt.Errorf("unknown item kind %d", uint8(k))
	}
	req, err := DecodeItem(k, []byte(payload))
	if err != nil {
		return Outcome{}, err
	}
	if req.Message != nil {
		return c.countMessageItem(*req.Message)
	}
	return c.countPromptItem(*req.Prompt)
}

func (c *Counter) countMessageItem(m events.MessageParts) (Outcome, error) {
	ctx, err := MessageContext(m) // normalizes: upstream does it before its try
	if err != nil {
		return Outcome{}, err
	}
	text, err := c.render(nil, ctx)
	if err == nil {
		var n int
		if n, err = c.count(text); err == nil {
			return Outcome{Count: max(0, n-c.prefixLen-c.baseline), Rendered: true}, nil
		}
	}
	buf, ferr := AppendMessageFallback(c.buf[:0], m)
	c.buf = buf
	if ferr != nil {
		return Outcome{}, ferr
	}
	n, ferr := c.count(string(buf))
	return Outcome{Count: n, Fallback: err}, ferr
}

func (c *Counter) countPromptItem(p events.PromptData) (Outcome, error) {
	perRequest, ctx, err := PromptContext(p)
	if errors.Is(err, ErrNormalize) {
		return Outcome{}, err
	}
	if err == nil {
		var text string
		if text, err = c.render(perRequest, ctx); err == nil {
			var n int
			if n, err = c.count(text); err == nil {
				return Outcome{Count: n, Rendered: true}, nil
			}
		}
	}
	msgs := ctx.Messages
	if msgs == nil { // PromptContext failed before normalizing
		var nerr error
		if msgs, nerr = NormalizeMessages(p.Messages); nerr != nil {
			return Outcome{}, nerr
		}
	}
	buf, ferr := AppendPromptFallback(c.buf[:0], msgs, p.Tools)
	c.buf = buf
	if ferr != nil {
		return Outcome{}, ferr
	}
	n, ferr := c.count(string(buf))
	return Outcome{Count: n, Fallback: err}, ferr
}
